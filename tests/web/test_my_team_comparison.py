"""My usage's comparison with one's own teams: each team's per-active-person averages next to
one's own figures, equal to sums over the facts; aggregates only, small groups hidden from
who may not see their people; `?team=` picks one of one's teams."""

import re
from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum
from django.test import Client

from analytics.models import ToolDay
from tests.analytics.conftest import dollars
from tests.people import conftest as people_fixtures
from tests.people.conftest import END, START, person

pytestmark = pytest.mark.django_db
tree, lead_user = people_fixtures.tree, people_fixtures.lead_user  # the seeded team tree and its lead
URL = "/ai-analytics/me/"
RANGE = {"range": "custom", "start": START.isoformat(), "end": END.isoformat()}
TEAMS = {
    "platform": ["dev0", "dev1"],
    "apps": ["dev1", "dev2", "dev3"],
    "sales": ["dev4"],
}


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setattr("web.views._today", lambda: END)


def as_dev(user, dev):
    """Log `user` in as Cursor member `dev` (their email is the member's)."""
    user.email = f"{dev}@acme.test"
    user.save()
    c = Client()
    c.force_login(user)
    return c


def facts(org, devs):
    return ToolDay.objects.filter(
        organization=org, person__in=[person(org, f"{d}@acme.test") for d in devs], day__range=(START, END)
    )


def own_truth(org, dev):
    s = facts(org, [dev]).aggregate(
        r=Sum("requests"), a=Sum("accepted_lines"), c=Sum("cost_cents"), d=Count("id", filter=Q(active=True))
    )
    return {"requests": s["r"], "accepted_lines": s["a"], "spend_cents": s["c"], "active_days": s["d"]}


def average_truth(org, team):
    qs = facts(org, TEAMS[team])
    s = qs.aggregate(
        r=Sum("requests"), a=Sum("accepted_lines"), c=Sum("cost_cents"), d=Count("id", filter=Q(active=True))
    )
    active = qs.filter(active=True).values("person").distinct().count()
    return {
        "requests": Decimal(s["r"]) / active,
        "accepted_lines": Decimal(s["a"]) / active,
        "spend_cents": s["c"] / active,
        "active_days": Decimal(s["d"]) / active,
    }


def rows(response):
    return {r.slug: r for r in response.context["own_teams"]}


def cell(html, row, metric):
    tr = re.search(rf'<tr data-row="{row}">(.*?)</tr>', html, re.S).group(1)
    return re.search(rf'data-metric="{metric}">([^<]*)<', tr).group(1)


def test_a_member_sees_their_figures_next_to_their_teams_averages(org, tree, member_user):
    response = as_dev(member_user, "dev1").get(URL, RANGE)
    assert response.status_code == 200
    own = response.context["own_figures"]
    assert own == own_truth(org, "dev1")
    teams = rows(response)
    assert set(teams) == {"platform", "apps"}  # dev1's own teams, not Sales nor the others
    apps = teams["apps"]
    assert not apps.hidden and apps.seats == 3
    assert apps.average == pytest.approx(average_truth(org, "apps"))
    html = response.content.decode()
    assert cell(html, "you", "spend_cents") == dollars(own["spend_cents"])
    assert cell(html, "apps", "spend_cents") == dollars(average_truth(org, "apps")["spend_cents"])
    # Platform has two people: a member may not see them, so no average (it would give dev0 away).
    platform = teams["platform"]
    assert platform.hidden and platform.average == dict.fromkeys(platform.average)
    assert "no average shown" in html
    assert "dev0@acme.test" not in html and "dev2@acme.test" not in html


def test_a_lead_sees_the_average_of_their_small_team(org, tree, lead_user):
    response = as_dev(lead_user, "dev0").get(URL, RANGE)
    platform = rows(response)["platform"]
    assert not platform.hidden
    assert platform.average == pytest.approx(average_truth(org, "platform"))


@pytest.mark.parametrize("fixture", ["owner", "admin_user"])
def test_owners_and_admins_see_every_average(org, tree, fixture, request):
    response = as_dev(request.getfixturevalue(fixture), "dev4").get(URL, RANGE)
    sales = rows(response)["sales"]
    assert not sales.hidden and sales.average == pytest.approx(average_truth(org, "sales"))
    assert sales.average["spend_cents"] == pytest.approx(own_truth(org, "dev4")["spend_cents"])


def test_a_member_of_a_one_person_team_sees_no_average(org, tree, member_user):
    response = as_dev(member_user, "dev4").get(URL, RANGE)
    assert rows(response)["sales"].hidden


def test_the_team_picker_narrows_to_one_of_ones_teams(org, tree, member_user):
    c = as_dev(member_user, "dev1")
    response = c.get(URL, {**RANGE, "team": "apps"})
    assert set(rows(response)) == {"apps"}
    assert response.context["filters"].team == "apps"
    html = response.content.decode()
    assert '<option value="apps" selected>' in html and '<option value="platform">' in html
    assert "team=apps" in html  # the range links keep the team


@pytest.mark.parametrize("slug", ["sales", "nope", "<script>", "x" * 300])
def test_a_team_one_is_not_in_gives_a_message(org, tree, member_user, slug):
    response = as_dev(member_user, "dev1").get(URL, {**RANGE, "team": slug})
    assert response.status_code == 200
    assert "showing all your teams" in response.content.decode()
    assert set(rows(response)) == {"platform", "apps"}
    assert response.context["filters"].team == ""


def test_an_outsider_cannot_reach_acmes_teams(org, other_org, tree, outsider):
    c = Client()
    c.force_login(outsider)
    response = c.get(URL, {**RANGE, "team": "platform"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Platform" not in html and "Apps" not in html


def test_someone_in_no_team_sees_no_comparison(org, tree, member_user):
    response = as_dev(member_user, "dev6").get(URL, RANGE)
    assert response.status_code == 200 and not response.context.get("own_teams")
    assert 'id="my-teams"' not in response.content.decode()


def test_my_usage_with_teams_costs_a_bounded_number_of_queries(
    tree, member_user, django_assert_max_num_queries
):
    c = as_dev(member_user, "dev1")
    c.get("/ai-analytics/sync-status.json")  # stores the session's active org
    # 20 for the page and its team comparison, plus the "AI tools used" table (1) and the nav's
    # "leads a team?" flag (1), both added when the tool and alerts work merged, and the
    # freshness line next to the range (1: every tool's connection and newest day).
    with django_assert_max_num_queries(23):
        assert c.get(URL, {**RANGE, "model": "gpt-5"}).status_code == 200
