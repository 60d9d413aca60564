"""Table-by-table fingerprints of one organization's synced data, to compare a drilled run
with a clean one.

Two organizations synced from identical simulated teams must hold the same rows. A fingerprint
per table: the row count, the sum of every numeric column and a SHA-256 over the sorted rows.
Columns that legitimately differ are left out: primary keys, the organization, and the moments
rows were written (created/updated/captured/ingested). Foreign keys to members and people are
replaced by their email, so the rows compare across organizations.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.apps import apps
from django.db import models

from .procs import say

VOLATILE = {"created_at", "updated_at", "captured_at", "ingested_at"}


def synced_models() -> list[type[models.Model]]:
    """Every table a sync writes: the analytics app's and the people directory's."""
    out = []
    for label in ("analytics", "people"):
        for model in apps.get_app_config(label).get_models():
            if any(f.name == "organization" for f in model._meta.concrete_fields):
                out.append(model)
    return sorted(out, key=lambda m: m._meta.db_table)


def _natural(field: models.ForeignKey, column: str) -> str | None:
    target = field.related_model
    for key in ("email", "primary_email"):
        if any(f.name == key for f in target._meta.concrete_fields):
            return f"(SELECT r.{key} FROM {target._meta.db_table} r WHERE r.id = t.{column})"
    return None


def _columns(model) -> list[tuple[str, str, bool]]:
    """(name, SQL expression, numeric) for each compared column."""
    cols = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name == "organization" or f.name in VOLATILE:
            continue
        if isinstance(f, models.ForeignKey):
            expr = _natural(f, f.column)
            if expr is None:
                continue
            cols.append((f.name, expr, False))
            continue
        numeric = isinstance(
            f, models.IntegerField | models.BigIntegerField | models.DecimalField | models.FloatField
        ) and not isinstance(f, models.BooleanField)
        cols.append((f.name, f"t.{f.column}", numeric))
    return cols


def fingerprint(cursor, organization_id: int) -> dict[str, dict]:
    """{table: {"rows": n, "sums": {column: total}, "hash": hex}} for one organization."""
    out = {}
    for model in synced_models():
        cols = _columns(model)
        sql = f"SELECT {', '.join(e for _, e, _ in cols)} FROM {model._meta.db_table} t WHERE t.organization_id = %s"
        cursor.execute(sql, [organization_id])
        rows = cursor.fetchall()
        sums = {}
        for i, (name, _, numeric) in enumerate(cols):
            if numeric:
                sums[name] = sum((Decimal(str(r[i])) for r in rows if r[i] is not None), Decimal(0))
        digest = hashlib.sha256(
            "\n".join(sorted(repr(tuple(map(str, r))) for r in rows)).encode()
        ).hexdigest()
        out[model._meta.db_table] = {"rows": len(rows), "sums": sums, "hash": digest}
    return out


def assert_same_data(clean: dict, drilled: dict, what: str) -> None:
    """Print the comparison table by table, then fail on any difference."""
    say(f"comparing {what} with a clean run, table by table (count, column sums, content hash):")
    differences = []
    for table in sorted(clean):
        a, b = clean[table], drilled[table]
        same = a == b
        say(
            f"  {table:<36} rows {a['rows']:>6} vs {b['rows']:>6}  "
            f"sums of {len(a['sums'])} columns {'equal' if a['sums'] == b['sums'] else 'DIFFER'}  "
            f"hash {a['hash'][:12]} vs {b['hash'][:12]}  {'OK' if same else 'DIFFERENT'}"
        )
        if not same:
            differences.append(table)
    assert not differences, f"{what}: tables differ from the clean run: {differences}"
    assert sum(t["rows"] for t in clean.values()) > 0, (
        "the clean run stored nothing: the comparison proves nothing"
    )
