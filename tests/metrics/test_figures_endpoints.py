"""The page-only figures' endpoints with every persona: owner, admin, a team lead, a plain
member (Cursor member dev3, in Apps), an outsider (404) and no token (401)."""

from decimal import Decimal

import pytest

from analytics import selectors
from analytics.selectors.team_lens import team_headline
from analytics.selectors.teams import min_group_size

from .conftest import END, RANGE, START

pytestmark = pytest.mark.django_db

ALL = {"owner": 200, "admin": 200, "lead": 200, "member": 200, "outsider": 404, None: 401}
ADMINS = {"owner": 200, "admin": 200, "lead": 403, "member": 403, "outsider": 404, None: 401}
ORG = "/api/v1/orgs/acme/"
ENDPOINTS = {  # label → (path, query, status per persona)
    "headline": ("usage/headline", RANGE, ALL),
    "ai-code": ("usage/ai-code", RANGE, ALL),
    "tool days": ("usage/tools", RANGE, ALL),
    "analytics rows": ("analytics/team", RANGE, ALL),
    "tools": ("tools", RANGE, ALL),
    "big team": ("teams/engineering/headline", RANGE, ALL),  # 4 people: big enough for anyone
    "small team": ("teams/platform/headline", RANGE, {**ALL, "member": 403}),  # 2 people, the lead's
    "a lead's person": ("usage/headline", {**RANGE, "member": "dev0@acme.test"}, {**ALL, "member": 403}),
    "oneself": (
        "usage/headline",
        {**RANGE, "member": "dev3@acme.test"},
        {**ALL, "lead": 403},
    ),  # dev3 is in Apps
    "someone in Sales": (
        "usage/ai-code",
        {**RANGE, "member": "dev4@acme.test"},
        {**ALL, "lead": 403, "member": 403},
    ),
    "spend review": ("spend/review", {}, ADMINS),
    "idle seats": ("seats/idle", {}, ADMINS),
    "seat overlap": ("tools/overlap", {}, ADMINS),
    "my teams": ("me/teams", RANGE, ALL),
}


@pytest.mark.parametrize("persona", list(ALL))
@pytest.mark.parametrize("label", list(ENDPOINTS))
def test_each_endpoint_answers_each_persona(api, persona, label):
    path, query, expected = ENDPOINTS[label]
    response = api(persona).get(ORG + path, query)
    assert response.status_code == expected[persona], response.content[:300]
    if response.status_code != 200:
        assert "detail" in response.json()


def test_the_headline_is_the_dashboards(api, org):
    body = api("member").get(ORG + "usage/headline", RANGE).json()
    truth = selectors.headline(org, START, END)
    for key in ("ai_requests", "wau", "mau", "active_users", "accepted_lines"):
        assert body[key]["value"] == truth[key]["value"], key
        assert body[key]["previous"] == truth[key]["previous"], key
    assert body["avg_dau"]["value"] == pytest.approx(truth["avg_dau"]["value"])
    assert Decimal(str(body["spend_cents"]["value"])) == truth["spend_cents"]["value"]
    assert body["seats"] == truth["seats"] and "active_days" not in body and "tools" not in body


def test_a_members_headline_is_their_page(api, org):
    dev0 = selectors.member_for_user(org, type("U", (), {"email": "dev0@acme.test"}))
    body = api("lead").get(ORG + "usage/headline", {**RANGE, "member": "DEV0@acme.test"}).json()
    truth = selectors.headline(org, START, END, member=dev0)
    assert body["active_days"]["value"] == truth["active_days"]["value"]
    assert body["seats"] is None and "wau" not in body
    assert {t["tool"] for t in body["tools"]} == {"cursor"}
    assert (
        Decimal(str(body["cycle_spend"]["overall_spend_cents"]))
        == selectors.member_cycle_spend(org, dev0)["overall_spend_cents"]
    )


def test_a_teams_headline_is_the_team_dashboards(api, org):
    body = api("lead").get(ORG + "teams/platform/headline", RANGE).json()
    truth = team_headline(org, "platform", START, END)
    assert body["seats"] == truth["seats"] == 2 < min_group_size() + 1
    assert body["requests"]["value"] == truth["requests"]["value"]
    assert body["acceptance_rate"]["value"] == pytest.approx(truth["acceptance_rate"]["value"])


def test_bad_input_is_a_400_or_404(api):
    c = api("admin")
    assert c.get(ORG + "usage/headline").status_code == 400
    assert "model" in c.get(ORG + "usage/headline", {**RANGE, "model": "not-a-model"}).json()
    assert "member" in c.get(ORG + "usage/headline", {**RANGE, "member": "nobody@acme.test"}).json()
    assert c.get(ORG + "teams/no-such-team/headline", RANGE).status_code == 404
    assert "team" in c.get(ORG + "spend/review", {"team": "no-such-team"}).json()
    assert "metric" in c.get(ORG + "analytics/team", {**RANGE, "metric": "nope"}).json()
    assert "tool" in c.get(ORG + "usage/tools", {**RANGE, "tool": "vim"}).json()


def test_the_spend_review_and_idle_seats_are_the_pages(api, org):
    body = api("admin").get(ORG + "spend/review").json()
    truth = selectors.spend_overview(org, today=END, include_members=False)
    assert body["cycle_start"] == truth["cycle_start"].isoformat()
    assert Decimal(str(body["projected_cents"])) == pytest.approx(truth["projected_cents"])
    assert body["idle_30"] == len(truth["idle_30"]) and body["idle_14"] == len(truth["idle_14"])
    assert [r["email"] for r in body["top_spenders"]] == [r["email"] for r in truth["top_spenders"]]
    idle = api("owner").get(ORG + "seats/idle").json()["results"]
    assert [r["email"] for r in idle] == [r["email"] for r in truth["idle_14"]]
    assert all(r["tool"] == "cursor" for r in idle)
