"""The Team comparison page and CSV: every persona, figures equal the selector's, sorting,
small groups merged for who may not see them."""

import pytest
from django.test import Client
from django.urls import reverse

from analytics.selectors.teams import team_comparison
from tests.analytics.conftest import csv_rows
from tests.people.conftest import END, START

pytestmark = pytest.mark.django_db
RANGE = {"range": "custom", "start": START.isoformat(), "end": END.isoformat()}


@pytest.fixture
def lead_client(lead_user):
    c = Client()
    c.force_login(lead_user)
    return c


def shown_teams(response):
    return [item["row"].key for item in response.context["rows"]]


def test_admin_sees_every_team_with_the_selectors_figures(admin_client, org, tree):
    response = admin_client.get(reverse("analytics:team_compare"), RANGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert shown_teams(response) == ["engineering", "apps", "platform", "sales", "none"]
    eng = next(r for r in team_comparison(org, START, END) if r.key == "engineering")
    row = html.split('data-team="engineering"')[1].split("</tr>")[0]
    assert f"${eng.spend_cents / 100:,.2f}" in row
    assert f"{eng.active_share * 100:.1f}%" in row
    assert "Leading: at least 75%" in html and "<svg" in row


@pytest.mark.parametrize("persona", ["member", "outsider"])
def test_members_see_aggregates_with_small_groups_merged(persona, member_client, outsider_client, tree):
    c = {"member": member_client, "outsider": outsider_client}[persona]
    response = c.get(reverse("analytics:team_compare"), RANGE)
    assert response.status_code == 200
    if persona == "member":
        assert shown_teams(response) == ["engineering", "apps", "none", "other"]
        assert "Platform, Sales" in response.content.decode()
    else:  # Globex has no teams: only its own "No team" row, nothing of Acme
        assert shown_teams(response) == ["none"] and "Engineering" not in response.content.decode()


def test_a_lead_sees_their_small_team(lead_client, tree):
    keys = shown_teams(lead_client.get(reverse("analytics:team_compare"), RANGE))
    assert "platform" in keys and "sales" not in keys and "other" in keys


def test_sorting_and_the_csv(owner_client, org, tree):
    response = owner_client.get(reverse("analytics:team_compare"), {**RANGE, "sort": "-spend_cents"})
    rows = [item["row"] for item in response.context["rows"]]
    assert [r.spend_cents for r in rows] == sorted((r.spend_cents for r in rows), reverse=True)
    bogus = owner_client.get(reverse("analytics:team_compare"), {**RANGE, "sort": "drop table"})
    assert bogus.status_code == 200 and shown_teams(bogus)[0] == "engineering"
    exported = csv_rows(owner_client.get(reverse("analytics:team_compare_csv"), RANGE))
    assert [r["Team slug"] for r in exported] == ["engineering", "apps", "platform", "sales", "none"]
    truth = {r.key: r for r in team_comparison(org, START, END)}
    for r in exported:
        assert r["Spend"] == f"{truth[r['Team slug']].spend_cents / 100:.2f}"
        assert int(r["Seats"]) == truth[r["Team slug"]].seats


def test_the_member_csv_merges_small_groups_too(member_client, tree):
    exported = csv_rows(member_client.get(reverse("analytics:team_compare_csv"), RANGE))
    assert [r["Team slug"] for r in exported] == ["engineering", "apps", "none", "other"]


def test_bad_dates_fall_back_with_a_message(admin_client, tree):
    response = admin_client.get(reverse("analytics:team_compare"), {"start": "nope", "end": "2026-03-31"})
    assert response.status_code == 200 and "YYYY-MM-DD" in response.content.decode()


def test_anonymous_is_sent_to_log_in(client, tree):
    assert client.get(reverse("analytics:team_compare")).status_code == 302
