"""The Tools page's batched reads: several tools' seats, acceptance, daily rollup rows and the
seat holders of two tools, each in one statement (analytics.selectors.tools assembles them).
Every query filters by organization."""

from __future__ import annotations

from datetime import date

from django.db import connection

from people.models import Person

from ..models import (
    ClaudeCodeActorDay,
    ClaudeCodeUser,
    CopilotSeat,
    CopilotUserDay,
    CursorMember,
    OrgDailyRollup,
    Tool,
    ToolOrgDay,
    ToolPersonMonth,
)
from .activity_months import Windows, day_bits

COMPARED_TOOLS = (Tool.CURSOR, Tool.COPILOT, Tool.CLAUDE_CODE)


def _seats_and_acceptance(org, start: date, end: date) -> tuple[dict, dict]:
    """Each tool's seats (as SEAT_COUNTS counts them) and acceptance rate over start..end (as
    ACCEPTANCE reads it), in one statement of scalar subqueries over the tools' own tables."""
    tables = {
        "cursor": CursorMember._meta.db_table,
        "copilot": CopilotSeat._meta.db_table,
        "claude": ClaudeCodeUser._meta.db_table,
        "rollup": OrgDailyRollup._meta.db_table,
        "copilot_day": CopilotUserDay._meta.db_table,
        "claude_day": ClaudeCodeActorDay._meta.db_table,
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


def _seat_people(org) -> tuple[dict, dict, dict]:
    """In one statement: person id → Cursor member id (listed members not removed), person id →
    Copilot login (seats not removed), and person id → (display name, primary email)."""
    person = Person._meta.db_table
    sql = f"""
        SELECT 'cursor', m.person_id, CAST(m.id AS VARCHAR(100)), p.name, p.primary_email
        FROM {CursorMember._meta.db_table} m JOIN {person} p ON p.id = m.person_id AND p.organization_id = %(org)s
        WHERE m.organization_id = %(org)s AND NOT m.is_removed AND NOT m.not_in_roster
        UNION ALL
        SELECT 'copilot', s.person_id, s.login, p.name, p.primary_email
        FROM {CopilotSeat._meta.db_table} s JOIN {person} p ON p.id = s.person_id AND p.organization_id = %(org)s
        WHERE s.organization_id = %(org)s AND s.removed_at IS NULL
    """  # nosec B608  # identifiers from model metadata; every value is a bound parameter
    cursor_people, copilot_people, people = {}, {}, {}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": org.pk})
        for kind, person_id, key, name, email in cursor.fetchall():
            if kind == "cursor":
                cursor_people[person_id] = int(key)
            else:
                copilot_people[person_id] = key
            people[person_id] = (name or email, email)
    return cursor_people, copilot_people, people


def _active_days(org, person_ids, start: date, end: date) -> dict:
    """(person id, tool) → {"days": active days in start..end, "last": the last of them}, from
    the per-month activity bitmasks (a row per person, tool and month)."""
    if not person_ids:
        return {}
    w = Windows()
    test = w.test(start, end)
    ids = ", ".join(str(int(i)) for i in person_ids)
    sql = f"""
        SELECT t.person_id, t.tool, t.month, t.active_mask FROM {ToolPersonMonth._meta.db_table} t
        WHERE t.organization_id = %(org)s AND {w.month_range()} AND {test} AND t.person_id IN ({ids})
    """  # nosec B608  # identifiers from model metadata, ids cast to int; every value is a bound parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": org.pk, **w.params})
        rows = cursor.fetchall()
    out: dict = {}
    for person_id, tool, month, mask in rows:
        if tool not in COMPARED_TOOLS:
            continue
        if isinstance(month, str):  # SQLite returns dates as text
            month = date.fromisoformat(month)
        days = [d for d in day_bits(month, mask) if start <= d <= end]
        if days:
            entry = out.setdefault((person_id, tool), {"days": 0, "last": None})
            entry["days"] += len(days)
            entry["last"] = max(entry["last"] or days[-1], days[-1])
    return out
