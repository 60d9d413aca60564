"""Usage events and AI-code rows are partitioned by month on PostgreSQL, plain tables on SQLite.

The dates are far from today on purpose: the partitions `migrate` creates around the real
today never overlap the months these tests create, move rows into or expect.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from analytics import services
from analytics.models import AiChange, AiCommit, UsageEvent
from analytics.services import partitions
from analytics.tasks import create_partitions_ahead
from integrations.cursor import records
from tests.sync.records import at, event

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")

EVENTS = UsageEvent._meta.db_table
COMMITS = AiCommit._meta.db_table
CHANGES = AiChange._meta.db_table


def homes(table: str, organization_id: int) -> dict[date, str]:
    """Which partition holds each day's rows (tableoid), for one organization."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT day, tableoid::regclass::text FROM {table} WHERE organization_id = %s",  # nosec B608
            [organization_id],
        )
        return dict(cursor.fetchall())


def commit(created: datetime, **kw) -> records.AiCommit:
    values = dict(
        commit_hash="abc123", user_id="u1", email="ada@x.test", repo_name="acme/web", branch_name="main",
        is_primary_branch=True, commit_source="ide", total_lines_added=50, total_lines_deleted=5,
        tab_lines_added=10, tab_lines_deleted=1, composer_lines_added=30, composer_lines_deleted=2,
        non_ai_lines_added=10, non_ai_lines_deleted=2, message="feat", commit_ts=None, created_at=created,
    )  # fmt: skip
    return records.AiCommit(**{**values, **kw})


def change(created: datetime, **kw) -> records.AiChange:
    values = dict(
        change_id="c-1", user_id="u1", email="ada@x.test", source="TAB", model="", total_lines_added=3,
        total_lines_deleted=0, created_at=created, metadata=[],
    )  # fmt: skip
    return records.AiChange(**{**values, **kw})


def write_events(org_id: int, day: date, n: int = 3) -> None:
    events = [event("ada@x.test", at(day, 9, i)) for i in range(n)]
    services.EventWriter(org_id, services.MemberDirectory(org_id)).write_day(day, events)


@postgresql_only
@pytest.mark.django_db
def test_rows_land_in_their_months_partition_and_beyond_the_partitions_in_the_default(org):
    created = partitions.ensure_partitions(today=date(2090, 5, 10), months_behind=1, months_ahead=1)
    assert f"{EVENTS}_p2090_04" in created and f"{EVENTS}_p2090_06" in created
    assert f"{CHANGES}_p2090_05" in created

    write_events(org.id, date(2090, 5, 3))
    write_events(org.id, date(2090, 6, 30))
    write_events(org.id, date(2090, 9, 1))  # no partition yet: the sync must not fail
    assert homes(EVENTS, org.id) == {
        date(2090, 5, 3): f"{EVENTS}_p2090_05",
        date(2090, 6, 30): f"{EVENTS}_p2090_06",
        date(2090, 9, 1): f"{EVENTS}_default",
    }

    directory = services.MemberDirectory(org.id)
    services.upsert_ai_commits(org.id, [commit(datetime(2090, 5, 4, 10, tzinfo=UTC))], directory)
    services.upsert_ai_changes(org.id, [change(datetime(2090, 12, 24, 10, tzinfo=UTC))], directory)
    assert homes(COMMITS, org.id) == {date(2090, 5, 4): f"{COMMITS}_p2090_05"}
    assert homes(CHANGES, org.id) == {date(2090, 12, 24): f"{CHANGES}_default"}


@postgresql_only
@pytest.mark.django_db
def test_a_new_month_takes_its_rows_out_of_the_default_partition(org):
    write_events(org.id, date(2091, 2, 14), n=4)
    write_events(org.id, date(2091, 3, 1), n=2)
    ids = set(UsageEvent.objects.filter(organization=org).values_list("id", flat=True))
    assert set(homes(EVENTS, org.id).values()) == {f"{EVENTS}_default"}

    # A run for a month far away still drains every month it finds in the default partition.
    created = partitions.ensure_partitions(today=date(2095, 7, 1), months_behind=0, months_ahead=0)
    assert {f"{EVENTS}_p2091_02", f"{EVENTS}_p2091_03", f"{EVENTS}_p2095_07"} <= set(created)
    assert homes(EVENTS, org.id) == {
        date(2091, 2, 14): f"{EVENTS}_p2091_02",
        date(2091, 3, 1): f"{EVENTS}_p2091_03",
    }
    assert set(UsageEvent.objects.filter(organization=org).values_list("id", flat=True)) == ids
    assert partitions.partitions(EVENTS)[f"{EVENTS}_p2091_02"] == (
        "FOR VALUES FROM ('2091-02-01') TO ('2091-03-01')"
    )
    # The moved rows are still found through the unique key (the new month's index exists).
    write_events(org.id, date(2091, 2, 14), n=4)
    assert UsageEvent.objects.filter(organization=org, day=date(2091, 2, 14)).count() == 4


@postgresql_only
@pytest.mark.django_db
def test_the_beat_task_creates_three_months_ahead_once():
    with mock.patch("django.utils.timezone.now", return_value=datetime(2093, 11, 20, 3, 15, tzinfo=UTC)):
        first = create_partitions_ahead()
        again = create_partitions_ahead()
    names = set(partitions.partitions(EVENTS))
    assert {f"{EVENTS}_p2093_{m:02}" for m in (11, 12)} | {f"{EVENTS}_p2094_{m:02}" for m in (1, 2)} <= names
    assert f"{EVENTS}_p2094_03" not in names
    # 12 months behind + this one + 3 ahead, for each of the three tables; none the second time.
    assert (first, again) == (3 * 16, 0)


@postgresql_only
@pytest.mark.django_db
def test_upserts_into_partitions_stay_idempotent(org):
    partitions.ensure_partitions(today=date(2092, 1, 5), months_behind=0, months_ahead=0)
    day = date(2092, 1, 5)
    for _ in range(2):
        write_events(org.id, day, n=5)  # the second time through ON CONFLICT (organization, day, …)
    assert UsageEvent.objects.filter(organization=org, day=day).count() == 5

    directory = services.MemberDirectory(org.id)
    created = datetime(2092, 1, 5, 10, tzinfo=UTC)
    services.upsert_ai_commits(org.id, [commit(created)], directory)
    services.upsert_ai_commits(org.id, [commit(created, total_lines_added=70)], directory)
    services.upsert_ai_changes(org.id, [change(created)], directory)
    services.upsert_ai_changes(org.id, [change(created, total_lines_added=9)], directory)
    assert list(AiCommit.objects.filter(organization=org).values_list("total_lines_added", flat=True)) == [70]
    assert list(AiChange.objects.filter(organization=org).values_list("total_lines_added", flat=True)) == [9]
    # Django still treats `id` as the primary key: get, update and delete by pk work.
    row = UsageEvent.objects.filter(organization=org).first()
    assert UsageEvent.objects.get(organization=org, pk=row.pk).fingerprint == row.fingerprint
    row.delete()
    assert UsageEvent.objects.filter(organization=org, day=day).count() == 4


# --- the migration, with data present ------------------------------------------------------------

BEFORE = [("analytics", "0007_claude_code_tables")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor.loader.graph.leaf_nodes()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_existing_rows_into_monthly_partitions(org, other_org):
    old = migrate(BEFORE)
    try:
        assert not partitions.is_partitioned(EVENTS)
        Member = old.get_model("analytics", "CursorMember")
        Event = old.get_model("analytics", "UsageEvent")
        Commit = old.get_model("analytics", "AiCommit")
        Change = old.get_model("analytics", "AiChange")
        days = [date(2031, 1, 31), date(2031, 2, 1), date(2031, 4, 15)]
        stored = {}
        for o in (org, other_org):
            ada = Member.objects.create(organization_id=o.pk, email="ada@x.test")
            for i, day in enumerate(days):
                e = Event.objects.create(
                    organization_id=o.pk, member=ada, fingerprint=f"fp{i}", day=day,
                    timestamp=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                    charged_cents=Decimal("1.25") * (i + 1),
                )  # fmt: skip
                stored[e.pk] = (o.pk, day, e.charged_cents)
            ts = datetime(2031, 2, 3, tzinfo=UTC)
            Commit.objects.create(organization_id=o.pk, commit_hash="h1", ingested_at=ts, day=ts.date())
            Change.objects.create(organization_id=o.pk, change_id="c1", created_at=ts, day=ts.date())

        migrate(latest())

        assert all(partitions.is_partitioned(t) for t in (EVENTS, COMMITS, CHANGES))
        assert homes(EVENTS, org.id) == {
            date(2031, 1, 31): f"{EVENTS}_p2031_01",
            date(2031, 2, 1): f"{EVENTS}_p2031_02",
            date(2031, 4, 15): f"{EVENTS}_p2031_04",
        }
        assert f"{EVENTS}_p2031_03" in partitions.partitions(EVENTS)  # the months between, too
        assert f"{EVENTS}_default" in partitions.partitions(EVENTS)
        assert homes(COMMITS, other_org.id) == {date(2031, 2, 3): f"{COMMITS}_p2031_02"}
        assert homes(CHANGES, org.id) == {date(2031, 2, 3): f"{CHANGES}_p2031_02"}
        now = {e.pk: (e.organization_id, e.day, e.charged_cents) for e in UsageEvent.objects.all()}
        assert now == stored  # every row, with its id

        # The id sequence carries on past the copied ids; the unique key includes the day.
        write_events(org.id, date(2031, 4, 15), n=2)
        assert UsageEvent.objects.filter(organization=org).count() == 5
        assert min(UsageEvent.objects.exclude(pk__in=stored).values_list("pk", flat=True)) > max(stored)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype IN ('p', 'u') ORDER BY contype",
                [EVENTS],
            )
            keys = [row[0] for row in cursor.fetchall()]
        assert keys == ["PRIMARY KEY (id, day)", "UNIQUE (organization_id, day, fingerprint)"]

        # And back: one plain table again, rows kept.
        migrate(BEFORE)
        assert not partitions.is_partitioned(EVENTS)
        assert Event.objects.filter(organization_id=org.pk).count() == 5
    finally:
        migrate(latest())


# --- the embedded mode ---------------------------------------------------------------------------


@pytest.mark.embedded
@pytest.mark.django_db
def test_sqlite_keeps_plain_tables_and_the_same_upserts(org):
    day = date(2092, 3, 9)
    if connection.vendor == "postgresql":
        assert partitions.is_partitioned(EVENTS)
    else:
        assert partitions.ensure_partitions(today=day) == []
        assert partitions.partitions(EVENTS) == {}
        assert not partitions.is_partitioned(EVENTS)
    for _ in range(2):
        write_events(org.id, day, n=3)
    assert UsageEvent.objects.filter(organization=org, day=day).count() == 3
    directory = services.MemberDirectory(org.id)
    created = datetime(2092, 3, 9, 10, tzinfo=UTC)
    services.upsert_ai_commits(org.id, [commit(created), commit(created + timedelta(hours=1))], directory)
    services.upsert_ai_commits(org.id, [commit(created, message="amended")], directory)
    services.upsert_ai_changes(org.id, [change(created), change(created)], directory)
    assert AiCommit.objects.filter(organization=org).count() == 2
    assert AiCommit.objects.get(organization=org, ingested_at=created).message == "amended"
    assert AiChange.objects.filter(organization=org).count() == 1


def test_partitions_are_made_after_migrate_but_not_after_a_flush():
    from analytics.apps import _create_partitions

    with mock.patch("analytics.services.partitions.ensure_partitions") as ensure:
        _create_partitions(sender=None, using="default", plan=None)  # what `flush` sends
        assert ensure.call_count == 0
        _create_partitions(sender=None, using="default", plan=[])  # what `migrate` sends
    assert ensure.call_count == (1 if connection.vendor == "postgresql" else 0)
