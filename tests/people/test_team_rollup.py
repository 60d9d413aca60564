"""ToolTeamDay: each team's figures equal the sum of its members' facts on each day."""

from collections import defaultdict
from datetime import date

import pytest

from analytics.models import Tool, ToolDay, ToolOrgDay, ToolTeamDay
from analytics.services.tool_days import METRICS, refresh_team_days
from people.models import TeamMembership
from people.teams import end_membership

from .conftest import END, START, person

pytestmark = pytest.mark.django_db


def expected_by_team(org, team_ids_of_person_on):
    """Sum the facts of each team's people, per day, from ToolDay rows and memberships."""
    out = defaultdict(lambda: defaultdict(int))
    for fact in ToolDay.objects.filter(organization=org, tool=Tool.CURSOR):
        for team_id in team_ids_of_person_on(fact.person_id, fact.day):
            row = out[(team_id, fact.day)]
            row["people"] += 1
            row["active_people"] += int(fact.active)
            for metric in METRICS:
                row[metric] += getattr(fact, metric) or 0
    return out


def stored(org):
    return {
        (r.team_id, r.day): {
            "people": r.people,
            "active_people": r.active_people,
            **{m: getattr(r, m) or 0 for m in METRICS},
        }
        for r in ToolTeamDay.objects.filter(organization=org, tool=Tool.CURSOR)
    }


def memberships_resolver(org, tree):
    parents = {t.pk: t.parent_id for t in tree.values()}
    ms = list(TeamMembership.objects.filter(organization=org))

    def teams_of(person_id, day):
        direct = {m.team_id for m in ms if m.person_id == person_id and m.valid_on(day)}
        if not direct:
            return {None}
        closed = set()
        for team_id in direct:
            while team_id is not None:
                closed.add(team_id)
                team_id = parents[team_id]
        return closed

    return teams_of


def test_team_days_equal_their_members_facts(org, tree):
    expected = expected_by_team(org, memberships_resolver(org, tree))
    got = stored(org)
    assert set(got) == set(expected)
    for key, row in expected.items():
        assert got[key] == {k: row[k] for k in got[key]}, key
    # dev1 is in Platform and Apps: Engineering counts them once.
    eng_people = ToolTeamDay.objects.filter(organization=org, team=tree["eng"], day=END).get().people
    assert eng_people == 4  # dev0, dev1, dev2, dev3


def test_no_team_plus_top_level_teams_cover_the_organization(org, tree):
    """Top-level teams are disjoint here, so with "no team" they add up to the org."""
    for org_day in ToolOrgDay.objects.filter(organization=org, tool=Tool.CURSOR):
        parts = ToolTeamDay.objects.filter(organization=org, tool=Tool.CURSOR, day=org_day.day).filter(
            team__in=[tree["eng"], tree["sales"], None]
        ) | ToolTeamDay.objects.filter(organization=org, tool=Tool.CURSOR, day=org_day.day, team__isnull=True)
        assert sum(p.people for p in parts) == org_day.people
        assert sum(p.cost_cents for p in parts) == org_day.cost_cents


def test_a_membership_counts_only_on_its_days(org, tree):
    dev4 = person(org, "dev4@acme.test")
    end_membership(TeamMembership.objects.get(person=dev4), end=date(2026, 3, 15))
    refresh_team_days(org.pk)
    sales_days = set(
        ToolTeamDay.objects.filter(organization=org, team=tree["sales"]).values_list("day", flat=True)
    )
    assert sales_days and max(sales_days) <= date(2026, 3, 15)
    expected = expected_by_team(org, memberships_resolver(org, tree))
    assert stored(org) == {k: {kk: v[kk] for kk in stored(org)[k]} for k, v in expected.items()}
    assert min(d for (_, d) in stored(org)) == START


def test_another_organizations_rollup_is_untouched(org, other_org, tree):
    assert not ToolTeamDay.objects.filter(organization=other_org, team__isnull=False).exists()
    # Globex has no teams: all its people are "no team".
    for org_day in ToolOrgDay.objects.filter(organization=other_org):
        assert (
            ToolTeamDay.objects.get(organization=other_org, day=org_day.day, team=None).people
            == org_day.people
        )
