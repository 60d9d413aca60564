"""GET members, GET sync-runs and POST integrations/cursor/sync, for every persona."""

import pytest

from analytics.models import CursorMember
from integrations.models import Connection, SyncRun
from tests.fixtures.analytics_data import CursorMemberFactory, seed_usage

from .conftest import ADMINS_ONLY, EVERY_MEMBER

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orgs(seeded_org, other_org):
    seed_usage(other_org, members=3, days=5, seed=7)
    return seeded_org, other_org


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_members_endpoint_per_persona(two_orgs, persona_client, persona):
    org, _ = two_orgs
    response = persona_client(persona).get(f"/api/v1/orgs/{org.slug}/members?limit=1000")
    assert response.status_code == EVERY_MEMBER[persona]
    if response.status_code != 200:
        return
    body = response.json()
    stored = list(CursorMember.objects.filter(organization=org))
    assert body["count"] == len(stored)
    if persona == "member":
        # Names and roles at most: no email, first_seen, last_active or roster flags (finding 3).
        assert all(set(r) == {"name", "role"} for r in body["results"]), body["results"][0]
        by_name = sorted(stored, key=lambda m: (m.name, m.pk))
        assert [(r["name"], r["role"]) for r in body["results"]] == [(m.name, m.role) for m in by_name]
        assert "@" not in response.content.decode()
    else:
        assert [r["email"] for r in body["results"]] == [
            m.email for m in sorted(stored, key=lambda m: m.email)
        ]
        assert all(r["email"].endswith("@acme.test") for r in body["results"])
        assert all("last_active" in r and "first_seen" in r for r in body["results"])


def test_the_schema_says_which_member_fields_are_for_admins_only():
    from django.test import Client

    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    member = schema["components"]["schemas"]["Member"]
    assert not {"email", "first_seen", "last_active"} & set(member.get("required", []))
    for field in ("email", "first_seen", "last_active", "removed", "not_in_roster"):
        assert "Owners and admins only" in member["properties"][field]["description"], field
    description = schema["paths"]["/api/v1/orgs/{org}/members"]["get"]["description"]
    assert "Plain members get `name` and `role`" in description


def test_members_fields_mirror_the_stored_roster(seeded_org, admin_client):
    removed = CursorMemberFactory(organization=seeded_org, email="gone@acme.test", is_removed=True)
    ghost = CursorMemberFactory(organization=seeded_org, email="ghost@acme.test", not_in_roster=True)
    rows = {
        r["email"]: r
        for r in admin_client.get(f"/api/v1/orgs/{seeded_org.slug}/members?limit=1000").json()["results"]
    }
    assert rows[removed.email]["removed"] is True
    assert rows[ghost.email]["not_in_roster"] is True
    for member in CursorMember.objects.filter(organization=seeded_org):
        row = rows[member.email]
        assert row["name"] == member.name
        assert row["role"] == member.role
        assert row["removed"] == member.is_removed
        assert row["first_seen"] == (member.first_seen.isoformat() if member.first_seen else None)
        assert row["last_active"] == (member.last_seen.isoformat() if member.last_seen else None)


def test_members_are_paginated(seeded_org, admin_client):
    url = f"/api/v1/orgs/{seeded_org.slug}/members"
    total = CursorMember.objects.filter(organization=seeded_org).count()
    first = admin_client.get(url, {"limit": 2}).json()
    assert first["count"] == total
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert "offset=2" in first["next"]
    rest = admin_client.get(url, {"limit": 2, "offset": 2}).json()
    assert {r["email"] for r in first["results"]}.isdisjoint({r["email"] for r in rest["results"]})


@pytest.fixture
def runs(org, other_org):
    mine = [
        SyncRun.objects.create(organization=org, status=SyncRun.Status.SUCCEEDED, trigger="hourly"),
        SyncRun.objects.create(organization=org, status=SyncRun.Status.RUNNING, trigger="manual"),
    ]
    SyncRun.objects.create(organization=other_org, status=SyncRun.Status.FAILED, trigger="hourly")
    return mine


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_sync_runs_endpoint_per_persona(runs, persona_client, persona):
    response = persona_client(persona).get("/api/v1/orgs/acme/sync-runs")
    assert response.status_code == EVERY_MEMBER[persona]
    if response.status_code == 200:
        results = response.json()["results"]
        # Newest first, and only Acme's runs.
        assert [r["id"] for r in results] == [runs[1].pk, runs[0].pk]
        assert results[0]["status"] == "running"


@pytest.fixture
def cursor_connection(org):
    connection = Connection(organization=org)
    connection.set_api_key("key_live_0123456789abcdef")
    connection.save()
    return connection


@pytest.fixture
def fake_start_sync(monkeypatch):
    """Stands in for integrations.services.trigger_sync; records its calls."""
    calls = []

    def trigger_sync(connection, actor=None, *, trigger, days=None):
        calls.append({"connection": connection, "trigger": trigger, "actor": actor})
        return SyncRun.objects.create(
            organization_id=connection.organization_id, connection=connection, trigger=trigger
        )

    monkeypatch.setattr("integrations.services.trigger_sync", trigger_sync)
    return calls


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_sync_trigger_per_persona(cursor_connection, fake_start_sync, persona_client, persona):
    expected = {**ADMINS_ONLY, "owner": 202, "admin": 202}[persona]
    response = persona_client(persona).post("/api/v1/orgs/acme/integrations/cursor/sync")
    assert response.status_code == expected
    if expected == 202:
        body = response.json()
        run = SyncRun.objects.get(pk=body["id"], organization=cursor_connection.organization)
        assert body["trigger"] == "api" == run.trigger
        assert body["status"] == "queued"
        assert len(fake_start_sync) == 1
        assert fake_start_sync[0]["connection"] == cursor_connection
        assert fake_start_sync[0]["actor"].email == f"{persona}@acme.test"
    else:
        assert fake_start_sync == []


def test_sync_trigger_without_a_connection_explains_why(org, admin_client, fake_start_sync):
    response = admin_client.post("/api/v1/orgs/acme/integrations/cursor/sync")
    assert response.status_code == 409
    assert "not connected" in response.json()["detail"]
    assert fake_start_sync == []


def test_sync_trigger_uses_only_the_organizations_own_connection(other_org, admin_client, fake_start_sync):
    # Globex is connected, Acme is not: Acme's admin must not start Globex's sync.
    connection = Connection(organization=other_org)
    connection.set_api_key("key_live_globex_0000")
    connection.save()
    assert admin_client.post("/api/v1/orgs/acme/integrations/cursor/sync").status_code == 409
    assert fake_start_sync == []


def test_sync_trigger_answers_no_get(cursor_connection, admin_client):
    assert admin_client.get("/api/v1/orgs/acme/integrations/cursor/sync").status_code == 405


def test_sync_trigger_queues_a_real_run_and_never_stacks(cursor_connection, admin_user, admin_client):
    # The real trigger_sync: the Celery task is enqueued on commit, which a test never reaches.
    from integrations.models import AuditLogEntry

    first = admin_client.post("/api/v1/orgs/acme/integrations/cursor/sync")
    assert first.status_code == 202
    run = SyncRun.objects.get(organization=cursor_connection.organization, pk=first.json()["id"])
    assert (run.trigger, run.status, run.connection_id) == ("api", "queued", cursor_connection.pk)
    entry = AuditLogEntry.objects.get(organization=cursor_connection.organization)
    assert (entry.actor, entry.action) == (admin_user, AuditLogEntry.Action.SYNC_TRIGGERED)

    again = admin_client.post("/api/v1/orgs/acme/integrations/cursor/sync")
    assert again.status_code == 202
    assert again.json()["id"] == run.pk
    assert SyncRun.objects.filter(organization=cursor_connection.organization).count() == 1


def test_sync_trigger_on_a_paused_key_is_refused_until_the_key_is_replaced(cursor_connection, admin_client):
    # A rejected key pauses every sync, from the API as from the Settings page.
    Connection.objects.filter(pk=cursor_connection.pk).update(status=Connection.Status.KEY_REJECTED)
    response = admin_client.post("/api/v1/orgs/acme/integrations/cursor/sync")
    assert response.status_code == 409
    assert "replace it" in response.json()["detail"]
    assert not SyncRun.objects.filter(organization=cursor_connection.organization).exists()
