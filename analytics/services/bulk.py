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

import threading
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

import orjson
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
    model: type[models.Model],
    columns: Sequence[str],
    rows: list[tuple],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
) -> int:
    """Insert rows believed to be new (e.g. a day never stored before) in one batch.

    On PostgreSQL they are COPied straight into the table, skipping the staging table: about
    half the database work of an upsert. If the belief was wrong (a key already exists, or the
    batch holds one key twice), the batch is rolled back and upserted instead (``update`` as in
    ``upsert``), so the result is the same either way. A COPY stops at its first conflicting
    row, so a batch that was all stored already costs little more than the upsert alone.
    """
    if not rows:
        return 0
    if not _is_postgresql():
        return upsert(model, columns, rows, conflict=conflict, update=update)
    table = model._meta.db_table
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")  # see _copy_upsert
            copy_rows(cursor, table, columns, rows)
    except (IntegrityError, _psycopg_integrity_error()):
        # (COPY runs on the raw psycopg cursor, so its error arrives unwrapped by Django.)
        return upsert(model, columns, rows, conflict=conflict, update=update)
    return len(rows)


def _psycopg_integrity_error() -> type[Exception]:
    import psycopg

    return psycopg.IntegrityError


# -- COPY ---------------------------------------------------------------------------------------

# Binary COPY sends each value in PostgreSQL's own wire form: nothing to format as text on our
# side, nothing to parse on the server's (about a third less client CPU per usage event). It
# needs every value to be exactly of its column's type, so it is used when every column is of a
# type below and the batch's values are of the matching Python types; anything else (JSON, an
# int where a Decimal column expects a Decimal) goes as text, as before.
_BINARY_TYPES = {
    "bigint": int, "integer": int, "smallint": int, "boolean": bool, "text": str,
    "character varying": str, "date": date, "timestamp with time zone": datetime, "numeric": Decimal,
}  # fmt: skip
_JSON_TYPES = ("json", "jsonb")
# (table, columns) -> (binary types or None, positions of JSON columns)
_column_types: dict[
    tuple[str, tuple[str, ...]], tuple[tuple[tuple[int, type], ...] | None, tuple[int, ...]]
] = {}
_types_lock = threading.Lock()


def _copy_types(cursor, table: str, columns: Sequence[str]):
    """For ``columns`` of ``table``: (type oid, Python type) per column if all of them can go
    binary, else None; and the positions of the JSON columns (the text path encodes those).
    Looked up once per process and table (column types change only with a migration)."""
    key = (table, tuple(columns))
    if key in _column_types:
        return _column_types[key]
    cursor.execute(
        "SELECT attname, atttypid::int, format_type(atttypid, NULL) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [connection.ops.quote_name(table)],
    )
    by_name = {name: (oid, kind) for name, oid, kind in cursor.fetchall()}
    kinds = [by_name.get(c, (0, None)) for c in columns]
    types = tuple((oid, _BINARY_TYPES.get(kind)) for oid, kind in kinds)
    result = (
        None if any(py is None for _, py in types) else types,
        tuple(i for i, (_, kind) in enumerate(kinds) if kind in _JSON_TYPES),
    )
    with _types_lock:
        _column_types[key] = result
    return result


def _fits(rows: Sequence[tuple], types: tuple[tuple[int, type], ...]) -> bool:
    """Every value is None or exactly its column's Python type (bool is an int in Python, and
    an int column must not get a bool); an aware datetime subclass passes too.

    Checked column by column: the classes of a column's values are collected at C speed
    (``zip``, ``map``, ``set``), and only a column holding an unexpected class is looked at
    value by value."""
    for column, (_, py) in zip(zip(*rows, strict=True), types, strict=False):
        classes = set(map(type, column))
        classes.discard(py)
        classes.discard(type(None))
        if classes and not (py is datetime and all(issubclass(c, datetime) for c in classes)):
            return False
    return True


def copy_rows(
    cursor, table: str, columns: Sequence[str], rows: Sequence[tuple], *, types_of: str | None = None
) -> None:
    """COPY ``rows`` into ``table`` on Django's ``cursor``: binary where it can (above), else text.

    ``types_of`` names the table whose column types ``table`` has (a staging table's target).
    """
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    raw = cursor.cursor  # the psycopg cursor under Django's wrapper
    if not rows:
        return
    types, json_positions = _copy_types(cursor, types_of or table, columns)
    if len(rows[0]) != len(columns):
        raise ValueError(f"rows of {len(rows[0])} values for {len(columns)} columns")
    if types is not None and _fits(rows, types):
        with raw.copy(f"COPY {qn(table)} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:  # nosec B608  # identifiers from model metadata
            copy.set_types([oid for oid, _ in types])
            for row in rows:
                copy.write_row(row)
        return
    with raw.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:  # nosec B608  # identifiers from model metadata
        if json_positions:
            # COPY's text format has no adapter for dicts/lists: JSON text for those (only the
            # JSON columns can hold them), every other value as it is.
            dumps = orjson.dumps
            for row in rows:
                values = list(row)
                for i in json_positions:
                    if isinstance(values[i], dict | list):
                        values[i] = dumps(values[i]).decode()
                copy.write_row(values)
        else:
            for row in rows:
                copy.write_row(row)


def _copy_upsert(table, columns, rows, conflict, update) -> None:
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    stage = f"_stage_{table}"
    if update:
        action = "DO UPDATE SET " + ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in update)  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
    else:
        action = "DO NOTHING"
    with transaction.atomic(), connection.cursor() as cursor:
        # A batch need not wait for its WAL flush: the run's final status is committed
        # synchronously, which flushes every earlier batch with it, and a batch lost in a
        # database crash before that is fetched again by the next run (upserts are idempotent).
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # Same column types as the target, none of its constraints; dropped at commit.
        cursor.execute(
            f"CREATE TEMP TABLE {qn(stage)} ON COMMIT DROP AS SELECT {cols} FROM {qn(table)} WITH NO DATA"  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
        )
        copy_rows(cursor, stage, columns, rows, types_of=table)
        cursor.execute(
            f"INSERT INTO {qn(table)} ({cols}) SELECT {cols} FROM {qn(stage)} "
            f"ON CONFLICT ({', '.join(qn(c) for c in conflict)}) {action}"  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
        )
        # ON COMMIT DROP alone is not enough when a caller wraps us in a longer transaction.
        cursor.execute(f"DROP TABLE {qn(stage)}")


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
