"""Team comparison: each row equals its people's facts (sub-teams included, each person
once), "No team" completes it, and small groups merge into "Other" for who may not see them."""

from decimal import Decimal

import pytest

from analytics.models import Tool, ToolDay
from analytics.selectors.teams import NO_TEAM, OTHER, team_comparison, tier
from koalr.accounts.models import Membership
from people.access import person_access
from people.models import TeamMembership

from .conftest import END, START, person
from .test_team_rollup import memberships_resolver

pytestmark = pytest.mark.django_db


def truth(org, tree, key_of_team):
    """Expected figures per team key, from ToolDay rows and the memberships of each day."""
    teams_of = memberships_resolver(org, tree)
    facts = list(ToolDay.objects.filter(organization=org, tool=Tool.CURSOR, day__range=(START, END)))
    out = {}
    for fact in facts:
        for team_id in teams_of(fact.person_id, fact.day):
            t = out.setdefault(
                key_of_team.get(team_id, NO_TEAM),
                {"active": set(), "dau": 0, "requests": 0, "spend": Decimal(0), "acc": 0, "sug": 0},
            )
            if fact.active:
                t["active"].add(fact.person_id)
                t["dau"] += 1
            t["requests"] += fact.requests or 0
            t["spend"] += fact.cost_cents or 0
            t["acc"] += fact.accepted_lines or 0
            t["sug"] += fact.suggested_lines or 0
    return out


def test_each_row_equals_its_peoples_facts(org, tree):
    rows = {r.key: r for r in team_comparison(org, START, END)}
    assert list(rows) == ["engineering", "apps", "platform", "sales", NO_TEAM]
    expected = truth(org, tree, {t.pk: t.slug for t in tree.values()})
    days = (END - START).days + 1
    for key, row in rows.items():
        e = expected[key]
        assert row.active == len(e["active"]), key
        assert row.spend_cents == e["spend"], key
        assert row.avg_dau == pytest.approx(e["dau"] / days)
        assert row.requests_per_active == pytest.approx(e["requests"] / len(e["active"]))
        assert row.acceptance_rate == pytest.approx(e["acc"] / e["sug"])
        assert row.accepted_lines_per_active == pytest.approx(e["acc"] / len(e["active"]))
        assert row.spend_per_active_cents == e["spend"] / len(e["active"])
        assert len(row.sparkline) == days and sum(row.sparkline) == e["dau"]
        assert row.tier == tier(row.active_share)
    assert (rows["engineering"].seats, rows["platform"].seats, rows["apps"].seats) == (4, 2, 3)
    assert rows[NO_TEAM].seats == 3  # dev5, dev6 and the idle dev7
    assert rows["engineering"].depth == 0 and rows["apps"].depth == 1


def test_top_level_teams_and_no_team_add_up_to_the_organization(org, tree):
    rows = {r.key: r for r in team_comparison(org, START, END)}
    total = sum(
        (f.cost_cents or 0 for f in ToolDay.objects.filter(organization=org, day__range=(START, END))),
        Decimal(0),
    )
    assert rows["engineering"].spend_cents + rows["sales"].spend_cents + rows[NO_TEAM].spend_cents == total


def test_the_previous_period_is_compared(org, tree):
    # No usage before START: spend change is unknown, not a division by zero.
    row = next(r for r in team_comparison(org, START, END) if r.key == "engineering")
    assert row.spend_prev_cents == 0 and row.spend_change_pct is None
    assert row.active_share_prev == 0 and row.active_share_change == row.active_share


def access_of(user, org):
    return person_access(Membership.objects.get(user=user, organization=org))


def test_small_groups_merge_into_other_for_a_member(org, tree, member_user):
    rows = {r.key: r for r in team_comparison(org, START, END, access=access_of(member_user, org))}
    assert list(rows) == ["engineering", "apps", NO_TEAM, OTHER]  # Platform (2) and Sales (1) are small
    other = rows[OTHER]
    assert other.merged == ["Platform", "Sales"]
    assert other.seats == 3
    full = {r.key: r for r in team_comparison(org, START, END)}
    assert other.spend_cents == full["platform"].spend_cents + full["sales"].spend_cents
    assert other.active == full["platform"].active + full["sales"].active


def test_a_lead_sees_their_own_small_team_and_admins_see_all(org, tree, lead_user, admin_user):
    lead_rows = [r.key for r in team_comparison(org, START, END, access=access_of(lead_user, org))]
    assert "platform" in lead_rows and "sales" not in lead_rows and OTHER in lead_rows
    admin_rows = [r.key for r in team_comparison(org, START, END, access=access_of(admin_user, org))]
    assert OTHER not in admin_rows and "sales" in admin_rows


def test_the_minimum_group_size_is_a_setting(org, tree, member_user, settings):
    settings.TEAM_MIN_GROUP_SIZE = 1
    assert OTHER not in [r.key for r in team_comparison(org, START, END, access=access_of(member_user, org))]
    settings.TEAM_MIN_GROUP_SIZE = 5
    rows = {r.key: r for r in team_comparison(org, START, END, access=access_of(member_user, org))}
    assert list(rows) == [OTHER]  # every group is under 5, "No team" (3) included
    assert rows[OTHER].seats == 8 - 0  # dev0..dev4 in teams, dev5..dev7 in none


def test_a_later_membership_change_moves_only_its_days(org, tree):
    dev4 = person(org, "dev4@acme.test")
    TeamMembership.objects.filter(person=dev4).update(start=END)
    from analytics.services.tool_days import refresh_team_days

    refresh_team_days(org.pk)
    sales = next(r for r in team_comparison(org, START, END) if r.key == "sales")
    fact = ToolDay.objects.get(person=dev4, day=END)
    assert sales.spend_cents == fact.cost_cents


def test_the_cached_comparison_follows_every_change(org, tree, member_user):
    from analytics.selectors.team_lens import cached_team_comparison
    from analytics.services.tool_days import refresh_team_days
    from people.teams import add_membership, update_team

    def rows():
        return {r.key: r for r in cached_team_comparison(org, START, END, access=access_of(member_user, org))}

    assert "sales" not in rows()  # one person: merged into Other
    for email in ("dev5@acme.test", "dev6@acme.test"):
        add_membership(person(org, email), tree["sales"], start=START)
    refresh_team_days(org.pk)
    assert rows()["sales"].seats == 3
    update_team(tree["sales"], name="Field sales")
    assert rows()["sales"].name == "Field sales"
    assert rows() == {r.key: r for r in team_comparison(org, START, END, access=access_of(member_user, org))}
