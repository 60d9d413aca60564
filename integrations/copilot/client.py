"""HTTP client for GitHub Copilot's organization / enterprise APIs (reference: docs/copilot-api.md).

``CopilotClient(token, scope="org"|"enterprise", slug=…)`` reads:

- seats (``/copilot/billing/seats``, paged by ``Link``; enterprise seats deduplicated per user);
- the per-user daily reports (``users-1-day?day=``, §2): GitHub answers with signed download
  links, fetched by a second session that carries no token; every file of a report is
  downloaded and concatenated; NDJSON lines that are not valid records are skipped and counted.
  **204 or 404 = no report for that day** (``None``), never a day of zero usage;
- the 28-day per-user report (to fill a first backfill cheaply), the organization's daily
  aggregate, the org billing summary and the AI-credit usage (per login when asked).

The HTTP mechanics (auth, limits, retries, downloads) are in ``http.py``. Nothing here imports
Django at import time.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from .errors import CopilotError, DownloadFailed, OrgNotFound, UpstreamError
from .http import (
    API_VERSION,
    MAX_WAIT,
    USER_AGENT,
    WAIT_RATE_LIMIT,
    WAIT_RETRY,
    CopilotHttp,
    LinkExpired,
    logger,
)
from .records import (
    RECORD_ERRORS,
    BillingItem,
    SeatList,
    UserDay,
    UserReport,
    parse_billing_item,
    parse_seat,
    parse_user_day,
)

SCOPES = ("org", "enterprise")
LINK_REFRESHES = 2  # fresh links asked for when a signed link has expired


@dataclass(frozen=True)
class Validation:
    """What connecting learned: seats and the newest report GitHub has processed."""

    total_seats: int
    plan_type: str
    latest_report_day: date | None  # None: no report yet (e.g. telemetry just switched on)


class CopilotClient(CopilotHttp):
    """A Copilot API session for one token and one organization or enterprise. Not thread-safe."""

    def __init__(self, token: str, *, scope: str = "org", slug: str, **options) -> None:
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}")
        slug = (slug or "").strip()
        if not slug or "/" in slug:
            raise ValueError("an organization or enterprise slug is required")
        super().__init__(token, **options)
        self.scope = scope
        self.slug = slug
        self.prefix = f"/orgs/{slug}" if scope == "org" else f"/enterprises/{slug}"
        self.billing_prefix = f"/organizations/{slug}" if scope == "org" else f"/enterprises/{slug}"

    # -- seats --------------------------------------------------------------------------------

    def seats(self) -> SeatList:
        """Every seat. An enterprise lists a user once per granting org/team: kept once."""
        seats, seen, total = [], set(), 0
        for data, items in self._paged(
            f"{self.prefix}/copilot/billing/seats", bucket="seats", items_key="seats"
        ):
            total = data.get("total_seats") if isinstance(data.get("total_seats"), int) else total
            for i, raw in enumerate(items):
                try:
                    seat = parse_seat(raw)
                except RECORD_ERRORS as exc:
                    self._skip("seat", i, exc)
                    continue
                key = seat.user_id if seat.user_id is not None else seat.login.lower()
                if key in seen:
                    continue
                seen.add(key)
                seats.append(seat)
        return SeatList(total_seats=total or len(seats), seats=seats)

    def billing(self) -> dict | None:
        """The organization's Copilot billing summary (§4.2); None for an enterprise."""
        if self.scope != "org":
            return None
        data, _ = self._call(f"{self.prefix}/copilot/billing", bucket="billing")
        if not isinstance(data, dict):
            raise UpstreamError("unexpected response shape from the Copilot billing summary")
        return data

    # -- usage metrics reports ----------------------------------------------------------------

    def _report_path(self, name: str) -> str:
        return f"{self.prefix}/copilot/metrics/reports/{name}"

    def user_report(self, day: date) -> UserReport | None:
        """The per-user report of one UTC day, or None when GitHub has none (204/404)."""
        path = self._report_path("users-1-day")
        for _refresh in range(LINK_REFRESHES + 1):
            data, _ = self._call(path, bucket="reports", params={"day": day.isoformat()}, missing_ok=True)
            if data is None:
                return None
            links = self._links(data, path)
            try:
                records, skipped = self._download_records(links)
            except LinkExpired:
                logger.info("copilot report %s for %s: a link expired; asking for fresh ones", path, day)
                continue
            kept = [r for r in records if r.day == day]
            skipped += len(records) - len(kept)
            return UserReport(day=day, records=kept, skipped=skipped, files=len(links))
        raise DownloadFailed(
            f"the report files of {day} kept failing after {LINK_REFRESHES} fresh links", path=path
        )

    def users_28_day(self) -> tuple[date, date, dict[date, list[UserDay]], int] | None:
        """The latest 28-day per-user report: (start, end, records by day, skipped lines), or None."""
        path = self._report_path("users-28-day/latest")
        for _refresh in range(LINK_REFRESHES + 1):
            data, _ = self._call(path, bucket="reports", missing_ok=True)
            if data is None:
                return None
            links = self._links(data, path)
            try:
                start = date.fromisoformat(str(data["report_start_day"]))
                end = date.fromisoformat(str(data["report_end_day"]))
            except (KeyError, ValueError):
                raise UpstreamError(
                    f"unexpected response shape from {path}: bad report days", path=path
                ) from None
            try:
                records, skipped = self._download_records(links)
            except LinkExpired:
                continue
            by_day: dict[date, list[UserDay]] = defaultdict(list)
            for record in records:
                if start <= record.day <= end:
                    by_day[record.day].append(record)
                else:
                    skipped += 1
            return start, end, dict(by_day), skipped
        raise DownloadFailed(
            f"the 28-day report files kept failing after {LINK_REFRESHES} fresh links", path=path
        )

    def latest_report_window(self) -> tuple[date, date] | None:
        """(first, last) day of the newest 28-day report, without downloading it; None if none."""
        path = self._report_path("users-28-day/latest")
        data, _ = self._call(path, bucket="reports", missing_ok=True)
        if data is None:
            return None
        self._links(data, path)
        try:
            return date.fromisoformat(str(data["report_start_day"])), date.fromisoformat(
                str(data["report_end_day"])
            )
        except (KeyError, ValueError):
            raise UpstreamError(
                f"unexpected response shape from {path}: bad report days", path=path
            ) from None

    def organization_day(self, day: date) -> dict | None:
        """The organization's (or enterprise's) aggregated record of one day, or None."""
        name = "organization-1-day" if self.scope == "org" else "enterprise-1-day"
        path = self._report_path(name)
        for _refresh in range(LINK_REFRESHES + 1):
            data, _ = self._call(path, bucket="reports", params={"day": day.isoformat()}, missing_ok=True)
            if data is None:
                return None
            links = self._links(data, path)
            try:
                objects = [obj for link in links for obj in self._json_objects(self._download(link))[0]]
            except LinkExpired:
                continue
            return objects[0] if objects else None
        raise DownloadFailed(f"the aggregate report of {day} kept failing", path=path)

    # -- billing usage ------------------------------------------------------------------------

    def ai_credit_usage(
        self, year: int, month: int, *, day: int | None = None, user: str | None = None, premium: bool = False
    ) -> list[BillingItem] | None:
        """AI-credit (or, with ``premium``, premium-request) usage items for a month (or a day),
        for the whole organization or one login. None when GitHub has no such report (404:
        e.g. billing consolidated in an enterprise, §5.1)."""
        kind = "premium_request" if premium else "ai_credit"
        params = {"year": year, "month": month}
        if day is not None:
            params["day"] = day
        if user:
            params["user"] = user
        path = f"{self.billing_prefix}/settings/billing/{kind}/usage"
        data, _ = self._call(path, bucket="usage", params=params, missing_ok=True)
        if data is None:
            return None
        items = data.get("usageItems") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise UpstreamError(
                f"unexpected response shape from {path}: bad or missing 'usageItems'", path=path
            )
        parsed = []
        for i, raw in enumerate(items):
            try:
                parsed.append(parse_billing_item(raw))
            except RECORD_ERRORS as exc:
                self._skip("billing item", i, exc)
        return parsed

    # -- connect flow -------------------------------------------------------------------------

    def seat_summary(self) -> tuple[int, str]:
        """(total seats, plan type of the first seat) from one small page of the seat list."""
        data, _ = self._call(f"{self.prefix}/copilot/billing/seats", bucket="seats", params={"per_page": 1})
        if not isinstance(data, dict) or not isinstance(data.get("seats"), list):
            raise UpstreamError("unexpected response shape from the seats endpoint")
        total = data.get("total_seats") if isinstance(data.get("total_seats"), int) else len(data["seats"])
        plan = ""
        if data["seats"] and isinstance(data["seats"][0], dict):
            plan = str(data["seats"][0].get("plan_type") or "")
        return total, plan

    def validate(self) -> Validation:
        """Check the token against seats (first page) and the latest report, as connecting does.

        Seats must answer (InvalidToken, MissingScope, OrgNotFound … propagate). The report check
        raises MissingScope / PolicyDisabled on 403; "no report yet" (204/404) is allowed, since
        GitHub needs up to three days after telemetry starts.
        """
        total, plan = self.seat_summary()
        window = self.latest_report_window()
        return Validation(total_seats=total, plan_type=plan, latest_report_day=window[1] if window else None)

    # -- helpers ------------------------------------------------------------------------------

    def _links(self, data, path: str) -> list[str]:
        links = data.get("download_links") if isinstance(data, dict) else None
        if not isinstance(links, list) or not all(isinstance(link, str) for link in links):
            raise UpstreamError(
                f"unexpected response shape from {path}: bad or missing 'download_links'", path=path
            )
        return links

    def _download_records(self, links: list[str]) -> tuple[list[UserDay], int]:
        records, skipped = [], 0
        for link in links:
            objects, bad = self._json_objects(self._download(link))
            skipped += bad
            for i, raw in enumerate(objects):
                try:
                    records.append(parse_user_day(raw))
                except RECORD_ERRORS as exc:
                    skipped += 1
                    self._skip("user record", i, exc)
        return records, skipped

    def _json_objects(self, content: bytes) -> tuple[list, int]:
        """The JSON objects of a report file: NDJSON, or a single object / array. Returns
        (objects, lines that were not JSON objects)."""
        text = content.decode("utf-8", errors="replace").strip()
        if not text:
            return [], 0
        try:
            whole = json.loads(text)
        except ValueError:
            whole = None
        else:
            if isinstance(whole, dict):
                return [whole], 0
            if isinstance(whole, list):
                objects = [o for o in whole if isinstance(o, dict)]
                return objects, len(whole) - len(objects)
        objects, bad = [], 0
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            if isinstance(value, dict):
                objects.append(value)
            else:
                bad += 1
        if bad:
            self.skipped_records += bad
            logger.warning("copilot report: skipped %d malformed NDJSON line(s)", bad)
        return objects, bad

    def _skip(self, what: str, index: int, exc: Exception) -> None:
        # Never the record itself: it names a person; the error class or missing key is enough.
        self.skipped_records += 1
        detail = exc.args[0] if isinstance(exc, KeyError) and exc.args else type(exc).__name__
        logger.warning("copilot api: skipped malformed %s #%d (%s)", what, index, detail)


__all__ = [
    "API_VERSION", "MAX_WAIT", "USER_AGENT", "WAIT_RATE_LIMIT", "WAIT_RETRY", "CopilotClient",
    "CopilotError", "OrgNotFound", "Validation",
]  # fmt: skip
