"""Daily rollups the dashboard and API read, recomputed set-based for a range of days.

`refresh_rollups` deletes the organization's rollup rows for the days given and rebuilds
them from DailyUsage, UsageEvent and CursorMember with three INSERT … SELECT statements,
then brings the member rows' running totals up to date from the first day refreshed on,
and rewrites the member rows' carried-forward copy (MemberRunningTotal) from that day on,
inside one transaction: rollups are derived data, so rebuilding is idempotent and a
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


def running_totals_sql(table: str = "analytics_memberdailyrollup") -> str:
    """Set the running totals (models.rollups.RUNNING_COUNTERS, active days, last active day)
    of every member rollup row on or after %(start)s: each member's totals at their latest row
    before %(start)s (unchanged by the refresh) plus a running sum over the rows from then on.
    Cost: the rows from %(start)s to the latest day, plus one index probe per member."""
    run = "OVER (PARTITION BY r.member_id ORDER BY r.day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    window_cols = ",\n".join(f"SUM(r.{c}) {run} AS run_{c}" for c in RUNNING_COUNTERS)
    sets = ",\n".join(f"running_{c} = COALESCE(b.running_{c}, 0) + w.run_{c}" for c in RUNNING_COUNTERS)
    return f"""
        UPDATE {table} SET
            running_active_days = COALESCE(b.running_active_days, 0) + w.run_active_days,
            last_active_day = COALESCE(w.run_last_active, b.last_active_day),
            {sets}
        FROM (
            SELECT r.id, r.member_id,
                   SUM(CASE WHEN r.is_active THEN 1 ELSE 0 END) {run} AS run_active_days,
                   MAX(CASE WHEN r.is_active THEN r.day END) {run} AS run_last_active,
                   {window_cols}
            FROM {table} r
            WHERE r.organization_id = %(org)s AND r.day >= %(start)s
        ) w
        JOIN (
            SELECT q.member_id,
                   (SELECT MAX(p.day) FROM {table} p
                    WHERE p.organization_id = %(org)s AND p.member_id = q.member_id AND p.day < %(start)s) AS day
            FROM (SELECT DISTINCT member_id FROM {table} WHERE organization_id = %(org)s AND day >= %(start)s) q
        ) base ON base.member_id = w.member_id
        LEFT JOIN {table} b ON b.organization_id = %(org)s AND b.member_id = base.member_id AND b.day = base.day
        WHERE {table}.id = w.id
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


def rewrite_running_days(cursor, organization_id: int, start: date) -> None:
    """Rewrite MemberRunningTotal from ``start`` on (run after `running_totals_sql`).

    Its rows from ``start`` are deleted, then rewritten one day at a time, in day order, for
    every day from ``start`` on that has member rollup rows: a member's row is their rollup row
    of that day if they have one (`last_row_day` = that day), else their carried row of the
    table's previous day. So members with no row yet get none, and each day's rows are stored
    together. Each day's statement reads two days' rows by (organization, day) index, whatever
    the history (one big statement over every day let the planner hash-join the whole rollup
    table twice: 2 s for one day at 5,000 seats).
    """
    rollup, totals = MemberDailyRollup._meta.db_table, MemberRunningTotal._meta.db_table
    names = ["last_active_day", "running_active_days", *(f"running_{c}" for c in RUNNING_COUNTERS)]
    columns, own, carried = (", ".join(f"{prefix}{c}" for c in names) for prefix in ("", "r.", "t."))
    org = organization_id
    delete = f"DELETE FROM {totals} WHERE organization_id = %s AND day >= %s"  # nosec B608  # table name from model metadata; values are bound parameters
    cursor.execute(delete, [org, start])
    before = f"SELECT MAX(day) FROM {totals} WHERE organization_id = %s AND day < %s"  # nosec B608  # table name from model metadata; values are bound parameters
    cursor.execute(before, [org, start])
    previous = cursor.fetchone()[0]
    days_sql = f"SELECT DISTINCT day FROM {rollup} WHERE organization_id = %s AND day >= %s ORDER BY day"  # nosec B608  # table name from model metadata; values are bound parameters
    cursor.execute(days_sql, [org, start])
    days = [row[0] for row in cursor.fetchall()]
    if connection.vendor == "postgresql":
        # Both days' rows, the member's newest first: a sort of two days' rows, whatever the
        # planner believes of tables a backfill has just filled (with no statistics yet it
        # chose a nested-loop anti-join for NOT EXISTS: a second per day at 1,000 members).
        insert = f"""
            INSERT INTO {totals} (organization_id, member_id, day, last_row_day, {columns})
            SELECT DISTINCT ON (u.member_id) %s, u.member_id, %s, u.last_row_day, {columns}
            FROM (
                SELECT r.member_id, r.day AS last_row_day, {own} FROM {rollup} r
                WHERE r.organization_id = %s AND r.day = %s
                UNION ALL
                SELECT t.member_id, t.last_row_day, {carried} FROM {totals} t
                WHERE t.organization_id = %s AND t.day = %s
            ) u
            ORDER BY u.member_id, u.last_row_day DESC
        """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter

        def params(day, previous):
            return [org, day, org, day, org, previous]

    else:  # SQLite (the embedded mode) has no DISTINCT ON; it probes the NOT EXISTS by index
        insert = f"""
            INSERT INTO {totals} (organization_id, member_id, day, last_row_day, {columns})
            SELECT r.organization_id, r.member_id, r.day, r.day, {own}
            FROM {rollup} r
            WHERE r.organization_id = %s AND r.day = %s
            UNION ALL
            SELECT t.organization_id, t.member_id, %s, t.last_row_day, {carried}
            FROM {totals} t
            WHERE t.organization_id = %s AND t.day = %s
              AND NOT EXISTS (
                  SELECT 1 FROM {rollup} x
                  WHERE x.organization_id = %s AND x.day = %s AND x.member_id = t.member_id
              )
        """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter

        def params(day, previous):
            return [org, day, day, org, previous, org, day]

    for day in days:
        cursor.execute(insert, params(day, previous))
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
        cursor.execute(running_totals_sql(MemberDailyRollup._meta.db_table), {"org": org, "start": start})
        rewrite_running_days(cursor, org, start)
