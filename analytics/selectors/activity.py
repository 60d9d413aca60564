"""Who was active, read from the tool-neutral facts (`ToolDay`, `ToolOrgDay`).

These are the cross-tool parts of the pages: a person counts once however many of their
tool identities were active. Every query filters by organization (and the tool asked for).
"""

from datetime import date

from django.db import connection
from django.db.models import Q, Sum

from ..models import ToolOrgDay, ToolPersonMonth
from .activity_months import Windows


def active_people_per_day(org, start: date, end: date, *, tool: str) -> dict[date, int]:
    """People active each day start..end (sparse: days without facts are absent)."""
    rows = ToolOrgDay.objects.filter(organization=org, tool=tool, day__range=(start, end))
    return dict(rows.values_list("day", "active_people"))


def active_person_days(org, start: date, end: date, prev_start: date, *, tool: str) -> tuple[int, int]:
    """Person-days of activity in start..end and in the previous period prev_start..start-1."""
    sums = ToolOrgDay.objects.filter(organization=org, tool=tool, day__range=(prev_start, end)).aggregate(
        cur=Sum("active_people", filter=Q(day__gte=start)),
        prev=Sum("active_people", filter=Q(day__lt=start)),
    )
    return sums["cur"] or 0, sums["prev"] or 0


def distinct_active(org, windows: dict[str, tuple[date, date]], *, tool: str) -> dict[str, int]:
    """Distinct active people in each named window (first day, last day), in one query over
    the per-month activity bitmasks (`ToolPersonMonth`): one row per person and month of the
    windows, whatever their length in days."""
    w = Windows()
    counts = ", ".join(
        f"COUNT(DISTINCT CASE WHEN {w.test(a, b)} THEN t.person_id END)" for a, b in windows.values()
    )
    sql = f"""
        SELECT {counts} FROM {ToolPersonMonth._meta.db_table} t
        WHERE t.organization_id = %(org)s AND t.tool = %(tool)s AND {w.month_range()}
    """  # nosec B608  # identifiers from model metadata; every value is a bound parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": org.pk, "tool": str(tool), **w.params})
        row = cursor.fetchone()
    return {name: int(value or 0) for name, value in zip(windows, row, strict=True)}


def distinct_active_by_tool(org, start: date, end: date, tools) -> dict[str, int]:
    """Distinct active people in start..end for each of `tools`, in one query (a tool without
    anyone active is absent)."""
    w = Windows()
    test = w.test(start, end)
    tool_list = [str(t) for t in tools]
    marks = ", ".join(f"%(tool{i})s" for i in range(len(tool_list))) or "NULL"
    sql = f"""
        SELECT t.tool, COUNT(DISTINCT t.person_id) FROM {ToolPersonMonth._meta.db_table} t
        WHERE t.organization_id = %(org)s AND t.tool IN ({marks}) AND {w.month_range()} AND {test}
        GROUP BY t.tool
    """  # nosec B608  # identifiers from model metadata; every value is a bound parameter
    params = {"org": org.pk, **{f"tool{i}": t for i, t in enumerate(tool_list)}, **w.params}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())
