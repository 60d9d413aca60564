"""Cursor's billing groups become teams marked "from Cursor", over loopback against the
simulator (docs/cursor-api.md §2.9; people/cursor_teams.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics.models import ToolDay, ToolTeamDay
from integrations.cursor.sync import windows
from integrations.models import SyncRun
from people import teams as team_service
from people.models import DirectoryAuditEntry, Person, Team, TeamMembership
from simulators.cursor import admin_api

from .conftest import run_new_sync

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
DAY1 = NOW.date()


@pytest.fixture
def clock(monkeypatch):
    """The sync's day, moved by the test (the simulator's own clock stays at NOW)."""
    state = {"today": DAY1}
    monkeypatch.setattr(windows, "today", lambda: state["today"])
    return state


@pytest.fixture
def team(make_team):
    return make_team(seats=14, days=20, seed=61, now=NOW)


@pytest.fixture
def conn(org, team, make_connection):
    return make_connection(org, team)


def sim_groups(team) -> dict[str, set[str]]:
    """Group name -> current member emails, as the simulator serves them."""
    reply = admin_api.groups(team, {}, None).obj
    return {g["name"]: {m["email"] for m in g["currentMembers"]} for g in reply["groups"]}


def cursor_teams(org) -> dict[str, Team]:
    return {t.name: t for t in Team.objects.filter(organization=org, source=Team.Source.CURSOR)}


def open_members(team_obj) -> set[str]:
    return set(
        TeamMembership.objects.filter(team=team_obj, end__isnull=True).values_list(
            "person__primary_email", flat=True
        )
    )


def snapshot(org):
    teams = sorted(
        Team.objects.filter(organization=org).values_list("pk", "name", "slug", "source", "external_id")
    )
    memberships = sorted(
        TeamMembership.objects.filter(organization=org).values_list(
            "pk", "team_id", "person_id", "start", "end"
        )
    )
    return teams, memberships, DirectoryAuditEntry.objects.filter(organization=org).count()


def test_groups_become_teams_marked_from_cursor(org, team, conn, clock):
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    expected = sim_groups(team)
    assert len(expected) >= 2
    synced = cursor_teams(org)
    assert set(synced) == set(expected)
    for name, team_obj in synced.items():
        assert team_obj.get_source_display() == "From Cursor"
        assert team_obj.external_id.startswith("group_")
        assert open_members(team_obj) == expected[name]
        assert set(TeamMembership.objects.filter(team=team_obj).values_list("start", flat=True)) == {DAY1}
    # Each group member is one Person (created if usage had not shown them yet).
    everyone = set().union(*expected.values())
    assert Person.objects.filter(organization=org, primary_email__in=everyone).count() == len(everyone)
    assert run.progress["groups"]["status"] == "done"
    assert run.progress["groups"]["rows"] == len(expected)
    # The team rollups of the sync day count each team's members' facts.
    for team_obj in synced.values():
        members = TeamMembership.objects.filter(team=team_obj).values_list("person_id", flat=True)
        facts = ToolDay.objects.filter(organization=org, day=DAY1, person_id__in=list(members))
        row = ToolTeamDay.objects.filter(organization=org, team=team_obj, day=DAY1).first()
        assert (row.people if row else 0) == facts.count()
        assert facts.exists()


def test_a_resync_changes_nothing(org, team, conn, clock):
    assert run_new_sync(conn).status == SyncRun.Status.SUCCEEDED
    before = snapshot(org)
    clock["today"] = DAY1 + timedelta(days=1)
    assert run_new_sync(conn).status == SyncRun.Status.SUCCEEDED
    assert snapshot(org) == before


def test_a_person_moved_between_groups_gets_dated_memberships(org, team, conn, clock):
    assert run_new_sync(conn).status == SyncRun.Status.SUCCEEDED
    groups = sim_groups(team)
    old_name, new_name = sorted(groups)[:2]
    email = sorted(groups[old_name])[0]
    leaver = sorted(groups[new_name])[0]
    team.group_moves[email] = new_name
    team.group_moves[leaver] = None  # to Unassigned
    day3 = DAY1 + timedelta(days=2)
    clock["today"] = day3
    assert run_new_sync(conn).status == SyncRun.Status.SUCCEEDED

    synced = cursor_teams(org)
    person = Person.objects.get(organization=org, primary_email=email)
    history = list(
        TeamMembership.objects.filter(person=person)
        .order_by("start")
        .values_list("team__name", "start", "end")
    )
    assert history == [(old_name, DAY1, day3 - timedelta(days=1)), (new_name, day3, None)]
    assert open_members(synced[new_name]) == (groups[new_name] - {leaver}) | {email}
    assert open_members(synced[old_name]) == groups[old_name] - {email}
    gone = TeamMembership.objects.get(person__primary_email=leaver, team=synced[new_name])
    assert (gone.start, gone.end) == (DAY1, day3 - timedelta(days=1))
    assert not TeamMembership.objects.filter(person__primary_email=leaver, end__isnull=True).exists()
    # Day 2 belongs to the old team, day 3 to the new one: no day counts twice.
    assert (
        TeamMembership.objects.filter(person=person, start__lte=day3, end__isnull=True).count()
        + TeamMembership.objects.filter(person=person, start__lte=day3, end__gte=day3).count()
        == 1
    )
    audit = DirectoryAuditEntry.objects.filter(
        organization=org, action=DirectoryAuditEntry.Action.MEMBERSHIP_CHANGED
    ).first()
    assert "2 left" in audit.detail and "1 joined" in audit.detail


def test_a_hand_made_team_with_the_same_name_is_left_alone(org, team, conn, clock):
    name = sorted(sim_groups(team))[0]
    hand = team_service.create_team(org.pk, name=name, cost_centre="CC-1")
    someone = Person.objects.create(organization=org, primary_email="outsider@example.org")
    team_service.add_membership(someone, hand, start=DAY1 - timedelta(days=30))
    before = (hand.name, hand.slug, hand.source, hand.cost_centre)

    assert run_new_sync(conn).status == SyncRun.Status.SUCCEEDED
    hand.refresh_from_db()
    assert (hand.name, hand.slug, hand.source, hand.cost_centre) == before
    assert open_members(hand) == {"outsider@example.org"}
    synced = cursor_teams(org)[name]
    assert synced.pk != hand.pk and synced.slug != hand.slug and synced.slug.startswith(hand.slug)

    # A later sync in which the person moved away still leaves the hand-made team alone.
    team.group_moves.update({e: None for e in sim_groups(team)[name]})
    clock["today"] = DAY1 + timedelta(days=1)
    assert run_new_sync(conn).status == SyncRun.Status.SUCCEEDED
    assert open_members(hand) == {"outsider@example.org"}
    assert open_members(synced) == set()


def test_a_team_plan_connection_skips_groups_with_the_plan_note(org, make_team, make_connection, clock):
    sim_team = make_team(plan="team", seats=6, days=20, seed=62, now=NOW)
    conn = make_connection(org, sim_team)
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert run.progress["groups"]["status"] == "unavailable"
    assert run.progress["groups"]["note"] == "Not included in this Cursor plan"
    assert "Billing groups" in run.message
    assert not any(path == "/teams/groups" for _, _, path, _ in sim_team.request_log)
    assert not Team.objects.filter(organization=org).exists()


def test_groups_refused_at_run_time_leave_the_rest_synced(org, make_team, make_connection, clock):
    """The plan seen at connect time claimed Enterprise; Cursor now answers 404 for groups."""
    sim_team = make_team(seats=6, days=20, seed=63, now=NOW)
    conn = make_connection(org, sim_team)
    sim_team.plan = "team"
    sim_team.enterprise_denied_status = {"/teams/groups": 404}
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.PARTIAL, run.message
    assert run.progress["groups"]["status"] == "unavailable"
    assert run.progress["daily_usage"]["status"] == run.progress["spend"]["status"] == "done"
    assert not Team.objects.filter(organization=org).exists()
