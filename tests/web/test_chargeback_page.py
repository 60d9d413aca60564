"""The Chargeback page, its CSV and the re-run: owners and admins only, totals to the cent."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.test import Client
from django.urls import reverse

from analytics.services.chargeback import organization_spend
from people.models import DirectoryAuditEntry
from tests.analytics.conftest import csv_rows, dollars

pytestmark = pytest.mark.django_db
MARCH = {"month": "2026-03"}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr("web.views_teams._today", lambda: date(2026, 4, 10))


@pytest.fixture
def lead_client(lead_user):
    c = Client()
    c.force_login(lead_user)
    return c


def org_cents(org):
    return int(
        organization_spend(org, date(2026, 3, 1), date(2026, 3, 31)).quantize(Decimal(1), ROUND_HALF_UP)
    )


def test_admins_see_the_allocation_adding_up(admin_client, owner_client, org, tree):
    for c in (admin_client, owner_client):
        response = c.get(reverse("analytics:chargeback"), MARCH)
        assert response.status_code == 200
        html = response.content.decode()
        assert f'<td class="num" data-total>{dollars(org_cents(org))}</td>' in html
        assert 'data-team="unassigned"' in html and "Closed: frozen on" in html


@pytest.mark.parametrize("persona", ["member", "lead"])
def test_members_and_leads_may_not(persona, member_client, lead_client, tree):
    c = {"member": member_client, "lead": lead_client}[persona]
    assert c.get(reverse("analytics:chargeback"), MARCH).status_code == 403
    assert c.get(reverse("analytics:chargeback_csv"), MARCH).status_code == 403
    assert c.post(reverse("analytics:chargeback_rerun"), MARCH).status_code == 403


def test_an_outsider_sees_only_their_own_organization(outsider_client, tree):
    response = outsider_client.get(reverse("analytics:chargeback"), MARCH)
    assert response.status_code == 200 and "Platform" not in response.content.decode()


def test_the_csv_totals_equal_the_organizations_spend(admin_client, org, tree):
    rows = csv_rows(admin_client.get(reverse("analytics:chargeback_csv"), MARCH))
    total = rows[-1]
    assert total["Team"] == "Total"
    assert Decimal(total["Spend ($)"]) * 100 == org_cents(org)
    assert sum(Decimal(r["Spend ($)"]) for r in rows[:-1]) == Decimal(total["Spend ($)"])
    assert Decimal(total["Spend exact (cents)"]) == organization_spend(
        org, date(2026, 3, 1), date(2026, 3, 31)
    )


@pytest.mark.parametrize(
    "params",
    [
        {"month": "2026-13"},
        {"month": "march"},
        {"cycle": "2026-03-05"},
        {"cycle": "x"},
        {"cycle": "2026-03-01", "month": "2026-03"},
        {"month": "2027-01"},
    ],
)
def test_bad_periods_get_a_clear_400(admin_client, tree, params):
    response = admin_client.get(reverse("analytics:chargeback"), params)
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()
    assert admin_client.get(reverse("analytics:chargeback_csv"), params).status_code == 400


def test_the_default_is_the_last_closed_cycle(admin_client, tree):
    response = admin_client.get(reverse("analytics:chargeback"))
    cb = response.context["cb"]
    assert (cb.period, cb.start, cb.end) == ("cycle", date(2026, 3, 1), date(2026, 3, 31))


def test_a_rerun_is_audited(admin_client, org, tree, admin_user):
    admin_client.get(reverse("analytics:chargeback"), MARCH)
    response = admin_client.post(reverse("analytics:chargeback_rerun"), MARCH)
    assert response.status_code == 302 and "month=2026-03" in response["Location"]
    assert DirectoryAuditEntry.objects.filter(
        organization=org, action="chargeback_rerun", actor=admin_user
    ).exists()
