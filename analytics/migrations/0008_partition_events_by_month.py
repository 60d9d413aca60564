"""Partition usage events and AI Code Tracking rows by month of `day` (PostgreSQL).

For each of analytics_usageevent, analytics_aicommit and analytics_aichange:

- the unique constraint gains `day` (PostgreSQL enforces uniqueness per partition only, so a
  unique key of a partitioned table must include the partition key) and the (organization,
  day) index goes: the new unique index leads with the same two columns;
- on PostgreSQL the plain table is swapped for a table partitioned BY RANGE (day): one partition
  per month that holds rows plus a DEFAULT partition, every row copied with its id, the id
  sequence carried on, the primary key (id, day), the remaining indexes and foreign keys
  recreated under their old names. Django keeps treating `id` as the primary key: ids still
  come from one sequence, so they stay unique across partitions.

The months ahead (and the ones a backfill reaches back to) are created afterwards by
analytics.services.partitions.ensure_partitions: after `migrate` and daily by Celery beat.

SQLite (the embedded mode) keeps plain tables: only the constraint and index changes run there.
Self-contained: the SQL below reads the catalog, not the app's current code.
"""

from datetime import date

from django.db import migrations, models
from django.db.migrations.operations.base import Operation

# table -> what each model's table is called; the models are the ones named in OPERATIONS.
TABLES = {
    "usageevent": "analytics_usageevent",
    "aicommit": "analytics_aicommit",
    "aichange": "analytics_aichange",
}

OPERATIONS = {
    "usageevent": [
        migrations.RemoveConstraint(model_name="usageevent", name="uniq_usage_event_fingerprint"),
        migrations.RemoveIndex(model_name="usageevent", name="analytics_u_organiz_e26f28_idx"),
        migrations.AddConstraint(
            model_name="usageevent",
            constraint=models.UniqueConstraint(
                fields=("organization", "day", "fingerprint"), name="uniq_usage_event_day_fingerprint"
            ),
        ),
    ],
    "aicommit": [
        migrations.RemoveConstraint(model_name="aicommit", name="uniq_ai_commit"),
        migrations.RemoveIndex(model_name="aicommit", name="analytics_a_organiz_35a2a6_idx"),
        migrations.AddConstraint(
            model_name="aicommit",
            constraint=models.UniqueConstraint(
                fields=("organization", "day", "commit_hash", "ingested_at"), name="uniq_ai_commit_day"
            ),
        ),
    ],
    "aichange": [
        migrations.RemoveConstraint(model_name="aichange", name="uniq_ai_change"),
        migrations.RemoveIndex(model_name="aichange", name="analytics_a_organiz_e088ea_idx"),
        migrations.AddConstraint(
            model_name="aichange",
            constraint=models.UniqueConstraint(fields=("organization", "day", "change_id"), name="uniq_ai_change_day"),
        ),
    ],
}


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _run_ops(ops, app_label, schema_editor, before, *, backwards=False):
    """Apply (or undo) `ops`, each between its own states; `before` is the state before them."""
    states = [before.clone()]
    for op in ops:
        state = states[-1].clone()
        op.state_forwards(app_label, state)
        states.append(state)
    steps = list(zip(ops, states, states[1:], strict=False))
    if not backwards:
        for op, earlier, later in steps:
            op.database_forwards(app_label, schema_editor, earlier, later)
    else:
        for op, earlier, later in reversed(steps):
            op.database_backwards(app_label, schema_editor, later, earlier)


def _fetch(cursor, sql, params=()):
    cursor.execute(sql, params)
    return cursor.fetchall()


def _rebuildable(cursor, table):
    """The indexes (not the primary key, not constraint-backed) and foreign keys of `table`,
    as SQL to recreate them once a new table carries its name."""
    indexes = _fetch(
        cursor,
        """
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
        WHERE i.indrelid = %s::regclass AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY i.indexrelid
        """,
        [table],
    )
    constraints = _fetch(
        cursor,
        """
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname
        """,
        [table],
    )
    qn = '"{}"'.format
    # A partitioned table's index reads "ON ONLY t": recreated on a plain table, drop ONLY.
    sql = [d.replace(" ON ONLY ", " ON ") for (d,) in indexes]
    sql += [f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {d}" for name, d in constraints]
    return sql


def partition_table(cursor, table):
    """Swap the plain `table` for one partitioned by month of `day`, rows and ids kept."""
    new, seq = f"{table}__partitioned", f"{table}_id_seq"
    cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
    rebuild = _rebuildable(cursor, table)
    cursor.execute(f'CREATE SEQUENCE "{seq}__new"')
    cursor.execute(
        f'CREATE TABLE "{new}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
        f"INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (day)"
    )
    cursor.execute(f'ALTER TABLE "{new}" ALTER COLUMN id SET DEFAULT nextval(\'"{seq}__new"\')')
    ((first, last),) = _fetch(cursor, f'SELECT min(day), max(day) FROM "{table}"')
    month = first.replace(day=1) if first else None
    while month is not None and month <= last:
        cursor.execute(
            f'CREATE TABLE "{table}_p{month:%Y_%m}" PARTITION OF "{new}" FOR VALUES FROM (%s) TO (%s)',
            [month, _next_month(month)],
        )
        month = _next_month(month)
    cursor.execute(f'CREATE TABLE "{table}_default" PARTITION OF "{new}" DEFAULT')
    cursor.execute(f'INSERT INTO "{new}" SELECT * FROM "{table}"')
    cursor.execute(f'SELECT setval(\'"{seq}__new"\', COALESCE((SELECT max(id) FROM "{table}"), 0) + 1, false)')
    cursor.execute(f'DROP TABLE "{table}"')  # its identity sequence, indexes and keys with it
    cursor.execute(f'ALTER TABLE "{new}" RENAME TO "{table}"')
    cursor.execute(f'ALTER SEQUENCE "{seq}__new" RENAME TO "{seq}"')
    cursor.execute(f'ALTER SEQUENCE "{seq}" OWNED BY "{table}".id')
    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (id, day)')
    for statement in rebuild:
        cursor.execute(statement)


def unpartition_table(cursor, table):
    """The reverse: one plain table again, primary key (id)."""
    new, seq = f"{table}__plain", f"{table}_id_seq"
    cursor.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
    rebuild = _rebuildable(cursor, table)
    cursor.execute(
        f'CREATE TABLE "{new}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
        f"INCLUDING STORAGE INCLUDING COMMENTS)"
    )
    cursor.execute(f'INSERT INTO "{new}" SELECT * FROM "{table}"')
    cursor.execute(f'ALTER SEQUENCE "{seq}" OWNED BY NONE')  # survives the drop below
    cursor.execute(f'DROP TABLE "{table}"')  # with every partition
    cursor.execute(f'ALTER TABLE "{new}" RENAME TO "{table}"')
    cursor.execute(f'ALTER SEQUENCE "{seq}" OWNED BY "{table}".id')
    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY (id)')
    for statement in rebuild:
        cursor.execute(statement)


class PartitionByMonth(Operation):
    """The constraint changes everywhere; on PostgreSQL also the swap to a partitioned table.

    On PostgreSQL the old unique constraint and index are dropped on the plain table, the
    table is swapped, and the new unique constraint is built once, on the partitioned table.
    """

    reversible = True

    def __init__(self, model_name):
        self.model_name = model_name
        self.ops = OPERATIONS[model_name]

    def state_forwards(self, app_label, state):
        for op in self.ops:
            op.state_forwards(app_label, state)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            _run_ops(self.ops, app_label, schema_editor, from_state)
            return
        drops, adds = self.ops[:2], self.ops[2:]
        _run_ops(drops, app_label, schema_editor, from_state)
        middle = from_state.clone()
        for op in drops:
            op.state_forwards(app_label, middle)
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks on the swap
        with schema_editor.connection.cursor() as cursor:
            partition_table(cursor, TABLES[self.model_name])
        _run_ops(adds, app_label, schema_editor, middle)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # to_state is the state before this migration.
        if schema_editor.connection.vendor != "postgresql":
            _run_ops(self.ops, app_label, schema_editor, to_state, backwards=True)
            return
        drops, adds = self.ops[:2], self.ops[2:]
        middle = to_state.clone()
        for op in drops:
            op.state_forwards(app_label, middle)
        _run_ops(adds, app_label, schema_editor, middle, backwards=True)
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with schema_editor.connection.cursor() as cursor:
            unpartition_table(cursor, TABLES[self.model_name])
        _run_ops(drops, app_label, schema_editor, to_state, backwards=True)

    def describe(self):
        return f"Partition {self.model_name} by month of day"

    @property
    def migration_name_fragment(self):
        return f"partition_{self.model_name}"

    def deconstruct(self):
        return self.__class__.__name__, [self.model_name], {}


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0007_claude_code_tables"),
    ]

    operations = [
        PartitionByMonth("usageevent"),
        PartitionByMonth("aicommit"),
        PartitionByMonth("aichange"),
    ]
