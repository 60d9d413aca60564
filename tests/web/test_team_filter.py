"""The team filter (?team=slug|none) on the dashboard and the members CSV."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from analytics.models import ToolDay
from tests.analytics.conftest import csv_rows, dollars, stat_value
from tests.people.conftest import END, START, person

pytestmark = pytest.mark.django_db
RANGE = {"range": "custom", "start": START.isoformat(), "end": END.isoformat()}


@pytest.fixture
def lead_client(lead_user):
    c = Client()
    c.force_login(lead_user)
    return c


def table_emails(response):
    table = response.context.get("member_table")
    return {row["email"] for row in table["page"]} if table else set()


def spend_of(org, *emails):
    people = [person(org, e) for e in emails]
    total = ToolDay.objects.filter(organization=org, person__in=people, day__range=(START, END)).aggregate(
        s=Sum("cost_cents")
    )["s"]
    return total or Decimal(0)


def test_a_team_shows_its_own_figures_and_members(admin_client, org, tree):
    response = admin_client.get(reverse("analytics:dashboard"), {**RANGE, "team": "platform"})
    assert response.status_code == 200
    html = response.content.decode()
    assert stat_value(html, "spend_cents") == dollars(spend_of(org, "dev0@acme.test", "dev1@acme.test"))
    assert table_emails(response) == {"dev0@acme.test", "dev1@acme.test"}
    assert "team <strong>Platform</strong>" in html
    # A parent team includes its sub-teams, each person once.
    eng = admin_client.get(reverse("analytics:dashboard"), {**RANGE, "team": "engineering"})
    expected = spend_of(org, *(f"dev{i}@acme.test" for i in range(4)))
    assert stat_value(eng.content.decode(), "spend_cents") == dollars(expected)


def test_no_team(admin_client, org, tree):
    response = admin_client.get(reverse("analytics:dashboard"), {**RANGE, "team": "none"})
    assert table_emails(response) == {"dev5@acme.test", "dev6@acme.test", "dev7@acme.test"}
    assert stat_value(response.content.decode(), "spend_cents") == dollars(
        spend_of(org, "dev5@acme.test", "dev6@acme.test", "dev7@acme.test")
    )


def test_an_unknown_team_falls_back_to_everyone_with_a_message(admin_client, tree):
    response = admin_client.get(reverse("analytics:dashboard"), {**RANGE, "team": "<script>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "No team “&lt;script&gt;”; showing everyone." in html
    assert len(table_emails(response)) == 8


def test_a_member_gets_aggregates_only_and_no_small_groups(member_client, tree):
    response = member_client.get(reverse("analytics:dashboard"), {**RANGE, "team": "engineering"})
    assert response.status_code == 200 and table_emails(response) == set()
    assert "Team spend" in response.content.decode()
    small = member_client.get(reverse("analytics:dashboard"), {**RANGE, "team": "sales"})
    assert "too small to show on its own" in small.content.decode()
    assert small.context["filters"].team == ""


def test_a_lead_filtering_a_parent_team_sees_only_their_people(lead_client, tree):
    response = lead_client.get(reverse("analytics:dashboard"), {**RANGE, "team": "engineering"})
    assert table_emails(response) == {"dev0@acme.test", "dev1@acme.test"}


def test_the_members_csv_follows_the_team_filter(admin_client, lead_client, tree):
    url = reverse("analytics:members_csv")
    rows = csv_rows(admin_client.get(url, {**RANGE, "team": "apps"}))
    assert {r["Email"] for r in rows} == {"dev1@acme.test", "dev2@acme.test", "dev3@acme.test"}
    lead_rows = csv_rows(lead_client.get(url, {**RANGE, "team": "apps"}))
    assert {r["Email"] for r in lead_rows} == {"dev1@acme.test"}  # in Apps and in the lead's Platform
    response = admin_client.get(url, {**RANGE, "team": "apps"})
    assert "team-apps" in response["Content-Disposition"]


@pytest.mark.parametrize("team", ["engineering", "none"])
def test_the_team_dashboard_costs_a_bounded_number_of_queries(
    admin_client, tree, team, django_assert_max_num_queries
):
    admin_client.get(reverse("analytics:me"))  # a session's first request also stores its active org
    # 20, plus the freshness line next to the range (1: every tool's connection and newest day).
    with django_assert_max_num_queries(21):
        assert admin_client.get(reverse("analytics:dashboard"), {**RANGE, "team": team}).status_code == 200


def test_the_comparison_costs_a_bounded_number_of_queries(member_client, tree, django_assert_max_num_queries):
    member_client.get(reverse("analytics:me"))
    with django_assert_max_num_queries(20):  # the member's view merges small groups: the costliest
        assert member_client.get(reverse("analytics:team_compare"), RANGE).status_code == 200


def test_the_comparison_links_each_team_to_its_dashboard(admin_client, tree):
    html = admin_client.get(reverse("analytics:team_compare"), RANGE).content.decode()
    assert (
        "team=platform" in html
        and "pick a team" in admin_client.get(reverse("analytics:dashboard"), RANGE).content.decode()
    )
