"""Key validation against the Cursor simulator: real HTTP on loopback, every failure path."""

import logging
import socket

import pytest
from django.urls import reverse

from integrations import key_check, services
from integrations.models import AuditLogEntry, Connection

pytestmark = pytest.mark.django_db


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens once the socket is closed


def test_enterprise_key_is_saved_with_every_capability(org, admin_user, cursor_sim, sim_team):
    result = services.connect_cursor(
        org, admin_user, sim_team.api_key, base_url=cursor_sim.base_url, start_backfill=False
    )
    conn = Connection.objects.get(organization=org)
    assert conn.get_api_key() == sim_team.api_key and conn.base_url == cursor_sim.base_url
    assert conn.capabilities["admin"] and conn.capabilities["analytics"] and conn.capabilities["ai_code"]
    assert conn.capabilities["member_count"] == len([m for m in sim_team.members() if not m.get("isRemoved")])
    assert result.enterprise_note == ""


def test_team_plan_key_is_saved_with_the_enterprise_note(org, admin_user, cursor_sim, make_sim_team):
    team = make_sim_team(plan="team")
    result = services.connect_cursor(
        org, admin_user, team.api_key, base_url=cursor_sim.base_url, start_backfill=False
    )
    assert "Enterprise" in result.enterprise_note
    caps = Connection.objects.get(organization=org).capabilities
    assert caps["admin"] is True and caps["analytics"] is False and caps["ai_code"] is False


def test_unknown_key_is_rejected_with_nothing_saved(org, admin_user, cursor_sim, sim_team):
    with pytest.raises(services.KeyRejected):
        services.connect_cursor(org, admin_user, "crsr_" + "0" * 64, base_url=cursor_sim.base_url)
    assert not Connection.objects.exists() and not AuditLogEntry.objects.exists()


def test_closed_port_is_unreachable_with_nothing_saved(org, admin_user):
    with pytest.raises(services.CursorUnavailable) as excinfo:
        services.connect_cursor(org, admin_user, "crsr_" + "1" * 64, base_url=closed_port_url())
    assert "Nothing was saved" in excinfo.value.user_message
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    "arm",
    [
        lambda f: f.fail_next(5, status=503),
        lambda f: f.fail_next(5, status=500, path="/teams/members"),
        lambda f: f.rate_limit_storm(5),
        lambda f: f.malformed_json_next(5),
    ],
    ids=["503", "500-members", "429-storm", "malformed-json"],
)
def test_upstream_trouble_is_retryable_with_nothing_saved(org, admin_user, cursor_sim, sim_team, arm):
    arm(sim_team.faults)
    with pytest.raises(services.CursorUnavailable):
        services.connect_cursor(org, admin_user, sim_team.api_key, base_url=cursor_sim.base_url)
    assert not Connection.objects.exists()


def test_slow_cursor_times_out_as_unreachable(org, admin_user, cursor_sim, sim_team, monkeypatch):
    monkeypatch.setattr(key_check, "VALIDATION_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(key_check, "VALIDATION_RETRIES", 0)
    sim_team.faults.slow_seconds = 1.0
    with pytest.raises(services.CursorUnavailable):
        services.connect_cursor(org, admin_user, sim_team.api_key, base_url=cursor_sim.base_url)
    assert not Connection.objects.exists()


def test_transient_blip_is_retried_once_and_then_connects(org, admin_user, cursor_sim, sim_team, monkeypatch):
    sim_team.faults.fail_next(1, status=502)
    services.connect_cursor(
        org, admin_user, sim_team.api_key, base_url=cursor_sim.base_url, start_backfill=False
    )
    assert Connection.objects.filter(organization=org).exists()


def test_connect_form_against_the_simulator_and_logs_stay_clean(
    caplog, admin_client, org, cursor_sim, sim_team, settings
):
    settings.CURSOR_API_BASE_URL = cursor_sim.base_url
    caplog.set_level(logging.DEBUG)
    bad = admin_client.post(reverse("integrations:cursor_connect"), {"api_key": "crsr_" + "9" * 64})
    assert "Cursor rejected this API key." in bad.content.decode()
    response = admin_client.post(reverse("integrations:cursor_connect"), {"api_key": sim_team.api_key})
    assert response.status_code == 302
    assert Connection.objects.get(organization=org).get_api_key() == sim_team.api_key
    assert any("cursor" in r.name for r in caplog.records)  # the client did log its calls
    for record in caplog.records:
        message = record.getMessage()
        assert sim_team.api_key not in message and "9" * 64 not in message
