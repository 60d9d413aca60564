"""people.cursor_teams.sync_cursor_groups: Cursor's billing groups as teams "from Cursor"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from integrations.cursor.records import BillingGroup, GroupMember
from people import teams as team_service
from people.cursor_teams import sync_cursor_groups
from people.models import Person, Team, TeamMembership

DAY = date(2026, 11, 18)


def grp(gid, name, *emails):
    return BillingGroup(gid, name, tuple(GroupMember("", e, e.split("@")[0].title()) for e in emails))


def memberships(org):
    return sorted(
        TeamMembership.objects.filter(organization=org).values_list(
            "team__external_id", "person__primary_email", "start", "end"
        )
    )


@pytest.mark.django_db
def test_created_then_repeat_is_a_no_op(org):
    result = sync_cursor_groups(org.pk, [grp("g1", "Platform", "Ada@x.io", "ben@x.io")], today=DAY)
    assert (result.created, result.joined, result.changed) == (1, 2, True)
    team = Team.objects.get(organization=org, external_id="g1")
    assert (team.name, team.slug, team.source) == ("Platform", "platform", Team.Source.CURSOR)
    assert Person.objects.get(organization=org, primary_email="ada@x.io").name == "Ada"
    again = sync_cursor_groups(
        org.pk, [grp("g1", "Platform", "ada@x.io", "BEN@x.io")], today=DAY + timedelta(1)
    )
    assert not again.changed
    assert memberships(org) == [("g1", "ada@x.io", DAY, None), ("g1", "ben@x.io", DAY, None)]


@pytest.mark.django_db
def test_a_renamed_group_keeps_its_team_and_slug(org):
    sync_cursor_groups(org.pk, [grp("g1", "Platform", "ada@x.io")], today=DAY)
    result = sync_cursor_groups(org.pk, [grp("g1", "Platform Core", "ada@x.io")], today=DAY + timedelta(1))
    assert (result.renamed, result.created, result.joined, result.left) == (1, 0, 0, 0)
    team = Team.objects.get(organization=org, external_id="g1")
    assert (team.name, team.slug) == ("Platform Core", "platform")


@pytest.mark.django_db
def test_a_group_cursor_no_longer_lists_keeps_its_team_with_memberships_ended(org):
    sync_cursor_groups(org.pk, [grp("g1", "Platform", "ada@x.io")], today=DAY)
    result = sync_cursor_groups(org.pk, [], today=DAY + timedelta(3))
    assert (result.left, result.joined) == (1, 0)
    assert Team.objects.filter(organization=org, external_id="g1").exists()
    assert memberships(org) == [("g1", "ada@x.io", DAY, DAY + timedelta(2))]


@pytest.mark.django_db
def test_joined_and_left_on_the_same_day_leaves_no_membership(org):
    sync_cursor_groups(org.pk, [grp("g1", "A", "ada@x.io"), grp("g2", "B")], today=DAY)
    sync_cursor_groups(org.pk, [grp("g1", "A"), grp("g2", "B", "ada@x.io")], today=DAY)
    assert memberships(org) == [("g2", "ada@x.io", DAY, None)]


@pytest.mark.django_db
def test_hand_made_teams_and_other_organizations_are_never_touched(org, other_org):
    hand = team_service.create_team(org.pk, name="Platform")
    theirs = team_service.create_team(other_org.pk, name="Platform", source=Team.Source.CURSOR)
    Team.objects.filter(pk=theirs.pk).update(external_id="g1")
    sync_cursor_groups(org.pk, [grp("g1", "Platform", "ada@x.io")], today=DAY)
    mine = Team.objects.get(organization=org, source=Team.Source.CURSOR)
    assert mine.pk not in (hand.pk, theirs.pk) and mine.slug == "platform-2"
    assert not TeamMembership.objects.filter(team__in=[hand, theirs]).exists()
    sync_cursor_groups(org.pk, [], today=DAY + timedelta(1))
    assert Team.objects.filter(pk__in=[hand.pk, theirs.pk]).count() == 2
    assert not Person.objects.filter(organization=other_org).exists()


@pytest.mark.django_db
def test_groups_without_id_or_name_are_ignored(org):
    result = sync_cursor_groups(org.pk, [grp("", "X", "ada@x.io"), grp("g9", "  ", "ben@x.io")], today=DAY)
    assert not result.changed
    assert not Team.objects.filter(organization=org).exists()
