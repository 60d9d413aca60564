"""Monthly partitions of the per-event tables (PostgreSQL only).

`UsageEvent`, `AiCommit` and `AiChange` are partitioned BY RANGE (day), one partition per
calendar month named ``<table>_pYYYY_MM``, plus ``<table>_default``, which takes any day no
partition covers: a sync never fails because a day is beyond the partitions created so far.

`ensure_partitions` keeps the months around today in place (the ``MONTHS_BEHIND`` a backfill
reaches back to, the ``MONTHS_AHEAD`` still to come) and moves rows that landed in the default
partition into a month of their own. It runs after ``migrate`` and daily from Celery beat, and
is idempotent: a month that exists is left alone, and concurrent runs queue on an advisory lock.

Why partitions: a month is the unit old data leaves by (DETACH and archive or DROP, no
multi-hour DELETE), each month's indexes stay small enough to stay in memory while it is the
month being written, and a page's day-range read only touches the months it asks for.

SQLite (the embedded mode) has plain tables: everything here does nothing there.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from ..models import AiChange, AiCommit, UsageEvent

PARTITIONED_MODELS = (UsageEvent, AiCommit, AiChange)
MONTHS_AHEAD = 3
# Backfills reach about 90 days (Cursor) to a year (Claude Code's Console) back: their rows
# land in a month of their own, not in the default partition.
MONTHS_BEHIND = 12
# DDL waits this long for a lock a sync holds, then gives up until the next run.
LOCK_TIMEOUT = "10s"


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y_%m}"


def default_partition_name(table: str) -> str:
    return f"{table}_default"


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))", [table]
        )
        return cursor.fetchone()[0]


def partitions(table: str) -> dict[str, str]:
    """Each partition of ``table`` and its bounds as PostgreSQL prints them."""
    if not is_partitioned(table):
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname
            """,
            [table],
        )
        return dict(cursor.fetchall())


def ensure_partitions(
    *, today: date | None = None, months_ahead: int = MONTHS_AHEAD, months_behind: int = MONTHS_BEHIND
) -> list[str]:
    """Create the missing monthly partitions around ``today``; returns the names created.

    Also gives every month found in a default partition a partition of its own (its rows move
    there), so the default partition stays empty in steady state.
    """
    if connection.vendor != "postgresql":
        return []
    today = today or timezone.now().date()
    current = month_start(today)
    wanted = {add_months(current, n) for n in range(-months_behind, months_ahead + 1)}
    created = []
    for model in PARTITIONED_MODELS:
        table = model._meta.db_table
        if not is_partitioned(table):
            continue
        for month in sorted(wanted | months_in_default(table)):
            if create_partition(table, month):
                created.append(partition_name(table, month))
    return created


def months_in_default(table: str) -> set[date]:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', day)::date FROM {qn(default_partition_name(table))}"  # nosec B608  # identifier from model metadata
        )
        return {row[0] for row in cursor.fetchall()}


def create_partition(table: str, month: date) -> bool:
    """Create ``table``'s partition for ``month`` unless it exists; True if it was created.

    The partition is built detached and then attached, which takes a lighter lock on the
    parent than CREATE TABLE … PARTITION OF (SHARE UPDATE EXCLUSIVE: syncs keep inserting
    into other months meanwhile). Rows of that month in the default partition move into it
    first, since PostgreSQL refuses a partition whose rows the default partition holds.
    """
    qn = connection.ops.quote_name
    name = partition_name(table, month)
    start, end = month, add_months(month, 1)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"koalr-partitions:{table}"])
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        if cursor.fetchone()[0]:
            return False
        parent, part, default = qn(table), qn(name), qn(default_partition_name(table))
        bounds = qn(f"{name}_bounds")
        # nosec B608 below: identifiers from model metadata and dates; values are bound.
        cursor.execute(f"CREATE TABLE {part} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        # Lets ATTACH skip scanning the new table for rows outside the bounds.
        cursor.execute(
            f"ALTER TABLE {part} ADD CONSTRAINT {bounds} CHECK (day >= %s AND day < %s)", [start, end]
        )
        cursor.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE day >= %s AND day < %s RETURNING *) "  # nosec B608
            f"INSERT INTO {part} SELECT * FROM moved",
            [start, end],
        )
        cursor.execute(
            f"ALTER TABLE {parent} ATTACH PARTITION {part} FOR VALUES FROM (%s) TO (%s)",
            [start, end],
        )
        cursor.execute(f"ALTER TABLE {part} DROP CONSTRAINT {bounds}")
    return True
