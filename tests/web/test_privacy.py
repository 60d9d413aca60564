"""The privacy rule on every surface that shows per-person figures, with five personas:
owner, admin, team lead (Platform: dev0, dev1), member (dev3 themself) and outsider."""

import pytest
from django.test import Client
from django.urls import reverse

from analytics.models import CursorMember
from koalr.accounts import services
from koalr.accounts.models import Membership
from tests.analytics.conftest import csv_rows
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
RANGE = {"range": "custom", "start": "2026-03-02", "end": "2026-03-31"}
ALL = {f"dev{i}@acme.test" for i in range(8)}
PLATFORM = {"dev0@acme.test", "dev1@acme.test"}


@pytest.fixture
def personas(org, owner, admin_user, lead_user, outsider, tree):
    me = MembershipFactory(organization=org, role=Membership.Role.MEMBER, user__email="dev3@acme.test").user
    return {"owner": owner, "admin": admin_user, "lead": lead_user, "member": me, "outsider": outsider}


def session(user):
    c = Client()
    c.force_login(user)
    return c


def token_client(user, organization):
    _, raw = services.create_api_token(organization=organization, user=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def member_id(org, email):
    return CursorMember.objects.get(organization=org, email=email).pk


EXPECTED_TABLE = {"owner": ALL, "admin": ALL, "lead": PLATFORM, "member": set(), "outsider": set()}


@pytest.mark.parametrize("persona", EXPECTED_TABLE)
def test_dashboard_member_table(persona, personas):
    response = session(personas[persona]).get(reverse("analytics:dashboard"), RANGE)
    assert response.status_code == 200
    table = response.context.get("member_table")
    shown = {row["email"] for row in table["page"]} if table else set()
    # The outsider sees their own organization's table: never anyone of Acme.
    assert {e for e in shown if e.endswith("@acme.test")} == EXPECTED_TABLE[persona]
    if persona != "outsider":
        assert shown <= ALL
    if persona == "lead":
        assert "The people of the teams you lead." in response.content.decode()


MEMBER_PAGE = {
    # persona: (status for dev0's page, status for dev2's page)
    "owner": (200, 200),
    "admin": (200, 200),
    "lead": (200, 403),
    "member": (403, 403),
    "outsider": (404, 404),
}


@pytest.mark.parametrize("persona", MEMBER_PAGE)
def test_member_pages(persona, personas, org):
    c = session(personas[persona])
    got = tuple(
        c.get(reverse("analytics:member", args=[member_id(org, e)]), RANGE).status_code
        for e in ("dev0@acme.test", "dev2@acme.test")
    )
    assert got == MEMBER_PAGE[persona]


def test_a_member_still_sees_their_own_usage(personas):
    response = session(personas["member"]).get(reverse("analytics:me"), RANGE)
    assert response.status_code == 200 and response.context["subject"].email == "dev3@acme.test"


CSV = {"owner": (200, ALL), "admin": (200, ALL), "lead": (200, PLATFORM), "member": (403, None)}


@pytest.mark.parametrize("persona", [*CSV, "outsider"])
def test_members_csv(persona, personas):
    response = session(personas[persona]).get(reverse("analytics:members_csv"), RANGE)
    if persona == "outsider":  # their own organization's export: nothing of Acme
        assert response.status_code == 200
        assert not {r["Email"] for r in csv_rows(response)} & ALL
        return
    status, emails = CSV[persona]
    assert response.status_code == status
    if emails is not None:
        assert {r["Email"] for r in csv_rows(response)} == emails


API_MEMBERS = {
    "owner": (200, ALL),
    "admin": (200, ALL),
    "lead": (200, PLATFORM),
    "member": (403, None),
    "outsider": (404, None),
}


@pytest.mark.parametrize("persona", API_MEMBERS)
@pytest.mark.parametrize("auth", ["token", "session"])
def test_api_usage_members(persona, auth, personas, org, other_org):
    user = personas[persona]
    c = token_client(user, other_org if persona == "outsider" else org) if auth == "token" else session(user)
    response = c.get(
        "/api/v1/orgs/acme/usage/members", {"start": RANGE["start"], "end": RANGE["end"], "limit": 1000}
    )
    status, emails = API_MEMBERS[persona]
    assert response.status_code == status
    if emails is not None:
        assert {r["email"] for r in response.json()["results"]} == emails


@pytest.mark.parametrize("persona", API_MEMBERS)
def test_api_metering_by_user(persona, personas, org, other_org):
    user = personas[persona]
    c = token_client(user, other_org if persona == "outsider" else org)
    response = c.get(
        "/api/v1/orgs/acme/usage",
        {"start": RANGE["start"], "end": RANGE["end"], "group_by": "user", "grain": "month", "limit": 1000},
    )
    status, emails = API_MEMBERS[persona]
    assert response.status_code == status
    if emails is not None:
        keys = {r["key"] for r in response.json()["results"]}
        assert keys and keys <= emails
        assert keys == {e for e in emails if e != "dev7@acme.test"}  # dev7 is idle: no records
