"""Which UTC days a sync covers.

- First run of an organization: the last ``CURSOR_BACKFILL_DAYS`` days up to today.
- Later runs: from the last stored day minus ``CURSOR_SYNC_LOOKBACK_DAYS`` up to today, since
  Cursor revises recent days and can lag up to 24 hours.
- ``days`` (Sync now with a range, the command's --days) overrides both.

"The last stored day" is the end of the last run that finished (succeeded or partial), not the
newest DailyUsage row: a run killed or failed part-way may have stored today's daily usage but
not yet every day's events, and starting after its rows would skip the missing ones. Days
outside the window are never touched, so history older than Cursor's retention stays.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from integrations.models import Provider, SyncRun


def today() -> date:
    """Today in UTC (a function so tests can move the clock)."""
    return timezone.now().date()


def last_completed_day(organization_id: int) -> date | None:
    return (
        SyncRun.objects.filter(
            organization_id=organization_id,
            provider=Provider.CURSOR,  # another tool's runs say nothing of Cursor's coverage
            status__in=(SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL),
            window_end__isnull=False,
        )
        .order_by("-window_end")
        .values_list("window_end", flat=True)
        .first()
    )


def sync_window(
    organization_id: int, *, days: int | None = None, end: date | None = None
) -> tuple[date, date]:
    end = end or today()
    if days is not None:
        return end - timedelta(days=max(1, int(days)) - 1), end
    last = last_completed_day(organization_id)
    if last is None:
        return end - timedelta(days=max(1, settings.CURSOR_BACKFILL_DAYS) - 1), end
    start = min(last, end) - timedelta(days=settings.CURSOR_SYNC_LOOKBACK_DAYS)
    return start, end


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def revisable_from(end: date) -> date:
    """Oldest day Cursor may still revise; re-fetched events of these days replace stored ones."""
    return end - timedelta(days=settings.CURSOR_SYNC_LOOKBACK_DAYS)
