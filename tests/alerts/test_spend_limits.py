"""Cursor spend limits: the simulator's documented behaviour, the client's failure paths, and
the pages (choose → confirm each change → per-person results, audit-logged)."""

from decimal import Decimal

import httpx
import pytest
from django.urls import reverse
from django.utils.html import escape

from alerts.models import Budget
from alerts.spend_limits import AUDIT_ACTION, NOT_AVAILABLE
from analytics.models import CursorMember, SpendSnapshot
from integrations.cursor.client import CursorClient
from integrations.cursor.errors import CursorTimeout, InvalidApiKey, PlanRequired, RateLimited, UpstreamError
from integrations.cursor.ratelimit import NoRateLimit
from integrations.models import AuditLogEntry, Connection
from people.models import Person
from tests.cursor.fakes import FakeCursor, error, ok, raw

PATH = "/teams/user-spend-limits"


@pytest.fixture
def team(make_sim_team):
    team = make_sim_team(seats=8, days=10, seed=5)
    team.rate_limits = False
    return team


def _client(cursor_sim, team) -> CursorClient:
    return CursorClient(
        team.api_key, base_url=cursor_sim.base_url, limiter=NoRateLimit(), sleep=lambda s: None
    )


def _listed(team):
    return [m for m in team.roster if m.listed and not m.is_removed]


def _limits(client) -> dict:
    return {m.email.lower(): m.monthly_limit_dollars for m in client.spend().members}


def test_simulator_updates_then_reports_unchanged_and_fails_strangers(cursor_sim, team):
    a, b = _listed(team)[:2]
    with _client(cursor_sim, team) as client:
        first = client.set_user_spend_limits([(a.email, 150), (b.email, None), ("nobody@else.test", 5)])
        assert [(r.status, r.error) for r in first] == [
            ("updated" if a.monthly_limit_dollars != 150 else "unchanged", ""),
            ("updated" if b.monthly_limit_dollars is not None else "unchanged", ""),
            ("failed", "User is not a member of this team"),
        ]
        again = client.set_user_spend_limits([(a.email, 150), (b.email, None)])
        assert [r.status for r in again] == ["unchanged", "unchanged"]
        limits = _limits(client)
    assert limits[a.email.lower()] == 150 and limits[b.email.lower()] is None


def _post(cursor_sim, team, body):
    return httpx.post(cursor_sim.base_url + PATH, json=body, auth=(team.api_key, ""), timeout=5)


def test_simulator_rejects_duplicates_and_oversized_requests_applying_nothing(cursor_sim, team):
    a, b = _listed(team)[:2]
    with _client(cursor_sim, team) as client:
        before = _limits(client)
    duplicate = {
        "updates": [
            {"userEmail": a.email, "spendLimitDollars": 7},
            {"userEmail": a.email.upper(), "spendLimitDollars": 8},
        ]
    }
    response = _post(cursor_sim, team, duplicate)
    assert response.status_code == 400 and response.json()["message"] == "Duplicate userEmail in updates"
    too_many = {"updates": [{"userEmail": b.email, "spendLimitDollars": 9}] + [{"userEmail": f"x{n}@y.test", "spendLimitDollars": 1} for n in range(100)]}  # fmt: skip
    response = _post(cursor_sim, team, too_many)
    assert response.status_code == 400 and response.json()["message"] == "At most 100 updates per request"
    for bad in ({"updates": []}, {"updates": [{"userEmail": a.email, "spendLimitDollars": 1.5}]}, {"updates": [{"userEmail": a.email}]}):  # fmt: skip
        assert _post(cursor_sim, team, bad).status_code == 400
    with _client(cursor_sim, team) as client:
        assert _limits(client) == before


def test_simulator_403_when_not_enabled_or_not_enterprise(cursor_sim, team, make_sim_team):
    team.bulk_spend_limits = False
    with _client(cursor_sim, team) as client, pytest.raises(PlanRequired):
        client.set_user_spend_limits([(_listed(team)[0].email, 10)])
    business = make_sim_team(seats=3, days=5, seed=6, plan="team")
    business.rate_limits = False
    with _client(cursor_sim, business) as client, pytest.raises(PlanRequired):
        client.set_user_spend_limits([(_listed(business)[0].email, 10)])


def test_client_sends_batches_of_at_most_100():
    fake = FakeCursor()

    def answer(request):
        updates = __import__("json").loads(request.content)["updates"]
        return ok({"results": [{"userEmail": u["userEmail"], "status": "updated"} for u in updates]})

    fake.route("POST", PATH, answer)
    updates = [(f"u{n}@acme.test", n) for n in range(230)]
    with fake.client() as client:
        results = client.set_user_spend_limits(updates)
    assert [len(b["updates"]) for b in fake.bodies(PATH)] == [100, 100, 30]
    assert [r.email for r in results] == [e for e, _ in updates] and {r.status for r in results} == {
        "updated"
    }
    with fake.client() as client, pytest.raises(ValueError):
        client.set_user_spend_limits([("a@x.test", 1), ("A@x.test", 2)])
    with fake.client() as client, pytest.raises(ValueError):
        client.set_user_spend_limits([("a@x.test", 1.5)])


@pytest.mark.parametrize(
    "responses, expected",
    [
        ([error(401, "Unauthorized", "Invalid API key")], InvalidApiKey),
        ([error(403, "Forbidden", "Not enabled")], PlanRequired),
        ([error(429, "Too Many Requests", "Rate limit exceeded")], RateLimited),
        ([error(500, "Internal Server Error", "boom")], UpstreamError),
        ([raw(200, b'{"results": [')], UpstreamError),
        ([ok({"unexpected": True})], UpstreamError),
    ],
)
def test_client_failure_paths(responses, expected):
    fake = FakeCursor()
    fake.route("POST", PATH, responses)
    with fake.client(max_retries=1) as client, pytest.raises(expected):
        client.set_user_spend_limits([("a@x.test", 1)])


def test_client_timeout_and_items_missing_from_the_answer():
    fake = FakeCursor()

    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    fake.route("POST", PATH, slow)
    with fake.client(max_retries=1) as client, pytest.raises(CursorTimeout):
        client.set_user_spend_limits([("a@x.test", 1)])
    fake = FakeCursor()
    fake.route("POST", PATH, ok({"results": [{"userEmail": "a@x.test", "status": "failed"}, "junk"]}))
    with fake.client() as client:
        results = client.set_user_spend_limits([("a@x.test", 1), ("b@x.test", 2)])
    assert [(r.status, r.error) for r in results] == [
        ("failed", "Cursor did not say why."),
        ("failed", "Cursor's answer did not mention this person."),
    ]


# -- the pages ------------------------------------------------------------------------------------


@pytest.fixture
def connected(org, team, cursor_sim):
    conn = Connection(organization=org, base_url=cursor_sim.base_url, capabilities={"admin": True})
    conn.set_api_key(team.api_key)
    conn.save()
    members = []
    for sim_member in _listed(team)[:3]:
        person = Person.objects.create(
            organization=org, name=sim_member.name, primary_email=sim_member.email.lower()
        )
        cm = CursorMember.objects.create(
            organization=org, email=sim_member.email.lower(), name=sim_member.name, person=person
        )
        SpendSnapshot.objects.create(
            organization=org, member=cm, cycle_start="2026-11-01T00:00:00Z", captured_at="2026-11-20T00:00:00Z",
            monthly_limit_dollars=None if sim_member.monthly_limit_dollars is None else Decimal(sim_member.monthly_limit_dollars),
        )  # fmt: skip
        members.append(cm)
    return members


@pytest.mark.django_db
def test_set_one_persons_limit_confirm_then_apply(admin_client, admin_user, org, connected, team, cursor_sim):
    dana = connected[0]
    page = admin_client.get(reverse("alerts:spend_limits"), {"member": dana.pk})
    assert page.status_code == 200 and dana.name in page.content.decode()
    form = {"member": [str(dana.pk)], f"limit_{dana.pk}": "321"}
    confirm = admin_client.post(reverse("alerts:spend_limits_review"), form)
    assert confirm.status_code == 200
    assert f"{dana.email}): " in confirm.content.decode() and "→ $321" in confirm.content.decode()
    assert not AuditLogEntry.objects.filter(
        organization=org, action=AUDIT_ACTION
    ).exists()  # nothing sent yet
    result = admin_client.post(reverse("alerts:spend_limits_apply"), form)
    assert result.status_code == 200
    assert "1 updated · 0 unchanged · 0 failed" in result.content.decode()
    with _client(cursor_sim, team) as client:
        assert _limits(client)[dana.email] == 321
    [entry] = AuditLogEntry.objects.filter(organization=org, action=AUDIT_ACTION)
    snapshot = SpendSnapshot.objects.get(member=dana).monthly_limit_dollars
    before = "no limit" if snapshot is None else f"${int(snapshot):,}"
    assert entry.actor == admin_user
    assert entry.detail == f"Cursor spend limit of {dana.email}: {before} → $321"
    again = admin_client.post(reverse("alerts:spend_limits_apply"), form)
    assert "0 updated · 1 unchanged · 0 failed" in again.content.decode()
    assert AuditLogEntry.objects.filter(organization=org, action=AUDIT_ACTION).count() == 1


@pytest.mark.django_db
def test_apply_budgets_suggested_limits_to_many_at_once(admin_client, org, connected, cursor_sim, team):
    for n, cm in enumerate(connected):
        Budget.objects.create(
            organization=org,
            scope=Budget.Scope.PERSON,
            person=cm.person,
            amount_cents=10_000 * (n + 1) + 3_799,
        )
    page = admin_client.get(reverse("alerts:spend_limits")).content.decode()
    assert all(f'name="limit_{cm.pk}" value="{100 * (n + 1) + 37}"' in page for n, cm in enumerate(connected))
    form = {
        "member": [str(cm.pk) for cm in connected],
        **{f"limit_{cm.pk}": str(100 * (n + 1) + 37) for n, cm in enumerate(connected)},
    }
    confirm = admin_client.post(reverse("alerts:spend_limits_review"), form).content.decode()
    assert confirm.count("<li><strong>") == 3 and "Apply 3 changes in Cursor" in confirm
    result = admin_client.post(reverse("alerts:spend_limits_apply"), form).content.decode()
    assert result.count('data-status="updated"') == 3
    with _client(cursor_sim, team) as client:
        limits = _limits(client)
    assert [limits[cm.email] for cm in connected] == [137, 237, 337]


@pytest.mark.django_db
def test_a_team_without_the_endpoint_gets_a_clear_message(admin_client, org, connected, team):
    team.bulk_spend_limits = False
    dana = connected[0]
    response = admin_client.post(
        reverse("alerts:spend_limits_apply"), {"member": [str(dana.pk)], f"limit_{dana.pk}": "10"}
    )
    assert response.status_code == 409 and escape(NOT_AVAILABLE) in response.content.decode()
    assert not AuditLogEntry.objects.filter(organization=org, action=AUDIT_ACTION).exists()


@pytest.mark.django_db
def test_bad_input_and_no_connection(admin_client, org, connected):
    dana = connected[0]
    response = admin_client.post(reverse("alerts:spend_limits_review"), {"member": [str(dana.pk)], f"limit_{dana.pk}": "12.5"}, follow=True)  # fmt: skip
    assert "is not a whole number of dollars" in response.content.decode()
    Connection.objects.filter(organization=org).delete()
    response = admin_client.post(
        reverse("alerts:spend_limits_apply"), {"member": [str(dana.pk)], f"limit_{dana.pk}": ""}
    )
    assert response.status_code == 409 and "Connect Cursor first" in response.content.decode()


@pytest.mark.django_db
def test_roles(owner_client, member_client, outsider_client, org, connected, team, cursor_sim):
    dana = connected[0]
    form = {"member": [str(dana.pk)], f"limit_{dana.pk}": "5"}
    assert owner_client.get(reverse("alerts:spend_limits")).status_code == 200
    for url in ("alerts:spend_limits_review", "alerts:spend_limits_apply"):
        assert member_client.post(reverse(url), form).status_code == 403
    assert member_client.get(reverse("alerts:spend_limits")).status_code == 403
    # Another organization's member ids are simply not theirs: nothing to confirm, nothing applied.
    page = outsider_client.get(reverse("alerts:spend_limits"), {"member": dana.pk}).content.decode()
    assert dana.name not in page
    response = outsider_client.post(reverse("alerts:spend_limits_review"), form, follow=True)
    assert "Choose at least one person." in response.content.decode()
    response = outsider_client.post(reverse("alerts:spend_limits_apply"), form)
    assert response.status_code == 400 and "Choose at least one person." in response.content.decode()
    with _client(cursor_sim, team) as client:
        assert _limits(client)[dana.email] != 5


@pytest.mark.django_db
def test_links_from_the_spend_review_and_a_members_page(admin_client, connected):
    assert reverse("alerts:spend_limits").encode() in admin_client.get(reverse("analytics:spend")).content
    page = admin_client.get(reverse("analytics:member", args=[connected[0].pk])).content.decode()
    assert f"{reverse('alerts:spend_limits')}?member={connected[0].pk}" in page
