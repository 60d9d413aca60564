"""Batched upserts: one statement per batch, never a query per row.

On PostgreSQL a batch is streamed with COPY into a temporary staging table and moved into the
real table with one INSERT … SELECT … ON CONFLICT, which is several times faster than a
multi-row INSERT built by the ORM (no per-field Python preparation, no giant SQL string).
Elsewhere (the embedded SQLite demo) the same rows go through
``bulk_create(update_conflicts=True)``.

Rows are plain tuples in ``columns`` order, using column names (``member_id``, not
``member``): building a model instance per usage event would cost more than storing it.
Each batch commits on its own, so a worker killed mid-sync keeps every finished batch and the
next run's upserts carry on from there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, connection, models, transaction

BATCH_SIZE = 5000


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _dedupe(rows: Iterable[tuple], key_positions: Sequence[int]) -> list[tuple]:
    """Keep the last row per conflict key: ON CONFLICT DO UPDATE rejects a key twice per statement."""
    by_key = {tuple(row[i] for i in key_positions): row for row in rows}
    return list(by_key.values())


def upsert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[tuple],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
    batch_size: int = BATCH_SIZE,
) -> int:
    """Insert ``rows`` into ``model``'s table; on a ``conflict`` key update ``update`` columns.

    An empty ``update`` means DO NOTHING (the row already holds exactly this content).
    Returns the number of rows sent (inserted or matched), after de-duplication per batch.
    """
    key_positions = [columns.index(c) for c in conflict]
    total = 0
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            total += _write_batch(model, columns, _dedupe(batch, key_positions), conflict, update)
            batch = []
    if batch:
        total += _write_batch(model, columns, _dedupe(batch, key_positions), conflict, update)
    return total


def _write_batch(model, columns, rows, conflict, update) -> int:
    if not rows:
        return 0
    if _is_postgresql():
        _copy_upsert(model._meta.db_table, columns, rows, conflict, update)
    else:
        _orm_upsert(model, columns, rows, conflict, update)
    return len(rows)


def insert_new(
    model: type[models.Model], columns: Sequence[str], rows: list[tuple], *, conflict: Sequence[str]
) -> int:
    """Insert rows believed to be new (e.g. a day never stored before) in one batch.

    On PostgreSQL they are COPied straight into the table, skipping the staging table: about
    half the database work of an upsert. If the belief was wrong (a key already exists), the
    batch is rolled back and upserted instead, so the result is the same either way.
    """
    if not rows:
        return 0
    if not _is_postgresql():
        return upsert(model, columns, rows, conflict=conflict)
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")  # see _copy_upsert
            with cursor.cursor.copy(f"COPY {qn(model._meta.db_table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    except (IntegrityError, _psycopg_integrity_error()):
        # (COPY runs on the raw psycopg cursor, so its error arrives unwrapped by Django.)
        return upsert(model, columns, rows, conflict=conflict)
    return len(rows)


def _psycopg_integrity_error() -> type[Exception]:
    import psycopg

    return psycopg.IntegrityError


def _copy_value(value):
    # COPY's text format has no adapter for dicts/lists: send JSON text into the jsonb column.
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _copy_upsert(table, columns, rows, conflict, update) -> None:
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    stage = qn(f"_stage_{table}")
    if update:
        action = "DO UPDATE SET " + ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in update)  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
    else:
        action = "DO NOTHING"
    has_json = any(isinstance(v, dict | list) for v in rows[0])
    with transaction.atomic(), connection.cursor() as cursor:
        # A batch need not wait for its WAL flush: the run's final status is committed
        # synchronously, which flushes every earlier batch with it, and a batch lost in a
        # database crash before that is fetched again by the next run (upserts are idempotent).
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # Same column types as the target, none of its constraints; dropped at commit.
        cursor.execute(
            f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {qn(table)} WITH NO DATA"  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
        )
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            if has_json:
                for row in rows:
                    copy.write_row([_copy_value(v) for v in row])
            else:
                for row in rows:
                    copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {qn(table)} ({cols}) SELECT {cols} FROM {stage} "
            f"ON CONFLICT ({', '.join(qn(c) for c in conflict)}) {action}"  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
        )
        # ON COMMIT DROP alone is not enough when a caller wraps us in a longer transaction.
        cursor.execute(f"DROP TABLE {stage}")


def _orm_upsert(model, columns, rows, conflict, update) -> None:
    # Column names map to attnames (member_id), which model constructors accept.
    objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    fields = {f.column: f.name for f in model._meta.concrete_fields}
    kwargs = {}
    if update:
        kwargs = {
            "update_conflicts": True,
            "unique_fields": [fields[c] for c in conflict],
            "update_fields": [fields[c] for c in update],
        }
    else:
        kwargs = {"ignore_conflicts": True}
    with transaction.atomic():
        model.objects.bulk_create(objs, batch_size=500, **kwargs)
