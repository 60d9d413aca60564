"""The Analytics API methods of ``CursorClient``: team metrics and leaderboards (Enterprise)."""

from __future__ import annotations

from datetime import date

from .paging import PagedHttp
from .parsing import RECORD_ERRORS, parse_analytics_record, parse_leaderboard_entry
from .records import AnalyticsRow, LeaderboardEntry
from .windows import MAX_WINDOW_DAYS, as_date, day_windows

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

LEADERBOARD_PAGE_SIZE = 500  # documented maximum

_ANALYTICS = "analytics_team"


class AnalyticsApi(PagedHttp):
    """``/analytics/team/*``, with responses cached by ETag for the life of the client."""

    def __init__(self, api_key: str, **options) -> None:
        super().__init__(api_key, **options)
        self._etag_cache: dict[tuple, tuple[str, list[AnalyticsRow]]] = {}

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
