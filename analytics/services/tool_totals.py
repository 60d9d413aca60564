"""Each tool's own per-day sums for the organization (`CopilotDayTotals`,
`ClaudeCodeDayTotals`): the Tools page reads a row per day instead of one per user and day.

Rebuilt for the days a refresh touched, in the refresh's transaction, from the same rows the
sums stand for (every row: people, unlinked users and API keys alike). Portable SQL.
"""

from __future__ import annotations

from datetime import date

from ..models import (
    ClaudeCodeActorDay,
    ClaudeCodeDayTotals,
    ClaudeCodeModelDay,
    CopilotDayTotals,
    CopilotUserDay,
)

_DAYS = "organization_id = %(org)s AND day BETWEEN %(start)s AND %(end)s"


def copilot_statements() -> list[str]:
    return [
        f"DELETE FROM {CopilotDayTotals._meta.db_table} WHERE {_DAYS}",  # nosec B608  # identifiers from model metadata; values are bound parameters
        f"""
        INSERT INTO {CopilotDayTotals._meta.db_table} (organization_id, day, generations, acceptances)
        SELECT %(org)s, u.day, SUM(u.generations), SUM(u.acceptances)
        FROM {CopilotUserDay._meta.db_table} u
        WHERE u.organization_id = %(org)s AND u.day BETWEEN %(start)s AND %(end)s
        GROUP BY u.day
        """,  # nosec B608  # identifiers from model metadata; every value is a bound parameter
    ]


def claude_code_statements() -> list[str]:
    return [
        f"DELETE FROM {ClaudeCodeDayTotals._meta.db_table} WHERE {_DAYS}",  # nosec B608  # identifiers from model metadata; values are bound parameters
        f"""
        INSERT INTO {ClaudeCodeDayTotals._meta.db_table}
            (organization_id, day, actor_rows, sessions, remote_sessions, commits, pull_requests,
             actions_accepted, actions_rejected, lines_added, lines_removed, cost_rows, api_key_cents)
        SELECT %(org)s, x.day, SUM(x.actor_rows), SUM(x.sessions), SUM(x.remote_sessions), SUM(x.commits),
               SUM(x.pull_requests), SUM(x.actions_accepted), SUM(x.actions_rejected), SUM(x.lines_added),
               SUM(x.lines_removed), SUM(x.cost_rows), SUM(x.api_key_cents)
        FROM (
            SELECT a.day, 1 AS actor_rows, COALESCE(a.sessions, 0) AS sessions,
                   CASE WHEN a.is_remote THEN COALESCE(a.sessions, 0) ELSE 0 END AS remote_sessions,
                   a.commits, a.pull_requests, a.actions_accepted, a.actions_rejected, a.lines_added,
                   a.lines_removed, 0 AS cost_rows, CAST(0 AS DECIMAL(16, 6)) AS api_key_cents
            FROM {ClaudeCodeActorDay._meta.db_table} a
            WHERE a.organization_id = %(org)s AND a.day BETWEEN %(start)s AND %(end)s
            UNION ALL
            SELECT m.day, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                   CASE WHEN m.actor_type = 'api_actor' THEN m.cost_cents ELSE 0 END
            FROM {ClaudeCodeModelDay._meta.db_table} m
            WHERE m.organization_id = %(org)s AND m.day BETWEEN %(start)s AND %(end)s
        ) x
        GROUP BY x.day
        """,  # nosec B608  # identifiers from model metadata; every value is a bound parameter
    ]


def rebuild_copilot_day_totals(cursor, organization_id: int, start: date, end: date) -> None:
    for sql in copilot_statements():
        cursor.execute(sql, {"org": organization_id, "start": start, "end": end})


def rebuild_claude_code_day_totals(cursor, organization_id: int, start: date, end: date) -> None:
    for sql in claude_code_statements():
        cursor.execute(sql, {"org": organization_id, "start": start, "end": end})
