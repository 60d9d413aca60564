"""The Admin API methods of ``CursorClient``: members, daily usage, usage events, spend, audit logs,
and the bulk spend-limit write."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from .errors import PlanRequired, UpstreamError
from .paging import PagedHttp
from .parsing import (
    RECORD_ERRORS,
    UNASSIGNED_GROUP_ID,
    parse_audit_event,
    parse_billing_group,
    parse_daily_row,
    parse_member,
    parse_member_spend,
    parse_usage_event,
    to_datetime,
)
from .records import AuditEvent, BillingGroup, DailyUsageRow, Member, SpendReport, UsageEvent
from .windows import DAY_MS, as_date, day_start_ms, day_windows, iso_ms, ms_windows, to_ms

DAILY_USAGE_PAGE_SIZE = 500  # users per page
USAGE_EVENTS_PAGE_SIZE = 1000  # documented maximum
SPEND_PAGE_SIZE = 500
AUDIT_PAGE_SIZE = 500  # documented maximum
SPEND_LIMITS_BATCH = 100  # documented maximum items per POST /teams/user-spend-limits
SPEND_LIMIT_STATUSES = ("updated", "unchanged", "failed")


@dataclass(frozen=True, slots=True)
class SpendLimitResult:
    """One person's outcome of a bulk spend-limit write: updated, unchanged or failed (with
    Cursor's reason)."""

    email: str
    status: str
    error: str = ""


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

    def set_user_spend_limits(self, updates: Sequence[tuple[str, int | None]]) -> list[SpendLimitResult]:
        """Set (whole dollars) or clear (None) members' Cursor spend limits, in calls of ≤ 100.

        ``POST /teams/user-spend-limits`` (docs/cursor-api.md §2.12; Enterprise, 20/min, paced in
        its own bucket of the admin family). Emails must be unique: Cursor rejects a request
        with duplicates (or > 100 items) as a whole, so this checks before sending. A repeat of
        the current value comes back ``unchanged``. 403 (not enabled for the team) raises
        ``PlanRequired``; other errors are the client's typed errors, raised after the batches
        already applied (their results are lost to the caller, and repeating them is harmless).
        """
        emails = [email.strip().lower() for email, _ in updates]
        if len(set(emails)) != len(emails):
            raise ValueError("each email may appear once")
        for _, dollars in updates:
            if dollars is not None and (
                isinstance(dollars, bool) or not isinstance(dollars, int) or dollars < 0
            ):
                raise ValueError("a spend limit is a whole, non-negative number of dollars or None")
        results: list[SpendLimitResult] = []
        path = "/teams/user-spend-limits"
        for first in range(0, len(updates), SPEND_LIMITS_BATCH):
            batch = updates[first : first + SPEND_LIMITS_BATCH]
            body = {
                "updates": [
                    {"userEmail": email.strip(), "spendLimitDollars": dollars} for email, dollars in batch
                ]
            }
            data, _ = self._call("POST", path, family="admin:spend_limits", json=body)
            items = self._items(data, "results", path)
            by_email = {}
            for item in items:
                if not isinstance(item, dict) or not isinstance(item.get("userEmail"), str):
                    continue
                status = item.get("status") if item.get("status") in SPEND_LIMIT_STATUSES else "failed"
                error = item.get("error") if isinstance(item.get("error"), str) else ""
                if status == "failed" and not error:
                    error = "Cursor did not say why."
                by_email[item["userEmail"].strip().lower()] = SpendLimitResult(
                    item["userEmail"], status, error[:200]
                )
            for email, _ in batch:
                results.append(
                    by_email.get(email.strip().lower())
                    or SpendLimitResult(email, "failed", "Cursor's answer did not mention this person.")
                )
        return results

    def billing_groups(self) -> list[BillingGroup]:
        """Cursor's billing groups with their current members (``GET /teams/groups``,
        docs/cursor-api.md §2.9; Enterprise). The reserved ``Unassigned`` group is left out.

        A plan without billing groups answers 403 (or 401, or 404 where the route does not exist
        for the team): all three raise ``PlanRequired``. Malformed groups are skipped and counted.
        """
        path = "/teams/groups"
        try:
            data, _ = self._call("GET", path, family=_ADMIN, plan_gated=True)
        except UpstreamError as exc:
            if exc.status == 404:
                raise PlanRequired(f"Cursor answered HTTP 404 to GET {path}", status=404, path=path) from None
            raise
        if data.__class__ is not dict:
            raise self._shape_error(path, "groups")
        items = self._items(data, "groups", path)
        groups = [
            g
            for g in self._parse_each(items, parse_billing_group, "billing group", path)
            if g.group_id != UNASSIGNED_GROUP_ID
        ]
        return groups

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
