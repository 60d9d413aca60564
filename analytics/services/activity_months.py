"""The per-month activity bitmasks the distinct-active reads use (analytics.models.activity),
rebuilt from `ToolDay` for every calendar month a refresh touched.

Raw SQL over table names only (no ORM state), so the backfill migration runs the same
statements. Portable between PostgreSQL and SQLite (the embedded mode): the month and
day-of-month expressions are the only vendor-specific parts. Every statement is scoped by
organization_id and tool. A month is rebuilt whole from the facts, so a refresh of any
days of it leaves it exact; cost: one pass over the month's facts of the tool
(≤ 31 × people rows).
"""

from datetime import date, timedelta

from django.db import connection

TABLES = {
    "fact": "analytics_toolday",
    "person_month": "analytics_toolpersonmonth",
    "team_month": "analytics_toolteampersonmonth",
    "membership": "people_teammembership",
    "closure": "people_teamclosure",
}
_VALID = (
    "m.person_id = f.person_id AND m.organization_id = %(org)s AND m.start <= f.day"
    " AND (m.end IS NULL OR m.end >= f.day)"
)


def month_span(start: date, end: date) -> tuple[date, date]:
    """The first day of start's month and the last day of end's month."""
    first = start.replace(day=1)
    following = (end.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _expressions(vendor: str) -> tuple[str, str]:
    """(the month of f.day as its first day, the bit of f.day in its month)."""
    if vendor == "sqlite":
        return "date(f.day, 'start of month')", "(1 << (CAST(strftime('%%d', f.day) AS INTEGER) - 1))"
    return "CAST(date_trunc('month', f.day) AS date)", "(1 << (CAST(EXTRACT(DAY FROM f.day) AS INTEGER) - 1))"


def _statements(vendor: str) -> list[str]:
    month, bit = _expressions(vendor)
    t = TABLES
    window = "f.organization_id = %(org)s AND f.tool = %(tool)s AND f.day BETWEEN %(first)s AND %(last)s"
    return [
        f"DELETE FROM {t['person_month']} WHERE organization_id = %(org)s AND tool = %(tool)s"  # nosec B608  # identifiers from model metadata and code constants; values are bound parameters
        " AND month BETWEEN %(first)s AND %(last)s",
        f"DELETE FROM {t['team_month']} WHERE organization_id = %(org)s AND tool = %(tool)s"  # nosec B608  # identifiers from model metadata and code constants; values are bound parameters
        " AND month BETWEEN %(first)s AND %(last)s",
        # Each (person, day) has one fact per tool, so summing the day bits is their OR.
        f"""
        INSERT INTO {t["person_month"]} (organization_id, tool, person_id, month, active_mask, fact_mask)
        SELECT %(org)s, %(tool)s, f.person_id, {month},
               SUM(CASE WHEN f.active THEN {bit} ELSE 0 END), SUM({bit})
        FROM {t["fact"]} f
        WHERE {window}
        GROUP BY f.person_id, {month}
        """,  # nosec B608  # identifiers from model metadata and code constants; values are bound parameters
        # A person in two sub-teams is one (team, person, day) for their common parent: DISTINCT.
        f"""
        INSERT INTO {t["team_month"]} (organization_id, tool, team_id, person_id, month, active_mask)
        SELECT %(org)s, %(tool)s, f.team_id, f.person_id, {month}, SUM({bit})
        FROM (
            SELECT DISTINCT c.ancestor_id AS team_id, f.person_id, f.day
            FROM {t["fact"]} f
            JOIN {t["membership"]} m ON {_VALID}
            JOIN {t["closure"]} c ON c.descendant_id = m.team_id AND c.organization_id = %(org)s
            WHERE {window} AND f.active
        ) f
        GROUP BY f.team_id, f.person_id, {month}
        """,  # nosec B608  # identifiers from model metadata and code constants; values are bound parameters
        f"""
        INSERT INTO {t["team_month"]} (organization_id, tool, team_id, person_id, month, active_mask)
        SELECT %(org)s, %(tool)s, NULL, f.person_id, {month}, SUM({bit})
        FROM {t["fact"]} f
        WHERE {window} AND f.active AND NOT EXISTS (SELECT 1 FROM {t["membership"]} m WHERE {_VALID})
        GROUP BY f.person_id, {month}
        """,  # nosec B608  # identifiers from model metadata and code constants; values are bound parameters
    ]  # nosec B608  # table names are constants; every value is a bound parameter


def rebuild_activity_months(cursor, organization_id: int, tool: str, start: date, end: date) -> None:
    """Rebuild both bitmask rollups of one tool for the months overlapping start..end.

    Call after the tool's `ToolDay` rows of those days (or the teams) changed, in the same
    transaction."""
    if start > end:
        return
    first, last = month_span(start, end)
    params = {"org": organization_id, "tool": tool, "first": first, "last": last}
    for sql in _statements(connection.vendor):
        cursor.execute(sql, params)
