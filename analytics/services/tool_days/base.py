"""The neutral metric names and the rollups every tool's facts feed: ToolOrgDay (per
organization) and ToolTeamDay (per team, sub-teams included, with the membership valid on each
day). Every statement is scoped by organization_id; the SQL is portable (PostgreSQL, SQLite)."""

from datetime import date

from django.db import connection, transaction
from django.db.models import Max, Min

from people.models import TeamClosure, TeamMembership

from ...models import ToolDay, ToolOrgDay, ToolTeamDay
from ..activity_months import rebuild_activity_months

# The neutral metrics, in the column order every tool's mapping uses.
METRICS = [
    "requests", "accepted_suggestions", "suggested_lines", "accepted_lines", "billed_requests",
    "request_units", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
    "cost_cents",
]  # fmt: skip


def _rollup_sql(table: str, group: str, facts: str) -> str:
    """The one rollup statement: `facts` (rows of ToolDay aliased `t`, with a `team_id`
    column) summed per `group` and day into `table`."""
    sums = ", ".join(f"SUM(t.{metric})" for metric in METRICS)
    team_column = "team_id, " if group else ""
    return f"""
        INSERT INTO {table}
            (organization_id, tool, {team_column}day, active_people, people, {", ".join(METRICS)},
             cost_is_estimate)
        SELECT %(org)s, %(tool)s, {"t.team_id, " if group else ""}t.day,
               SUM(CASE WHEN t.active THEN 1 ELSE 0 END), COUNT(*), {sums},
               MAX(CASE WHEN t.cost_is_estimate THEN 1 ELSE 0 END) = 1
        FROM ({facts}) t
        GROUP BY {"t.team_id, " if group else ""}t.day
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


_FACTS = f"""
    SELECT f.* FROM {ToolDay._meta.db_table} f
    WHERE f.organization_id = %(org)s AND f.tool = %(tool)s AND f.day BETWEEN %(start)s AND %(end)s
"""  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
# The membership valid on the fact's day (inclusive dates; no end: still in the team).
_VALID = "m.person_id = f.person_id AND m.organization_id = %(org)s AND m.start <= f.day AND (m.end IS NULL OR m.end >= f.day)"
# Each fact once per team that contains it (directly or through a sub-team), de-duplicated so
# a person in two sub-teams counts once for their common parent.
_TEAM_FACTS = f"""
    SELECT f.*, x.team_id FROM {ToolDay._meta.db_table} f
    JOIN (
        SELECT DISTINCT c.ancestor_id AS team_id, f.id AS fact_id
        FROM {ToolDay._meta.db_table} f
        JOIN {TeamMembership._meta.db_table} m ON {_VALID}
        JOIN {TeamClosure._meta.db_table} c ON c.descendant_id = m.team_id AND c.organization_id = %(org)s
        WHERE f.organization_id = %(org)s AND f.tool = %(tool)s AND f.day BETWEEN %(start)s AND %(end)s
    ) x ON x.fact_id = f.id
"""  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
_NO_TEAM_FACTS = _FACTS + f"AND NOT EXISTS (SELECT 1 FROM {TeamMembership._meta.db_table} m WHERE {_VALID})"  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


def org_rollup_sql() -> str:
    return _rollup_sql(ToolOrgDay._meta.db_table, "", _FACTS)


def _team_rollup_sqls() -> list[str]:
    table = ToolTeamDay._meta.db_table
    no_team = _NO_TEAM_FACTS.replace("SELECT f.*", "SELECT f.*, CAST(NULL AS BIGINT) AS team_id", 1)
    return [_rollup_sql(table, "team", _TEAM_FACTS), _rollup_sql(table, "team", no_team)]


def rebuild_team_days(cursor, params: dict) -> None:
    """Rebuild what is derived from one tool's facts of start..end beyond ToolOrgDay: the team
    rollup and the per-month activity bitmasks (for the whole months those days fall in)."""
    ToolTeamDay.objects.filter(
        organization_id=params["org"], tool=params["tool"], day__range=(params["start"], params["end"])
    ).delete()
    for sql in _team_rollup_sqls():
        cursor.execute(sql, params)
    rebuild_activity_months(cursor, params["org"], params["tool"], params["start"], params["end"])


def refresh_team_days(organization_id: int, start: date | None = None, end: date | None = None) -> None:
    """Rebuild ToolTeamDay of every tool for start..end (default: every day with facts).

    Call after teams, the tree or memberships changed; a sync calls it through
    `refresh_cursor_tool_days`.
    """
    spans = (
        ToolDay.objects.filter(organization_id=organization_id)
        .values("tool")
        .annotate(first=Min("day"), last=Max("day"))
        .order_by()
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for span in spans:
            lo = max(span["first"], start) if start else span["first"]
            hi = min(span["last"], end) if end else span["last"]
            if lo <= hi:
                rebuild_team_days(
                    cursor, {"org": organization_id, "tool": span["tool"], "start": lo, "end": hi}
                )
