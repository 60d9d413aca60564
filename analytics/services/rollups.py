"""Daily rollups the dashboard and API read, recomputed set-based for a range of days.

`refresh_rollups` deletes the organization's rollup rows for the days given and rebuilds
them from DailyUsage, UsageEvent and CursorMember with three INSERT … SELECT statements,
then rewrites the members' running totals carried forward per day (MemberRunningTotal) from
the first day refreshed on, inside one transaction: rollups are derived data, so rebuilding is idempotent and a
reader never sees a half-refreshed day. Portable SQL (PostgreSQL in production and tests,
SQLite in the embedded demo). Every statement is scoped by organization_id.
"""

from datetime import date

from django.db import connection, transaction

from ..models import (
    CursorMember,
    MemberDailyRollup,
    MemberRunningTotal,
    ModelDailyRollup,
    OrgDailyRollup,
    UsageEvent,
)
from ..models.rollups import RUNNING_COUNTERS

if "'" in UsageEvent.ERRORED_KIND:  # inlined as an SQL literal below
    raise ValueError("UsageEvent.ERRORED_KIND must not contain a quote")
# Spend leaves out errored requests ("Errored, Not Charged"), whatever they carry.
CHARGED_SQL = f"SUM(CASE WHEN kind = '{UsageEvent.ERRORED_KIND}' THEN 0 ELSE charged_cents END)"

# (rollup column, DailyUsage source column) for the counters that come from daily usage.
ROLLUP_FROM_DAILY_USAGE = [
    ("agent_requests", "agent_requests"),
    ("chat_requests", "chat_requests"),
    ("composer_requests", "composer_requests"),
    ("cmdk_usages", "cmdk_usages"),
    ("tabs_shown", "total_tabs_shown"),
    ("tabs_accepted", "total_tabs_accepted"),
    ("accepts", "total_accepts"),
    ("rejects", "total_rejects"),
    ("applies", "total_applies"),
    ("total_lines_added", "total_lines_added"),
    ("total_lines_deleted", "total_lines_deleted"),
    ("accepted_lines_added", "accepted_lines_added"),
    ("accepted_lines_deleted", "accepted_lines_deleted"),
]
# (rollup column, aggregate over analytics_usageevent) for the counters from usage events.
EVENT_COUNTERS = [
    ("usage_events", "COUNT(*)"),
    ("request_cost_units", "SUM(requests_costs)"),
    ("input_tokens", "SUM(input_tokens)"),
    ("output_tokens", "SUM(output_tokens)"),
    ("cache_read_tokens", "SUM(cache_read_tokens)"),
    ("cache_write_tokens", "SUM(cache_write_tokens)"),
    ("spend_cents", CHARGED_SQL),
]
COUNTER_COLUMNS = [c for c, _ in ROLLUP_FROM_DAILY_USAGE] + [c for c, _ in EVENT_COUNTERS]


def _member_rollup_sql() -> str:
    daily_cols = ", ".join(f"{src} AS {col}" for col, src in ROLLUP_FROM_DAILY_USAGE)
    zero_events = ", ".join(f"0 AS {col}" for col, _ in EVENT_COUNTERS)
    zero_daily = ", ".join(f"0 AS {col}" for col, _ in ROLLUP_FROM_DAILY_USAGE)
    event_cols = ", ".join(f"{agg} AS {col}" for col, agg in EVENT_COUNTERS)
    sums = ", ".join(f"SUM({col})" for col in COUNTER_COLUMNS)
    return f"""
        INSERT INTO {MemberDailyRollup._meta.db_table}
            (organization_id, member_id, day, is_active, top_model, {", ".join(COUNTER_COLUMNS)})
        SELECT %s, member_id, day, MAX(active) = 1, MAX(top_model), {sums}
        FROM (
            SELECT member_id, day, CASE WHEN is_active THEN 1 ELSE 0 END AS active,
                   most_used_model AS top_model, {daily_cols}, {zero_events}
            FROM analytics_dailyusage
            WHERE organization_id = %s AND day BETWEEN %s AND %s
            UNION ALL
            SELECT member_id, day, 1 AS active, '' AS top_model, {zero_daily}, {event_cols}
            FROM analytics_usageevent
            WHERE organization_id = %s AND day BETWEEN %s AND %s
            GROUP BY member_id, day
        ) AS per_member_day
        GROUP BY member_id, day
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


def _org_rollup_sql() -> str:
    sums = ", ".join(f"SUM({col})" for col in COUNTER_COLUMNS)
    return f"""
        INSERT INTO {OrgDailyRollup._meta.db_table}
            (organization_id, day, active_users, seats, {", ".join(COUNTER_COLUMNS)})
        SELECT %s, day, SUM(CASE WHEN is_active THEN 1 ELSE 0 END), %s, {sums}
        FROM {MemberDailyRollup._meta.db_table}
        WHERE organization_id = %s AND day BETWEEN %s AND %s
        GROUP BY day
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


def _model_rollup_sql() -> str:
    return f"""
        INSERT INTO {ModelDailyRollup._meta.db_table}
            (organization_id, day, model, kind, usage_events, users, request_cost_units,
             input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, spend_cents)
        SELECT %s, day, model, kind, COUNT(*), COUNT(DISTINCT member_id), SUM(requests_costs),
               SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens),
               SUM(cache_write_tokens), {CHARGED_SQL}
        FROM analytics_usageevent
        WHERE organization_id = %s AND day BETWEEN %s AND %s
        GROUP BY day, model, kind
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


def rewrite_running_days(cursor, organization_id: int, start: date) -> None:
    """Rewrite MemberRunningTotal from ``start`` on: the member rollup's running totals
    (RUNNING_COUNTERS, active days, the last active day) carried forward per day.

    Its rows from ``start`` are deleted, then rewritten one day at a time, in day order, for
    every day from ``start`` on that has member rollup rows: a member's row is their carried
    row of the table's previous day plus their rollup row of that day, if any (`last_row_day`
    is the day of their latest rollup row). Members with no rollup row yet get none. Each
    day is one GROUP BY over two days' rows read by (organization, day) index, no join, so
    the plan does not depend on statistics a backfill has not gathered yet (a NOT EXISTS ran
    as a nested loop on just-filled tables: 30 s for 30 days at 1,000 members), and each
    day's rows are stored together.
    """
    rollup, totals = MemberDailyRollup._meta.db_table, MemberRunningTotal._meta.db_table
    counters = [f"running_{c}" for c in RUNNING_COUNTERS]
    columns = ", ".join(["last_row_day", "last_active_day", "running_active_days", *counters])
    sums = ", ".join(f"SUM(u.{c})" for c in counters)
    own = ", ".join(f"r.{c} AS {rc}" for c, rc in zip(RUNNING_COUNTERS, counters, strict=True))
    carried = ", ".join(f"t.{c}" for c in counters)
    org = organization_id
    delete = f"DELETE FROM {totals} WHERE organization_id = %s AND day >= %s"  # nosec B608  # table name from model metadata; values are bound parameters
    cursor.execute(delete, [org, start])
    before = f"SELECT MAX(day) FROM {totals} WHERE organization_id = %s AND day < %s"  # nosec B608  # table name from model metadata; values are bound parameters
    cursor.execute(before, [org, start])
    previous = cursor.fetchone()[0]
    days_sql = f"SELECT DISTINCT day FROM {rollup} WHERE organization_id = %s AND day >= %s ORDER BY day"  # nosec B608  # table name from model metadata; values are bound parameters
    cursor.execute(days_sql, [org, start])
    days = [row[0] for row in cursor.fetchall()]
    insert = f"""
        INSERT INTO {totals} (organization_id, member_id, day, {columns})
        SELECT %s, u.member_id, %s, MAX(u.last_row_day), MAX(u.last_active_day),
               SUM(u.running_active_days), {sums}
        FROM (
            SELECT r.member_id, r.day AS last_row_day,
                   CASE WHEN r.is_active THEN r.day END AS last_active_day,
                   CASE WHEN r.is_active THEN 1 ELSE 0 END AS running_active_days, {own}
            FROM {rollup} r
            WHERE r.organization_id = %s AND r.day = %s
            UNION ALL
            SELECT t.member_id, t.last_row_day, t.last_active_day, t.running_active_days, {carried}
            FROM {totals} t
            WHERE t.organization_id = %s AND t.day = %s
        ) u
        GROUP BY u.member_id
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
    for day in days:
        cursor.execute(insert, [org, day, org, day, org, previous])
        previous = day


def seat_count(organization_id: int) -> int:
    """Seats = people on the Cursor roster who have not been removed."""
    return CursorMember.objects.filter(
        organization_id=organization_id, is_removed=False, not_in_roster=False
    ).count()


def refresh_rollups(organization_id: int, start: date, end: date) -> None:
    """Rebuild the three rollups of one organization for the UTC days start..end inclusive."""
    if start > end:
        return
    seats = seat_count(organization_id)
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (OrgDailyRollup, MemberDailyRollup, ModelDailyRollup):
            model.objects.filter(organization_id=organization_id, day__range=(start, end)).delete()
        org, window = organization_id, (start, end)
        cursor.execute(_member_rollup_sql(), [org, org, *window, org, *window])
        cursor.execute(_org_rollup_sql(), [org, seats, org, *window])
        cursor.execute(_model_rollup_sql(), [org, org, *window])
        rewrite_running_days(cursor, org, start)
