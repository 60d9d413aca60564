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
import random
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from .config import default_base_url
from .errors import (
    CursorError,
    CursorTimeout,
    CursorUnreachable,
    InvalidApiKey,
    PlanRequired,
    RateLimited,
    UpstreamError,
)
from .parsing import (
    DAY_MS,
    RECORD_ERRORS,
    decode_json,
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
from .ratelimit import RateLimiter, get_default_limiter, team_id_for_key
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

logger = logging.getLogger(__name__)

USER_AGENT = "Koalr/1.0 (+https://koalr.io) cursor-sync"

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

MAX_WINDOW_DAYS = 30
MAX_RETRY_WAIT = 120.0  # never sleep longer than this on one server hint
BACKOFF_BASE = 1.0  # 5xx / network: full jitter over 1, 2, 4, 8 … s
BACKOFF_BASE_429 = 4.0  # 429 without a hint: limits are per minute, so back off longer
BACKOFF_CAP = 60.0

DAILY_USAGE_PAGE_SIZE = 500  # users per page
USAGE_EVENTS_PAGE_SIZE = 1000  # documented maximum
SPEND_PAGE_SIZE = 500
AUDIT_PAGE_SIZE = 500  # documented maximum
LEADERBOARD_PAGE_SIZE = 500  # documented maximum
AI_CODE_PAGE_SIZE = 1000  # documented maximum

# on_wait reasons; short plain words the sync UI can show after "waiting for …".
WAIT_CURSOR_429 = "Cursor rate limit"
WAIT_RETRY = "retry after a Cursor error"

_ADMIN = "admin"
_EVENTS = "usage_events"
_ANALYTICS = "analytics_team"


class CursorClient:
    """A Cursor team API session for one API key. Not thread-safe; use one per sync."""

    # Hard cap on pages in one paginated listing (one window); beyond it Cursor is misbehaving.
    max_pages = 2000

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("a Cursor API key is required")
        api_key = api_key.strip()
        self.team_id = team_id_for_key(api_key)
        self.base_url = (base_url or default_base_url()).rstrip("/")
        self.max_retries = max(0, int(max_retries))
        self.skipped_records = 0
        self._limiter = limiter if limiter is not None else get_default_limiter()
        self._sleep = sleep
        self._on_wait = on_wait
        self._etag_cache: dict[tuple, tuple[str, list[AnalyticsRow]]] = {}
        # The key lives only inside httpx's BasicAuth, which builds the Authorization header.
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=httpx.BasicAuth(api_key, ""),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
        )
        self._scrub = api_key

    def __repr__(self) -> str:
        return f"<CursorClient {self.base_url} team={self.team_id[:8]}>"

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CursorClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- Admin API ------------------------------------------------------------------------------

    def members(self) -> list[Member]:
        """Every team member, removed ones included (``is_removed``)."""
        data, _ = self._call("GET", "/teams/members", family=_ADMIN)
        items = self._items(data, "teamMembers", "/teams/members")
        return list(self._parse_each(items, parse_member, "member"))

    def daily_usage(self, start: date, end: date) -> Iterator[DailyUsageRow]:
        """One row per member per UTC day in ``start..end`` (inclusive), inactive days included.

        Uses the paginated mode (page + pageSize), which returns every member of the team in
        the range with zero rows for inactive days. Windows are ≤30 whole UTC days:
        ``startDate`` = first day 00:00:00.000, ``endDate`` = last day 23:59:59.999 (epoch ms).
        """
        for first, last in day_windows(_as_date(start), _as_date(end)):
            start_ms = _day_start_ms(first)
            end_ms = _day_start_ms(last) + DAY_MS - 1
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
        start_ms = _to_ms(start, end_of_day=False)
        end_ms = _to_ms(end, end_of_day=True)
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
            members.extend(self._parse_each(items, parse_member_spend, "member spend"))
            fetched += len(items)
            if not self._more(data, page, SPEND_PAGE_SIZE, len(items), fetched, "/teams/spend"):
                break
            page += 1
        return SpendReport(cycle_start=cycle_start, members=members)

    def audit_logs(self, start: datetime, end: datetime) -> Iterator[AuditEvent]:
        """Audit events in ``start..end`` (inclusive), in windows of ≤30 days."""
        start_ms = _to_ms(start, end_of_day=False)
        end_ms = _to_ms(end, end_of_day=True)
        for first, last in ms_windows(start_ms, end_ms):
            yield from self._paged(
                "GET",
                "/teams/audit-logs",
                family=_ADMIN,
                items_key="events",
                parse=parse_audit_event,
                what="audit event",
                page_size=AUDIT_PAGE_SIZE,
                params={"startTime": _iso_ms(first), "endTime": _iso_ms(last)},
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
        for first, last in day_windows(_as_date(start), _as_date(end)):
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
        start, end = _as_date(start), _as_date(end)
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
        for first, last in day_windows(_as_date(start), _as_date(end)):
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

    def _parse_each(self, items: list, parse: Callable, what: str, path: str = "") -> Iterator:
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

    def _call(
        self,
        method: str,
        path: str,
        *,
        family: str,
        params: dict | None = None,
        json: dict | None = None,
        plan_gated: bool = False,
        etag: str | None = None,
    ) -> tuple[dict | None, str | None]:
        """One logical request with retries. Returns (decoded body, ETag), or (None, etag) on 304.

        ``plan_gated`` marks Enterprise-only families, where Cursor answers 401 for a team
        without the plan (cursor-api.md §1.2), so 401 there means PlanRequired.
        """
        headers = {"If-None-Match": etag} if etag else None
        attempt = 0
        while True:
            attempt += 1
            can_retry = attempt <= self.max_retries
            self._limiter.acquire(self.team_id, family, self._on_wait)
            started = time.perf_counter()
            try:
                response = self._http.request(method, path, params=params, json=json, headers=headers)
            except httpx.TimeoutException as exc:
                self._log(method, path, "timeout", started, attempt)
                if can_retry:
                    self._backoff(attempt, BACKOFF_BASE, WAIT_RETRY)
                    continue
                raise CursorTimeout(
                    f"Cursor did not answer {method} {path} in time after {attempt} attempts",
                    path=path,
                ) from exc
            except httpx.TransportError as exc:
                self._log(method, path, type(exc).__name__, started, attempt)
                if can_retry:
                    self._backoff(attempt, BACKOFF_BASE, WAIT_RETRY)
                    continue
                raise CursorUnreachable(
                    f"could not reach Cursor for {method} {path} after {attempt} attempts "
                    f"({type(exc).__name__})",
                    path=path,
                ) from exc
            except httpx.HTTPError as exc:  # e.g. an invalid base URL: retrying will not help
                self._log(method, path, type(exc).__name__, started, attempt)
                raise CursorUnreachable(
                    f"could not call Cursor for {method} {path} ({type(exc).__name__})",
                    path=path,
                ) from exc

            status = response.status_code
            self._log(method, path, status, started, attempt)

            if 200 <= status < 300:
                try:
                    data = decode_json(response.content)
                except ValueError:
                    raise UpstreamError(
                        f"Cursor returned invalid JSON for {method} {path} (HTTP {status})",
                        status=status,
                        path=path,
                    ) from None
                if data.__class__ is not dict:
                    raise UpstreamError(
                        f"Cursor returned a JSON {type(data).__name__} for {method} {path}, "
                        "expected an object",
                        status=status,
                        path=path,
                    )
                return data, response.headers.get("ETag")
            if status == 304 and etag:
                return None, etag
            if status == 429:
                retry_after = retry_after_seconds(response.headers)
                if can_retry:
                    if retry_after is not None:
                        wait = min(retry_after, MAX_RETRY_WAIT)
                        if self._on_wait is not None:
                            self._on_wait(wait, WAIT_CURSOR_429)
                        self._sleep(wait)
                    else:
                        self._backoff(attempt, BACKOFF_BASE_429, WAIT_CURSOR_429)
                    continue
                raise RateLimited(
                    f"Cursor rate-limited {method} {path} after {attempt} attempts",
                    retry_after=retry_after,
                    status=status,
                    path=path,
                )
            if status >= 500:
                if can_retry:
                    self._backoff(attempt, BACKOFF_BASE, WAIT_RETRY)
                    continue
                raise UpstreamError(
                    f"Cursor answered HTTP {status} to {method} {path} after {attempt} attempts"
                    f"{self._cursor_message(response)}",
                    status=status,
                    path=path,
                )
            if status == 401:
                cls = PlanRequired if plan_gated else InvalidApiKey
                raise cls(
                    f"Cursor answered HTTP 401 to {method} {path}{self._cursor_message(response)}",
                    status=status,
                    path=path,
                )
            if status == 403:
                raise PlanRequired(
                    f"Cursor answered HTTP 403 to {method} {path}{self._cursor_message(response)}",
                    status=status,
                    path=path,
                )
            raise UpstreamError(
                f"Cursor answered HTTP {status} to {method} {path}{self._cursor_message(response)}",
                status=status,
                path=path,
            )

    def _backoff(self, attempt: int, base: float, reason: str) -> None:
        """Exponential backoff with full jitter: a random wait in [0, min(cap, base·2^(n-1))]."""
        wait = random.uniform(0, min(BACKOFF_CAP, base * 2 ** (attempt - 1)))
        if self._on_wait is not None:
            self._on_wait(wait, reason)
        self._sleep(wait)

    def _cursor_message(self, response: httpx.Response) -> str:
        """Cursor's own error text (``message`` / ``error``), short and scrubbed of the key."""
        try:
            body = decode_json(response.content)
        except ValueError:
            return ""
        if body.__class__ is not dict:
            return ""
        text = body.get("message") or body.get("error")
        if not isinstance(text, str) or not text.strip():
            return ""
        text = " ".join(text.split())[:200].replace(self._scrub, "[key]")
        return f": {text}"

    def _log(self, method: str, path: str, status, started: float, attempt: int) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "cursor api %s %s -> %s in %.0f ms (attempt %d)",
            method,
            path,
            status,
            duration_ms,
            attempt,
            extra={
                "cursor_method": method,
                "cursor_path": path,
                "cursor_status": status,
                "cursor_duration_ms": round(duration_ms, 1),
                "cursor_attempt": attempt,
                "cursor_team": self.team_id[:12],
            },
        )


# -------------------------------------------------------------------------------------------------
# Helpers (module level so tests can check them directly)


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP-date) or ``X-RateLimit-Reset``.

    ``X-RateLimit-Reset`` is read as an epoch timestamp (s or ms) when it looks like one, else as
    seconds from now. Returns None when neither header is usable.
    """
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
    value = headers.get("X-RateLimit-Reset")
    if value:
        try:
            reset = float(value.strip())
        except ValueError:
            return None
        if reset > 1e12:  # epoch milliseconds
            return max(0.0, reset / 1000 - time.time())
        if reset > 1e9:  # epoch seconds
            return max(0.0, reset - time.time())
        return max(0.0, reset)
    return None


def day_windows(start: date, end: date, max_days: int = MAX_WINDOW_DAYS) -> list[tuple[date, date]]:
    """Split inclusive ``start..end`` into consecutive inclusive windows of ≤ ``max_days`` days."""
    windows = []
    first = start
    while first <= end:
        last = min(end, first + timedelta(days=max_days - 1))
        windows.append((first, last))
        first = last + timedelta(days=1)
    return windows


def ms_windows(start_ms: int, end_ms: int, max_days: int = MAX_WINDOW_DAYS) -> list[tuple[int, int]]:
    """Split inclusive epoch-ms ``start..end`` into windows within ``max_days`` UTC days.

    Each window ends at 23:59:59.999 UTC of its last day (or at ``end_ms``) and the next one
    starts 1 ms later, at midnight: no gap, no overlap, each window spans < ``max_days`` days.
    """
    windows = []
    first = start_ms
    while first <= end_ms:
        day_start = first - first % DAY_MS
        last = min(end_ms, day_start + max_days * DAY_MS - 1)
        windows.append((first, last))
        first = last + 1
    return windows


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return (value if value.tzinfo is None else value.astimezone(UTC)).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def _day_start_ms(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY_MS


def _to_ms(value, *, end_of_day: bool) -> int:
    """Aware/naive (UTC) datetime to epoch ms (floor); a date means its first or last ms."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        delta = value - datetime(1970, 1, 1, tzinfo=UTC)
        return delta // timedelta(milliseconds=1)
    if isinstance(value, date):
        return _day_start_ms(value) + (DAY_MS - 1 if end_of_day else 0)
    raise TypeError(f"expected a datetime, got {type(value).__name__}")


def _iso_ms(ms: int) -> str:
    dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


__all__ = [
    "ANALYTICS_TEAM_METRICS",
    "CursorClient",
    "CursorError",
    "day_windows",
    "ms_windows",
    "retry_after_seconds",
]
