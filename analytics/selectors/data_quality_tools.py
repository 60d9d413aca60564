"""Data-quality checks for the tools other than Cursor (analytics/selectors/data_quality.py has
Cursor's and the `Check` shape). Copilot: days without GitHub's usage report."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Min

from ..models import CopilotReportDay
from .data_quality import NUMBERS_AT_MOST, OK, WARNING, Check, _listed, _plural

# GitHub publishes a day's report about a day after it ends (docs/copilot-api.md §2.2): a
# younger day without one is not missing yet.
COPILOT_SETTLE_DAYS = 2


def copilot_missing_days(organization_id: int, start: date, end: date, *, today: date) -> Check:
    """Days of the window old enough to have a report, from the first reported day on, that
    have none (GitHub answered "no report", or the day was never fetched). Two queries."""
    reports = CopilotReportDay.objects.filter(organization_id=organization_id, report="users")
    first = reports.filter(status=CopilotReportDay.Status.REPORTED).aggregate(first=Min("day"))["first"]
    last = min(end, today - timedelta(days=COPILOT_SETTLE_DAYS))
    title = "Missing days"
    if first is None or max(start, first) > last:
        return Check(
            "missing_days", OK, title, "No day old enough to check yet.", {"checked_days": 0, "missing": 0}
        )
    first = max(start, first)
    reported = set(
        reports.filter(day__range=(first, last), status=CopilotReportDay.Status.REPORTED).values_list(
            "day", flat=True
        )
    )
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    missing = [d.isoformat() for d in days if d not in reported]
    numbers = {
        "checked_days": len(days),
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "missing": len(missing),
        "missing_days": missing[:NUMBERS_AT_MOST],
    }
    if missing:
        message = (
            f"GitHub has no Copilot usage report for {_plural(len(missing), 'day')} between {first.isoformat()} "
            f"and {last.isoformat()}: {_listed(missing)}. Charts show a gap there (never zeros); the next "
            "syncs ask again."
        )
        return Check("missing_days", WARNING, title, message, numbers)
    message = f"GitHub reported every one of the {_plural(len(days), 'day')} from {first.isoformat()}."
    return Check("missing_days", OK, title, message, numbers)
