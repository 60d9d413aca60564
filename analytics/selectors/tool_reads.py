"""The Tools page's batched reads: several tools' seats, acceptance and daily rollup rows, each
in one statement (analytics.selectors.tools assembles them).
Every query filters by organization."""

from __future__ import annotations

from datetime import date

from django.db import connection

from ..models import (
    ClaudeCodeDayTotals,
    ClaudeCodeUser,
    CopilotDayTotals,
    CopilotSeat,
    CursorMember,
    OrgDailyRollup,
    Tool,
    ToolOrgDay,
)

COMPARED_TOOLS = (Tool.CURSOR, Tool.COPILOT, Tool.CLAUDE_CODE)


def _seats_and_acceptance(org, start: date, end: date) -> tuple[dict, dict]:
    """Each tool's seats (as SEAT_COUNTS counts them) and acceptance rate over start..end (as
    ACCEPTANCE reads it), in one statement of scalar subqueries over the tools' own tables."""
    tables = {
        "cursor": CursorMember._meta.db_table,
        "copilot": CopilotSeat._meta.db_table,
        "claude": ClaudeCodeUser._meta.db_table,
        "rollup": OrgDailyRollup._meta.db_table,
        # Each tool's own per-day sums (a row per day, not per user and day).
        "copilot_day": CopilotDayTotals._meta.db_table,
        "claude_day": ClaudeCodeDayTotals._meta.db_table,
    }
    org_is = "organization_id = %(org)s"
    in_range = f"{org_is} AND day BETWEEN %(start)s AND %(end)s"
    sql = f"""
        SELECT (SELECT COUNT(*) FROM {tables["cursor"]} WHERE {org_is} AND NOT is_removed AND NOT not_in_roster),
               (SELECT COUNT(*) FROM {tables["copilot"]} WHERE {org_is} AND removed_at IS NULL),
               (SELECT COUNT(*) FROM {tables["claude"]} WHERE {org_is} AND removed_at IS NULL),
               (SELECT SUM(accepts) FROM {tables["rollup"]} WHERE {in_range}),
               (SELECT SUM(rejects) FROM {tables["rollup"]} WHERE {in_range}),
               (SELECT SUM(acceptances) FROM {tables["copilot_day"]} WHERE {in_range}),
               (SELECT SUM(generations) FROM {tables["copilot_day"]} WHERE {in_range}),
               (SELECT SUM(actions_accepted) FROM {tables["claude_day"]} WHERE {in_range}),
               (SELECT SUM(actions_rejected) FROM {tables["claude_day"]} WHERE {in_range})
    """  # nosec B608  # identifiers from model metadata; every value is a bound parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": org.pk, "start": start, "end": end})
        cursor_seats, copilot_seats, claude_seats, *sums = cursor.fetchone()
    c_acc, c_rej, g_acc, g_gen, a_acc, a_rej = (int(v or 0) for v in sums)
    seats = {Tool.CURSOR: cursor_seats, Tool.COPILOT: copilot_seats, Tool.CLAUDE_CODE: claude_seats}
    rates = {
        Tool.CURSOR: (c_acc / (c_acc + c_rej)) if c_acc + c_rej else None,
        Tool.COPILOT: (g_acc / g_gen) if g_gen else None,
        Tool.CLAUDE_CODE: a_acc / (a_acc + a_rej) if a_acc + a_rej else None,
    }
    return seats, rates


def _sum(values):
    """SQL's SUM: None when no value is set."""
    present = [v for v in values if v is not None]
    return sum(present[1:], present[0]) if present else None


def _org_days(org, start: date, end: date) -> tuple[dict, dict]:
    """Per tool: the sums of its ToolOrgDay rows over start..end and its trend {day: active
    people}, from one read of those rows (a tool without rows is absent from the sums)."""
    rows = (
        ToolOrgDay.objects.filter(organization=org, tool__in=COMPARED_TOOLS, day__range=(start, end))
        .values_list("tool", "day", "active_people", "cost_cents", "accepted_lines", "suggested_lines",
                     "requests", "cost_is_estimate")
        .order_by("tool", "day")
    )  # fmt: skip
    by_tool: dict[str, list] = {}
    for row in rows:
        by_tool.setdefault(row[0], []).append(row)
    sums, trends = {}, {}
    for tool, tool_rows in by_tool.items():
        sums[tool] = {
            "usage": _sum(r[3] for r in tool_rows),
            "accepted_lines": _sum(r[4] for r in tool_rows),
            "suggested_lines": _sum(r[5] for r in tool_rows),
            "requests": _sum(r[6] for r in tool_rows),
            "estimate": sum(1 for r in tool_rows if r[7]),
        }
        trends[tool] = {r[1]: r[2] for r in tool_rows}
    return sums, trends
