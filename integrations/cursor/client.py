"""HTTP client for Cursor's team APIs (Admin, Analytics, AI Code Tracking).

Reference: /work/shared/cursor-api.md. The client

- authenticates with HTTP Basic (the key as username, empty password);
- keeps each team under Cursor's per-minute limits with a shared ``RateLimiter``;
- retries what can succeed next time (429, 5xx, timeouts, network errors) with exponential
  backoff and full jitter, honouring ``Retry-After`` / ``X-RateLimit-Reset``; never 4xx;
- splits long ranges into windows of at most 30 days and follows every pagination envelope
  variant, with a hard cap on pages;
- returns the normalized records of ``records.py``; a malformed record is logged and skipped;
- logs one line per HTTP call (method, path, status, duration, attempt) and never the key.

Nothing here imports Django; defaults come from ``config.py`` lazily.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

from .errors import CursorError, PlanRequired, UpstreamError
from .http import (
    MAX_RETRY_WAIT,
    USER_AGENT,
    WAIT_CURSOR_429,
    WAIT_RETRY,
    CursorHttp,
    retry_after_seconds,
)
from .parsing import (
    RECORD_ERRORS,
    has_next_page,
    parse_ai_change,
    parse_ai_commit,
    parse_analytics_record,
    parse_audit_event,
    parse_daily_row,
    parse_leaderboard_entry,
    parse_member,
    parse_member_spend,
    parse_usage_event,
    to_datetime,
)
from .records import (
    AiChange,
    AiCommit,
    AnalyticsRow,
    AuditEvent,
    Capabilities,
    DailyUsageRow,
    LeaderboardEntry,
    Member,
    SpendReport,
    UsageEvent,
)
from .windows import (
    DAY_MS,
    MAX_WINDOW_DAYS,
    as_date,
    day_start_ms,
    day_windows,
    iso_ms,
    ms_windows,
    to_ms,
)

logger = logging.getLogger(__name__)

ANALYTICS_TEAM_METRICS = (
    "dau",
    "models",
    "agent-edits",
    "tabs",
    "client-versions",
    "top-file-extensions",
    "mcp",
    "commands",
    "plans",
    "ask-mode",
)

DAILY_USAGE_PAGE_SIZE = 500  # users per page
USAGE_EVENTS_PAGE_SIZE = 1000  # documented maximum
SPEND_PAGE_SIZE = 500
AUDIT_PAGE_SIZE = 500  # documented maximum
LEADERBOARD_PAGE_SIZE = 500  # documented maximum
AI_CODE_PAGE_SIZE = 1000  # documented maximum

_ADMIN = "admin"
_EVENTS = "usage_events"
_ANALYTICS = "analytics_team"


class CursorClient(CursorHttp):
    """A Cursor team API session for one API key. Not thread-safe; use one per sync.

    ``base_url`` defaults to ``CURSOR_API_BASE_URL`` (Django settings, then the environment),
    then https://api.cursor.com; ``limiter`` to ``get_default_limiter()``. ``sleep`` is used for
    retry waits (tests pass a no-op); ``on_wait(seconds, reason)`` is called before every wait,
    the limiter's included, so a sync can show "waiting for rate limit".
    """

    # Hard cap on pages in one paginated listing (one window); beyond it Cursor is misbehaving.
    # 10,000 pages of 1,000 events is far more than any team produces in 30 days.
    max_pages = 10_000

    def __init__(self, api_key: str, **options) -> None:
        """Options as `CursorHttp`: base_url, timeout, max_retries, limiter, sleep, transport,
        on_wait."""
        super().__init__(api_key, **options)
        self.skipped_records = 0  # malformed records skipped, each logged once
        self._etag_cache: dict[tuple, tuple[str, list[AnalyticsRow]]] = {}

    # -- Admin API ------------------------------------------------------------------------------

    def members(self) -> list[Member]:
        """Every team member, removed ones included (``is_removed``)."""
        data, _ = self._call("GET", "/teams/members", family=_ADMIN)
        items = self._items(data, "teamMembers", "/teams/members")
        return list(self._parse_each(items, parse_member, "member", "/teams/members"))

    def daily_usage(self, start: date, end: date) -> Iterator[DailyUsageRow]:
        """One row per member per UTC day in ``start..end`` (inclusive), inactive days included.

        Uses the paginated mode (page + pageSize), which returns every member of the team in
        the range with zero rows for inactive days. Windows are ≤30 whole UTC days:
        ``startDate`` = first day 00:00:00.000, ``endDate`` = last day 23:59:59.999 (epoch ms).
        """
        for first, last in day_windows(as_date(start), as_date(end)):
            start_ms = day_start_ms(first)
            end_ms = day_start_ms(last) + DAY_MS - 1
            yield from self._paged(
                "POST",
                "/teams/daily-usage-data",
                family=_ADMIN,
                items_key="data",
                parse=parse_daily_row,
                what="daily usage row",
                page_size=DAILY_USAGE_PAGE_SIZE,
                body={"startDate": start_ms, "endDate": end_ms},
            )

    def usage_events(self, start: datetime, end: datetime) -> Iterator[UsageEvent]:
        """Usage events with ``start <= timestamp <= end`` (both inclusive, ms precision).

        Windows of ≤30 days; each ends at 23:59:59.999 UTC (or at ``end``) and the next starts
        1 ms later, so windows never overlap and Cursor's inclusive bounds return each event
        once. Naive datetimes are taken as UTC; a ``date`` means its whole UTC day.
        """
        start_ms = to_ms(start, end_of_day=False)
        end_ms = to_ms(end, end_of_day=True)
        for first, last in ms_windows(start_ms, end_ms):
            yield from self._paged(
                "POST",
                "/teams/filtered-usage-events",
                family=_EVENTS,
                items_key="usageEvents",
                parse=parse_usage_event,
                what="usage event",
                page_size=USAGE_EVENTS_PAGE_SIZE,
                body={"startDate": first, "endDate": last},
            )

    def spend(self) -> SpendReport:
        """Spend per member in the current billing cycle (all pages)."""
        cycle_start = None
        members = []
        page = 1
        fetched = 0
        while True:
            self._check_page_cap(page, "/teams/spend")
            body = {"page": page, "pageSize": SPEND_PAGE_SIZE}
            data, _ = self._call("POST", "/teams/spend", family=_ADMIN, json=body)
            items = self._items(data, "teamMemberSpend", "/teams/spend")
            if cycle_start is None:
                cycle_start = self._cycle_start(data)
            members.extend(self._parse_each(items, parse_member_spend, "member spend", "/teams/spend"))
            fetched += len(items)
            if not self._more(data, page, SPEND_PAGE_SIZE, len(items), fetched, "/teams/spend"):
                break
            page += 1
        return SpendReport(cycle_start=cycle_start, members=members)

    def audit_logs(self, start: datetime, end: datetime) -> Iterator[AuditEvent]:
        """Audit events in ``start..end`` (inclusive), in windows of ≤30 days."""
        start_ms = to_ms(start, end_of_day=False)
        end_ms = to_ms(end, end_of_day=True)
        for first, last in ms_windows(start_ms, end_ms):
            yield from self._paged(
                "GET",
                "/teams/audit-logs",
                family=_ADMIN,
                items_key="events",
                parse=parse_audit_event,
                what="audit event",
                page_size=AUDIT_PAGE_SIZE,
                params={"startTime": iso_ms(first), "endTime": iso_ms(last)},
            )

    # -- Analytics API --------------------------------------------------------------------------

    def analytics(self, metric: str, start: date, end: date) -> list[AnalyticsRow]:
        """Rows of one team-level metric for ``start..end`` (inclusive UTC days).

        Windows of ≤30 days. Responses are cached in this client by ETag: a repeated query
        sends ``If-None-Match`` and a 304 returns the rows parsed the first time.
        """
        if metric not in ANALYTICS_TEAM_METRICS:
            raise ValueError(f"unknown analytics metric {metric!r}")
        path = f"/analytics/team/{metric}"
        rows: list[AnalyticsRow] = []
        for first, last in day_windows(as_date(start), as_date(end)):
            params = {"startDate": first.isoformat(), "endDate": last.isoformat()}
            cache_key = (path, first, last)
            cached = self._etag_cache.get(cache_key)
            data, etag = self._call(
                "GET",
                path,
                family=_ANALYTICS,
                params=params,
                plan_gated=True,
                etag=cached[0] if cached else None,
            )
            if data is None:  # 304 Not Modified
                rows.extend(cached[1])
                continue
            items = self._items(data, "data", path)
            window_rows = []
            for i, raw in enumerate(items):
                try:
                    window_rows.extend(parse_analytics_record(metric, raw))
                except RECORD_ERRORS as exc:
                    self._skip("analytics row", path, i, exc)
            if etag:
                self._etag_cache[cache_key] = (etag, window_rows)
            rows.extend(window_rows)
        return rows

    def leaderboard(self, start: date, end: date) -> list[LeaderboardEntry]:
        """Tab and agent leaderboards for one range of at most 30 days (all pages).

        Ranks only make sense for one range, so longer ranges raise ValueError instead of
        being split.
        """
        start, end = as_date(start), as_date(end)
        if (end - start).days + 1 > MAX_WINDOW_DAYS:
            raise ValueError("the leaderboard covers at most 30 days")
        path = "/analytics/team/leaderboard"
        entries: list[LeaderboardEntry] = []
        page = 1
        fetched = 0
        while True:
            self._check_page_cap(page, path)
            params = {
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
                "page": page,
                "pageSize": LEADERBOARD_PAGE_SIZE,
            }
            data, _ = self._call("GET", path, family=_ANALYTICS, params=params, plan_gated=True)
            boards = data.get("data")
            if boards.__class__ is not dict:
                raise self._shape_error(path, "data")
            n_items = 0
            for board in ("tab", "agent"):
                section = boards.get(f"{board}_leaderboard")
                if section is None:
                    continue
                items = section.get("data") if section.__class__ is dict else None
                if items.__class__ is not list:
                    raise self._shape_error(path, f"{board}_leaderboard.data")
                n_items = max(n_items, len(items))
                for i, raw in enumerate(items):
                    try:
                        entries.append(parse_leaderboard_entry(board, raw))
                    except RECORD_ERRORS as exc:
                        self._skip("leaderboard entry", path, i, exc)
            fetched += n_items
            if not self._more(data, page, LEADERBOARD_PAGE_SIZE, n_items, fetched, path):
                break
            page += 1
        return entries

    # -- AI Code Tracking API -------------------------------------------------------------------

    def ai_code_commits(self, start: date, end: date) -> Iterator[AiCommit]:
        """AI-attributed commits in ``start..end`` (inclusive UTC days), windows of ≤30 days."""
        yield from self._ai_code("commits", start, end, parse_ai_commit, "AI commit")

    def ai_code_changes(self, start: date, end: date) -> Iterator[AiChange]:
        """Accepted AI changes in ``start..end`` (inclusive UTC days), windows of ≤30 days."""
        yield from self._ai_code("changes", start, end, parse_ai_change, "AI change")

    def _ai_code(self, endpoint: str, start, end, parse, what) -> Iterator:
        for first, last in day_windows(as_date(start), as_date(end)):
            yield from self._paged(
                "GET",
                f"/analytics/ai-code/{endpoint}",
                family=f"ai_code:{endpoint}",  # Cursor limits AI Code Tracking per endpoint
                items_key="items",
                parse=parse,
                what=what,
                page_size=AI_CODE_PAGE_SIZE,
                params={"startDate": first.isoformat(), "endDate": last.isoformat()},
                plan_gated=True,
            )

    # -- Connect flow ---------------------------------------------------------------------------

    def validate(self) -> Capabilities:
        """Check the key and find which APIs the team's plan allows.

        ``/teams/members`` must succeed (InvalidApiKey etc. propagate). Then one-day probes of
        ``/analytics/team/dau`` and ``/analytics/ai-code/commits`` (pageSize 1): PlanRequired
        turns that capability off; any other error propagates. ``member_count`` counts members
        who are not removed.
        """
        members = self.members()
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        day = yesterday.isoformat()
        analytics = self._probe("/analytics/team/dau", _ANALYTICS, day)
        ai_code = self._probe("/analytics/ai-code/commits", "ai_code:commits", day)
        missing = [name for name, ok in (("Analytics", analytics), ("AI Code Tracking", ai_code)) if not ok]
        if missing:
            plan_note = (
                f"{' and '.join(missing)} {'needs' if len(missing) == 1 else 'need'} Cursor's "
                "Enterprise plan; members, usage and spend will still sync."
            )
        else:
            plan_note = ""
        return Capabilities(
            admin=True,
            analytics=analytics,
            ai_code=ai_code,
            member_count=sum(1 for m in members if not m.is_removed),
            plan_note=plan_note,
        )

    def _probe(self, path: str, family: str, day: str) -> bool:
        params = {"startDate": day, "endDate": day}
        if family.startswith("ai_code"):
            params.update(page=1, pageSize=1)
        try:
            self._call("GET", path, family=family, params=params, plan_gated=True)
        except PlanRequired:
            return False
        return True

    # -- Pagination and parsing -----------------------------------------------------------------

    def _paged(
        self,
        method: str,
        path: str,
        *,
        family: str,
        items_key: str,
        parse: Callable,
        what: str,
        page_size: int,
        body: dict | None = None,
        params: dict | None = None,
        plan_gated: bool = False,
    ) -> Iterator:
        page = 1
        fetched = 0
        while True:
            self._check_page_cap(page, path)
            if body is not None:
                data, _ = self._call(
                    method,
                    path,
                    family=family,
                    json={**body, "page": page, "pageSize": page_size},
                    plan_gated=plan_gated,
                )
            else:
                data, _ = self._call(
                    method,
                    path,
                    family=family,
                    params={**params, "page": page, "pageSize": page_size},
                    plan_gated=plan_gated,
                )
            items = self._items(data, items_key, path)
            yield from self._parse_each(items, parse, what, path)
            fetched += len(items)
            if not self._more(data, page, page_size, len(items), fetched, path):
                return
            page += 1

    def _parse_each(self, items: list, parse: Callable, what: str, path: str) -> Iterator:
        for i, raw in enumerate(items):
            try:
                record = parse(raw)
            except RECORD_ERRORS as exc:
                self._skip(what, path, i, exc)
                continue
            yield record

    def _skip(self, what: str, path: str, index: int, exc: Exception) -> None:
        # Log the error class and the missing field only: records hold emails, never secrets,
        # but there is no need to copy them into logs.
        self.skipped_records += 1
        detail = exc.args[0] if isinstance(exc, KeyError) and exc.args else type(exc).__name__
        logger.warning(
            "cursor api: skipped malformed %s #%d from %s (%s)",
            what,
            index,
            path,
            detail,
            extra={"cursor_path": path, "cursor_team": self.team_id[:12]},
        )

    def _items(self, data: dict, key: str, path: str) -> list:
        items = data.get(key)
        if items.__class__ is not list:
            raise self._shape_error(path, key)
        return items

    def _more(self, data: dict, page: int, size: int, n: int, fetched: int, path: str) -> bool:
        try:
            return has_next_page(data, page, size, n, fetched)
        except RECORD_ERRORS:
            raise self._shape_error(path, "pagination") from None

    def _check_page_cap(self, page: int, path: str) -> None:
        if page > self.max_pages:
            raise UpstreamError(
                f"Cursor kept paginating {path} past {self.max_pages} pages",
                path=path,
            )

    def _shape_error(self, path: str, key: str) -> UpstreamError:
        return UpstreamError(f"unexpected response shape from {path}: bad or missing {key!r}", path=path)

    def _cycle_start(self, data: dict) -> datetime:
        raw = data.get("subscriptionCycleStart")
        if raw is None:
            # D1 spend covered the calendar month and had no cycle start.
            now = datetime.now(UTC)
            return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        try:
            return to_datetime(raw)
        except RECORD_ERRORS:
            raise self._shape_error("/teams/spend", "subscriptionCycleStart") from None

    # -- HTTP -----------------------------------------------------------------------------------


__all__ = [
    "ANALYTICS_TEAM_METRICS",
    "MAX_RETRY_WAIT",
    "MAX_WINDOW_DAYS",
    "USER_AGENT",
    "WAIT_CURSOR_429",
    "WAIT_RETRY",
    "CursorClient",
    "CursorError",
    "day_windows",
    "ms_windows",
    "retry_after_seconds",
]
