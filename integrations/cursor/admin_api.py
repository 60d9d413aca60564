"""The Admin API methods of ``CursorClient``: members, daily usage, usage events, spend, audit logs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from .paging import PagedHttp
from .parsing import (
    RECORD_ERRORS,
    parse_audit_event,
    parse_daily_row,
    parse_member,
    parse_member_spend,
    parse_usage_event,
    to_datetime,
)
from .records import AuditEvent, DailyUsageRow, Member, SpendReport, UsageEvent
from .windows import DAY_MS, as_date, day_start_ms, day_windows, iso_ms, ms_windows, to_ms

DAILY_USAGE_PAGE_SIZE = 500  # users per page
USAGE_EVENTS_PAGE_SIZE = 1000  # documented maximum
SPEND_PAGE_SIZE = 500
AUDIT_PAGE_SIZE = 500  # documented maximum

_ADMIN = "admin"
_EVENTS = "usage_events"


class AdminApi(PagedHttp):
    """The ``/teams/*`` endpoints, paced in two rate-limit families: admin and usage events."""

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

    def _cycle_start(self, data: dict) -> datetime:
        raw = data.get("subscriptionCycleStart")
        if raw is None:
            # Spend in the oldest documented shape (D1 in docs/cursor-api.md §0, mid-2025)
            # covered the calendar month and had no cycle start.
            now = datetime.now(UTC)
            return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        try:
            return to_datetime(raw)
        except RECORD_ERRORS:
            raise self._shape_error("/teams/spend", "subscriptionCycleStart") from None
