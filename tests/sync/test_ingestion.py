"""The ingestion layer (analytics.services) against the real PostgreSQL, with constructed records.

Each write path runs twice: through COPY + INSERT … ON CONFLICT (PostgreSQL) and through
bulk_create(update_conflicts=True) (the embedded SQLite demo's path).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum

from analytics import services
from analytics.models import (
    AiChange,
    AiCommit,
    CursorMember,
    DailyUsage,
    SpendSnapshot,
    TeamAnalytics,
    UsageEvent,
)
from analytics.services import bulk, usage_events
from analytics.services.rollups import refresh_rollups
from integrations.cursor import records

from .records import at, daily, event, member, spend

DAY = date(2026, 8, 3)


@pytest.fixture(params=["copy", "orm"])
def write_path(request, monkeypatch):
    if request.param == "orm":
        monkeypatch.setattr(bulk, "_is_postgresql", lambda: False)
    return request.param


@pytest.fixture
def directory(org):
    return services.MemberDirectory(org.id)


def test_members_roster_upsert_and_not_in_roster(org, write_path):
    services.upsert_members(org.id, [member("ada@x.test", role="owner"), member("ben@x.test")])
    services.upsert_members(
        org.id, [member("ada@x.test", role="owner", name="Ada L."), member("ben@x.test", is_removed=True)]
    )
    rows = {m.email: m for m in CursorMember.objects.filter(organization=org)}
    assert set(rows) == {"ada@x.test", "ben@x.test"}
    assert rows["ada@x.test"].name == "Ada L."
    assert rows["ada@x.test"].cursor_user_id == "user_ada"
    assert rows["ben@x.test"].is_removed is True
    assert not rows["ben@x.test"].not_in_roster

    # Ben disappears from the roster entirely: he stays, flagged.
    services.upsert_members(org.id, [member("ada@x.test", role="owner")])
    assert CursorMember.objects.get(organization=org, email="ben@x.test").not_in_roster is True
    # An empty roster answer changes nothing.
    assert services.upsert_members(org.id, []) == 0
    assert CursorMember.objects.get(organization=org, email="ada@x.test").not_in_roster is False


def test_daily_usage_upserts_in_place_and_flags_unknown_emails(org, directory, write_path):
    services.upsert_members(org.id, [member("ada@x.test")])
    directory.refresh()
    services.upsert_daily_usage(
        org.id, [daily("ada@x.test", DAY), daily("ada@x.test", DAY + timedelta(1)), daily("ghost@x.test", DAY)],
        directory,
    )  # fmt: skip
    assert DailyUsage.objects.filter(organization=org).count() == 3
    ghost = CursorMember.objects.get(organization=org, email="ghost@x.test")
    assert ghost.not_in_roster is True

    # Cursor revises a day: same key, new numbers, no new row.
    services.upsert_daily_usage(
        org.id, [daily("ada@x.test", DAY, agent_requests=99, client_version="")], directory
    )
    assert DailyUsage.objects.filter(organization=org).count() == 3
    row = DailyUsage.objects.get(organization=org, member__email="ada@x.test", day=DAY)
    assert (row.agent_requests, row.client_version, row.total_tabs_shown) == (99, "", 20)


def _day_events(day, n_identical=2):
    evs = [event("ada@x.test", at(day, h, ms=h)) for h in range(5)]
    evs += [event("ben@x.test", at(day, 9), model="gpt-5", charged_cents=Decimal("0.123456"))] * n_identical
    return evs


def test_events_keep_identical_twins_and_refetch_is_idempotent(org, directory, write_path):
    writer = services.EventWriter(org.id, directory, batch_size=3)
    assert writer.write_day(DAY, _day_events(DAY)) == 7
    assert UsageEvent.objects.filter(organization=org).count() == 7
    twins = UsageEvent.objects.filter(organization=org, member__email="ben@x.test")
    assert twins.count() == 2
    assert twins.aggregate(s=Sum("charged_cents"))["s"] == Decimal("0.246912")

    # Re-fetch, in another order and other batch boundaries: nothing new.
    writer = services.EventWriter(org.id, directory, batch_size=2)
    writer.write_day(DAY, list(reversed(_day_events(DAY))))
    assert UsageEvent.objects.filter(organization=org).count() == 7
    # A third genuinely identical event later appears: it is added, the other two stay.
    services.EventWriter(org.id, directory).write_day(DAY, _day_events(DAY, n_identical=3))
    assert UsageEvent.objects.filter(organization=org).count() == 8


def test_event_fields_are_stored_exactly(org, directory, write_path):
    e = event(
        "ada@x.test", at(DAY, 23, 59, ms=999), requests_costs=Decimal("1.4"), max_mode=True,
        conversation_id="5d1c0f3e", is_headless=True, cursor_token_fee=Decimal("0.000001"),
    )  # fmt: skip
    services.EventWriter(org.id, directory).write_day(DAY, [e])
    row = UsageEvent.objects.get(organization=org)
    assert row.timestamp == datetime(2026, 8, 3, 23, 59, 0, 999000, tzinfo=UTC)
    assert row.day == DAY
    assert (row.requests_costs, row.charged_cents, row.cursor_token_fee) == (
        Decimal("1.4"), Decimal("8.4"), Decimal("0.000001"),
    )  # fmt: skip
    assert (row.max_mode, row.is_headless, row.conversation_id, row.input_tokens) == (
        True,
        True,
        "5d1c0f3e",
        900,
    )
    assert len(row.fingerprint) == 64


def test_equal_decimals_in_other_notation_fingerprint_alike(org):
    fp = services.EventFingerprinter()
    a = fp(event("ada@x.test", at(DAY), requests_costs=Decimal("2")))
    b = services.EventFingerprinter()(event("ada@x.test", at(DAY), requests_costs=Decimal("2.0")))
    assert a == b
    assert fp(event("ada@x.test", at(DAY), requests_costs=Decimal("2.00"))) != a  # second twin: ordinal 1


def test_reconcile_replaces_revised_events_but_never_erases_on_empty_answer(org, directory, write_path):
    writer = services.EventWriter(org.id, directory)
    other_day = DAY - timedelta(days=1)
    writer.write_day(other_day, _day_events(other_day))
    writer.write_day(DAY, _day_events(DAY))
    revised = _day_events(DAY)
    revised[0] = event("ada@x.test", revised[0].timestamp, charged_cents=Decimal("9.99"))
    writer.write_day(DAY, revised, reconcile=True)
    day_rows = UsageEvent.objects.filter(organization=org, day=DAY)
    assert day_rows.count() == 7
    assert day_rows.filter(charged_cents=Decimal("9.99")).count() == 1
    assert UsageEvent.objects.filter(organization=org, day=other_day).count() == 7  # untouched

    writer.write_day(DAY, [], reconcile=True)
    assert UsageEvent.objects.filter(organization=org, day=DAY).count() == 7


def test_same_events_in_two_orgs_stay_apart(org, other_org, write_path):
    services.EventWriter(org.id, services.MemberDirectory(org.id)).write_day(DAY, _day_events(DAY))
    services.EventWriter(other_org.id, services.MemberDirectory(other_org.id)).write_day(
        DAY, _day_events(DAY)[:3]
    )
    assert UsageEvent.objects.filter(organization=org).count() == 7
    assert UsageEvent.objects.filter(organization=other_org).count() == 3
    # Each org's events point at its own member rows.
    assert not UsageEvent.objects.filter(organization=other_org, member__organization=org).exists()


def test_spend_keeps_last_snapshot_per_cycle(org, directory, write_path):
    cycle1 = datetime(2026, 7, 1, tzinfo=UTC)
    cycle2 = datetime(2026, 8, 1, tzinfo=UTC)
    t = datetime(2026, 7, 20, tzinfo=UTC)
    services.upsert_spend(
        org.id, records.SpendReport(cycle1, [spend("ada@x.test")]), directory, captured_at=t
    )
    services.upsert_spend(
        org.id,
        records.SpendReport(cycle1, [spend("ada@x.test", spend_cents=Decimal("2000.5"))]),
        directory,
        captured_at=t + timedelta(days=10),
    )
    services.upsert_spend(
        org.id, records.SpendReport(cycle2, [spend("ada@x.test", spend_cents=Decimal("1"))]), directory,
        captured_at=t + timedelta(days=12),
    )  # fmt: skip
    snaps = list(SpendSnapshot.objects.filter(organization=org).order_by("cycle_start"))
    assert [(s.cycle_start, s.spend_cents) for s in snaps] == [
        (cycle1, Decimal("2000.5")),
        (cycle2, Decimal("1")),
    ]
    assert snaps[0].overall_spend_cents == Decimal("5234.567891")
    assert snaps[0].effective_per_user_limit_dollars == Decimal("200")
    assert snaps[0].monthly_limit_dollars is None


def test_team_analytics_and_ai_code(org, directory, write_path):
    rows = [
        records.AnalyticsRow("dau", DAY, "", {"dau": 17, "cli_dau": 2}),
        records.AnalyticsRow("models", DAY, "gpt-5", {"messages": 40, "users": 3}),
        records.AnalyticsRow("models", None, "gpt-5", {"messages": 1}),  # no day: cannot be placed
    ]
    assert services.upsert_team_analytics(org.id, rows) == 2
    services.upsert_team_analytics(org.id, [records.AnalyticsRow("dau", DAY, "", {"dau": 18})])
    assert TeamAnalytics.objects.filter(organization=org).count() == 2
    assert TeamAnalytics.objects.get(organization=org, metric="dau").values == {"dau": 18}

    created = datetime(2026, 8, 3, 10, tzinfo=UTC)
    commit = records.AiCommit(
        commit_hash="abc123", user_id="user_ada", email="ada@x.test", repo_name="acme/web", branch_name="main",
        is_primary_branch=True, commit_source="ide", total_lines_added=50, total_lines_deleted=5,
        tab_lines_added=10, tab_lines_deleted=1, composer_lines_added=30, composer_lines_deleted=2,
        non_ai_lines_added=10, non_ai_lines_deleted=2, message="feat", commit_ts=None, created_at=created,
    )  # fmt: skip
    amended = records.AiCommit(
        **{**{f: getattr(commit, f) for f in commit.__slots__}, "created_at": created + timedelta(1)}
    )
    services.upsert_ai_commits(org.id, [commit, commit, amended], directory)
    assert AiCommit.objects.filter(organization=org).count() == 2
    assert AiCommit.objects.filter(organization=org, day=DAY, member__email="ada@x.test").count() == 1

    change = records.AiChange(
        change_id="749356201", user_id="user_ada", email="ada@x.test", source="TAB", model="",
        total_lines_added=3, total_lines_deleted=0, created_at=created,
        metadata=[{"fileExtension": "py", "linesAdded": 3, "linesDeleted": 0}],
    )  # fmt: skip
    services.upsert_ai_changes(org.id, [change, change], directory)
    stored = AiChange.objects.get(organization=org)
    assert stored.metadata == [{"fileExtension": "py", "linesAdded": 3, "linesDeleted": 0}]
    assert stored.day == DAY


def test_member_activity_widens_first_and_last_seen(org, directory, write_path):
    services.upsert_members(org.id, [member("ada@x.test"), member("ben@x.test"), member("cy@x.test")])
    directory.refresh()
    services.upsert_daily_usage(
        org.id,
        [
            daily("ada@x.test", DAY),
            daily("ada@x.test", DAY + timedelta(2)),
            daily("ben@x.test", DAY, is_active=False),
            # Cy holds a seat (zero rows) but never used Cursor.
            daily("cy@x.test", DAY, is_active=False),
            daily("cy@x.test", DAY + timedelta(1), is_active=False),
        ],
        directory,
    )
    # Ben has no active daily row but a usage event the next day: that counts as activity.
    services.EventWriter(org.id, directory).write_day(
        DAY + timedelta(1), [event("ben@x.test", at(DAY + timedelta(1)))]
    )
    refresh_rollups(org.id, DAY, DAY + timedelta(2))
    services.refresh_member_activity(org.id, DAY, DAY + timedelta(2))
    seen = {m.email: (m.first_seen, m.last_seen) for m in CursorMember.objects.filter(organization=org)}
    assert seen["ada@x.test"] == (DAY, DAY + timedelta(2))
    # First seen: the first day on the team (a zero row counts); last seen: last active day.
    assert seen["ben@x.test"] == (DAY, DAY + timedelta(1))
    assert seen["cy@x.test"] == (DAY, None)
    # A later, narrower window never shrinks the range.
    services.refresh_member_activity(org.id, DAY + timedelta(2), DAY + timedelta(2))
    assert CursorMember.objects.get(organization=org, email="ada@x.test").first_seen == DAY


def test_no_query_per_row(org, directory, django_assert_max_num_queries):
    evs = [event(f"dev{i % 50}@x.test", at(DAY, i % 24, i % 60, ms=i % 1000)) for i in range(3000)]
    # 1 directory refresh + member upsert, then per batch: savepoint/create/copy/insert/release.
    with django_assert_max_num_queries(40):
        services.EventWriter(org.id, directory, batch_size=1000).write_day(DAY, evs)
    assert UsageEvent.objects.filter(organization=org).count() == 3000


def test_insert_new_on_an_existing_day_falls_back_to_upsert(org, directory, write_path):
    services.EventWriter(org.id, directory).write_day(DAY, _day_events(DAY))
    rows = list(UsageEvent.objects.filter(organization=org).values_list(*usage_events.EVENT_COLUMNS))
    assert (
        bulk.insert_new(
            UsageEvent, usage_events.EVENT_COLUMNS, rows, conflict=usage_events.USAGE_EVENT_CONFLICT
        )
        == 7
    )
    assert UsageEvent.objects.filter(organization=org).count() == 7


@pytest.mark.django_db(transaction=True)
def test_background_writer_stores_days_in_order_and_reports_them():
    from tests.factories import OrganizationFactory

    org = OrganizationFactory(slug="bg")
    days = []
    with services.EventWriter(
        org.id,
        services.MemberDirectory(org.id),
        batch_size=2,
        background=True,
        on_day=lambda d, n: days.append((d, n)),
    ) as writer:
        writer.write_day(DAY, _day_events(DAY))
        writer.write_day(DAY + timedelta(1), _day_events(DAY + timedelta(1), n_identical=3))
    assert days == [(DAY, 7), (DAY + timedelta(1), 8)]
    assert UsageEvent.objects.filter(organization=org).count() == 15


@pytest.mark.django_db(transaction=True)
def test_background_writer_errors_reach_the_fetching_thread(monkeypatch):
    from tests.factories import OrganizationFactory

    org = OrganizationFactory(slug="bg-error")

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(usage_events, "insert_new", broken)
    writer = services.EventWriter(org.id, services.MemberDirectory(org.id), batch_size=2, background=True)
    with pytest.raises(RuntimeError, match="database went away"):
        for i in range(20):  # the error surfaces on a later submit or at close
            writer.write_day(DAY + timedelta(i), _day_events(DAY + timedelta(i)))
        writer.close()
    writer.close(raise_errors=False)
