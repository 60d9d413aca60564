"""The teams API: /teams, /people, /teams/compare, /chargeback and ?team= on usage endpoints."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from analytics.selectors.teams import team_comparison
from analytics.services.chargeback import organization_spend
from koalr.accounts import services
from koalr.accounts.models import Membership
from tests.factories import MembershipFactory
from tests.people.conftest import END, START, lead_user, tree  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
RANGE = {"start": START.isoformat(), "end": END.isoformat()}


@pytest.fixture
def personas(org, owner, admin_user, lead_user, outsider, tree):  # noqa: F811  (pytest fixtures)
    me = MembershipFactory(organization=org, role=Membership.Role.MEMBER, user__email="dev3@acme.test").user
    return {"owner": owner, "admin": admin_user, "lead": lead_user, "member": me, "outsider": outsider}


@pytest.fixture
def api(personas, org, other_org):
    def client(persona):
        user = personas[persona]
        _, raw = services.create_api_token(
            organization=other_org if persona == "outsider" else org, user=user
        )
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return client


STATUS_ALL = {"owner": 200, "admin": 200, "lead": 200, "member": 200, "outsider": 404}
STATUS_ADMINS = {"owner": 200, "admin": 200, "lead": 403, "member": 403, "outsider": 404}


@pytest.mark.parametrize("persona", STATUS_ALL)
def test_teams(api, persona):
    response = api(persona).get("/api/v1/orgs/acme/teams")
    assert response.status_code == STATUS_ALL[persona]
    if response.status_code == 200:
        rows = {r["slug"]: r for r in response.json()["results"]}
        assert list(rows) == ["engineering", "apps", "platform", "sales"]
        assert (rows["apps"]["parent"], rows["apps"]["depth"], rows["engineering"]["members"]) == (
            "engineering",
            1,
            4,
        )
        assert rows["platform"]["lead"] == "lead@acme.test"


@pytest.mark.parametrize("persona", STATUS_ADMINS)
def test_people(api, persona):
    response = api(persona).get("/api/v1/orgs/acme/people", {"limit": 100})
    assert response.status_code == STATUS_ADMINS[persona]
    if response.status_code == 200:
        rows = {r["email"]: r for r in response.json()["results"]}
        assert set(rows["dev1@acme.test"]["teams"]) == {"apps", "platform"}
        assert rows["dev1@acme.test"]["tools"] == ["Cursor"]
        assert not any(e.endswith("globex.test") for e in rows)


@pytest.mark.parametrize("persona", STATUS_ALL)
def test_compare(api, persona, org):
    response = api(persona).get("/api/v1/orgs/acme/teams/compare", RANGE)
    assert response.status_code == STATUS_ALL[persona]
    if response.status_code != 200:
        return
    rows = {r["team"]: r for r in response.json()["results"]}
    truth = {r.key: r for r in team_comparison(org, START, END)}
    if persona in ("owner", "admin"):
        assert list(rows) == ["engineering", "apps", "platform", "sales", "none"]
    elif persona == "lead":
        assert "platform" in rows and "sales" not in rows and "other" in rows
    else:
        assert list(rows) == ["engineering", "apps", "none", "other"]
    assert Decimal(str(rows["engineering"]["spend_cents"])) == truth["engineering"].spend_cents
    assert rows["engineering"]["seats"] == 4


def test_compare_rejects_bad_ranges(api):
    c = api("admin")
    assert (
        c.get("/api/v1/orgs/acme/teams/compare", {"start": "0001-01-01", "end": "0001-01-02"}).status_code
        == 400
    )
    assert "start" in c.get("/api/v1/orgs/acme/teams/compare").json()


@pytest.mark.parametrize("persona", STATUS_ADMINS)
def test_chargeback(api, persona, org):
    response = api(persona).get("/api/v1/orgs/acme/chargeback", {"month": "2026-03"})
    assert response.status_code == STATUS_ADMINS[persona]
    if response.status_code == 200:
        body = response.json()
        spend = organization_spend(org, date(2026, 3, 1), date(2026, 3, 31))
        assert Decimal(str(body["total_spend_cents"])) == spend
        assert sum(line["spend_whole_cents"] for line in body["lines"]) == body["total_whole_cents"]
        assert {line["team"] for line in body["lines"]} == {"platform", "apps", "sales", ""}


@pytest.mark.parametrize(
    "query",
    [
        {"month": "2026-3"},
        {"cycle": "2026-03-05"},
        {"cycle": "2026-03-01", "month": "2026-03"},
        {"month": "9999-12"},
    ],
)
def test_chargeback_bad_periods_answer_400(api, query):
    assert api("admin").get("/api/v1/orgs/acme/chargeback", query).status_code == 400


def test_team_filter_on_usage_endpoints(api, org):
    c = api("admin")
    members = c.get("/api/v1/orgs/acme/usage/members", {**RANGE, "team": "apps", "limit": 100}).json()[
        "results"
    ]
    assert {m["email"] for m in members} == {"dev1@acme.test", "dev2@acme.test", "dev3@acme.test"}
    none = c.get("/api/v1/orgs/acme/usage/members", {**RANGE, "team": "none", "limit": 100}).json()["results"]
    assert {m["email"] for m in none} == {"dev5@acme.test", "dev6@acme.test", "dev7@acme.test"}
    lead = api("lead").get("/api/v1/orgs/acme/usage/members", {**RANGE, "team": "apps"}).json()["results"]
    assert {m["email"] for m in lead} == {"dev1@acme.test"}
    total = c.get("/api/v1/orgs/acme/usage", {**RANGE, "grain": "month", "team": "sales"}).json()["results"]
    sales = next(r for r in team_comparison(org, START, END) if r.key == "sales")
    assert sum(Decimal(str(r["metrics"]["cost_cents"])) for r in total) == sales.spend_cents
    assert c.get("/api/v1/orgs/acme/usage/members", {**RANGE, "team": "nope"}).json() == {
        "team": ["team must be a team's slug or none."]
    }
    for path in ("usage/daily", "usage/models"):
        assert c.get(f"/api/v1/orgs/acme/{path}", {**RANGE, "team": "apps"}).status_code == 400
    assert c.get("/api/v1/orgs/acme/usage", {**RANGE, "team": "apps", "group_by": "model"}).status_code == 400
