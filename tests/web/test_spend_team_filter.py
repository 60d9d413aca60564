"""`?team=slug|none` on the spend review and its CSV: every figure is the sum of the team's
members' own rows (membership valid in the cycle), for the personas the page admits."""

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client

from analytics.models import CursorMember, SpendSnapshot, UsageEvent
from tests.analytics.conftest import csv_rows, dollars, stat_value
from tests.people import conftest as people_fixtures
from tests.people.conftest import END

pytestmark = pytest.mark.django_db
tree, lead_user = people_fixtures.tree, people_fixtures.lead_user  # the seeded team tree and its lead
URL = "/ai-analytics/spend/"
CSV = "/ai-analytics/spend/export.csv"
PLATFORM = {"dev0@acme.test", "dev1@acme.test"}
ENGINEERING = {f"dev{i}@acme.test" for i in range(4)}
NO_TEAM = {"dev5@acme.test", "dev6@acme.test", "dev7@acme.test"}


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setattr("web.views._today", lambda: END)


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def snapshot_total(org, emails):
    return SpendSnapshot.objects.filter(organization=org, member__email__in=emails).aggregate(
        s=Sum("overall_spend_cents")
    )["s"]


def daily_truth(org, emails):
    """Charged cents per UTC day of the cycle, straight from the usage events."""
    out = defaultdict(Decimal)
    cycle_start = datetime(END.year, END.month, 1, tzinfo=UTC)
    for e in UsageEvent.objects.filter(
        organization=org, member__email__in=emails, timestamp__gte=cycle_start
    ):
        out[e.timestamp.astimezone(UTC).date()] += e.charged_cents
    return {d: v for d, v in out.items() if v}


def table_emails(response):
    return {row["email"] for row in response.context["view_table"]["page"]}


@pytest.mark.parametrize(
    ("team", "emails"), [("platform", PLATFORM), ("engineering", ENGINEERING), ("none", NO_TEAM)]
)
def test_a_team_narrows_every_figure_to_its_people(owner_client, org, tree, team, emails):
    response = owner_client.get(URL, {"team": team})
    assert response.status_code == 200
    o = response.context["overview"]
    assert table_emails(response) == emails
    assert {m["email"] for m in o["top_spenders"]} == emails
    assert o["member_count"] == len(emails)
    assert o["total_cents"] == snapshot_total(org, emails)
    assert stat_value(response.content.decode(), "total") == dollars(snapshot_total(org, emails))
    assert {d["day"]: d["spend_cents"] for d in o["daily"] if d["spend_cents"]} == daily_truth(org, emails)
    everyone = owner_client.get(URL).context["overview"]
    assert {m["email"] for m in o["idle_14"]} == {m["email"] for m in everyone["idle_14"]} & emails
    assert o["team"] == team


def test_no_team_includes_seats_matched_to_nobody_and_the_idle_one(owner_client, org, tree):
    CursorMember.objects.create(organization=org, email="ghost@acme.test", first_seen=END.replace(day=1))
    o = owner_client.get(URL, {"team": "none"}).context["overview"]
    assert "dev7@acme.test" in {m["email"] for m in o["idle_14"]}  # the tree's idle seat, in no team
    platform = owner_client.get(URL, {"team": "platform"}).context["overview"]
    assert platform["idle_14"] == []


def test_membership_must_be_valid_in_the_cycle(owner_client, org, tree):
    from people.models import TeamMembership

    TeamMembership.objects.filter(organization=org, team=tree["sales"]).update(
        end=END.replace(month=2, day=27)
    )
    response = owner_client.get(URL, {"team": "sales"})
    assert table_emails(response) == set()
    assert "dev4@acme.test" in table_emails(owner_client.get(URL, {"team": "none"}))


def test_the_csv_follows_the_team_and_names_it(owner_client, org, tree):
    response = owner_client.get(CSV, {"team": "engineering"})
    assert response.status_code == 200
    assert "ai-spend-team-engineering-cycle-2026-03-01.csv" in response["Content-Disposition"]
    assert {r["Email"] for r in csv_rows(response)} == ENGINEERING
    assert len(csv_rows(owner_client.get(CSV))) == 8


def test_the_page_links_its_csv_and_pages_with_the_team(owner_client, tree):
    html = owner_client.get(URL, {"team": "apps"}).content.decode()
    assert 'name="team"' in html and '<option value="apps" selected>' in html
    assert "/ai-analytics/spend/export.csv?team=apps" in html
    assert "Team <strong>Apps</strong>" in html


@pytest.mark.parametrize("slug", ["nope", "<script>", "x" * 300])
def test_an_unknown_team_shows_everyone_with_a_message(owner_client, tree, slug):
    response = owner_client.get(URL, {"team": slug})
    assert response.status_code == 200
    assert "showing everyone" in response.content.decode()
    assert len(table_emails(response)) == 8
    csv = owner_client.get(CSV, {"team": slug})
    assert csv.status_code == 200 and len(csv_rows(csv)) == 8
    assert "team-" not in csv["Content-Disposition"]


def test_another_orgs_team_is_unknown_here(owner_client, other_org, tree):
    from people.teams import create_team

    create_team(other_org.pk, name="Globex Only")
    response = owner_client.get(URL, {"team": "globex-only"})
    assert "showing everyone" in response.content.decode()
    assert response.context["overview"]["team"] == ""


def test_personas(owner_client, admin_client, member_client, lead_user, outsider_client, tree):
    for c in (owner_client, admin_client):
        assert c.get(URL, {"team": "platform"}).status_code == 200
        assert c.get(CSV, {"team": "platform"}).status_code == 200
    lead = client_for(lead_user)  # the spend review is the owners' and admins' (per-seat money)
    for c in (lead, member_client):
        assert c.get(URL, {"team": "platform"}).status_code == 403
        assert c.get(CSV, {"team": "platform"}).status_code == 403
    # An owner of another organization sees their own: Acme's team is unknown there.
    response = outsider_client.get(URL, {"team": "platform"})
    assert response.status_code == 200 and response.context["filters"].team == ""
    assert not table_emails(response) & (PLATFORM | NO_TEAM)
    csv = outsider_client.get(CSV, {"team": "platform"})
    assert not {r["Email"] for r in csv_rows(csv)} & (PLATFORM | NO_TEAM)
    assert "team-" not in csv["Content-Disposition"]


def test_the_team_filtered_page_costs_a_bounded_number_of_queries(
    admin_client,
    tree,
    django_assert_max_num_queries,
):
    admin_client.get(URL)  # stores the session's active org
    for params in ({"team": "engineering"}, {"team": "none"}):
        with django_assert_max_num_queries(20):
            assert admin_client.get(URL, params).status_code == 200
        with django_assert_max_num_queries(20):
            assert admin_client.get(CSV, params).status_code == 200


@pytest.mark.parametrize("url", ["/ai-analytics/", URL])
def test_a_nul_team_is_a_clear_400_not_a_500(owner_client, tree, url):
    # koalr.middleware.RejectNulCharacters answers before any view reads the parameter.
    response = owner_client.get(url, {"team": "\x00"})
    assert response.status_code == 400 and "NUL character" in response.content.decode()
