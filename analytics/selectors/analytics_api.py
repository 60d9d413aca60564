"""Rows of Cursor's Analytics API (Enterprise) as synced: `TeamAnalytics`, long format.

Every query filters by organization."""

from datetime import date

from ..models import TeamAnalytics


def team_analytics_rows(org, start: date, end: date, *, metric: str | None = None):
    """The stored rows of start..end (one metric's, or all), by metric, day and key."""
    rows = TeamAnalytics.objects.filter(organization=org, day__range=(start, end))
    if metric:
        rows = rows.filter(metric=metric)
    return rows.order_by("metric", "day", "key", "pk").values("metric", "day", "key", "values")


def team_analytics_metrics(org) -> list[str]:
    """The Analytics API endpoints with stored rows."""
    return list(
        TeamAnalytics.objects.filter(organization=org)
        .values_list("metric", flat=True)
        .distinct()
        .order_by("metric")
    )
