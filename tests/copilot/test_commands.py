"""connect_copilot and sync_copilot against the Copilot simulator over loopback."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from analytics.models import CopilotUserDay
from integrations.copilot.options import CopilotSyncOptions
from integrations.models import AuditLogEntry, Connection, Provider
from integrations.ratelimit import NoRateLimit

from .conftest import SIM_NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_sync(settings, monkeypatch):
    settings.COPILOT_SYNC_OPTIONS = CopilotSyncOptions(
        sleep=lambda s: None, limiter=NoRateLimit(), timeout=5.0
    )
    settings.COPILOT_BACKFILL_DAYS = 5
    monkeypatch.setattr("integrations.copilot.sync.today", lambda: SIM_NOW.date())
    monkeypatch.setattr("integrations.copilot.services.make_client", _fast_validation_client)


def _fast_validation_client(token, scope, slug, base_url):
    from integrations.copilot.client import CopilotClient

    return CopilotClient(token, scope=scope, slug=slug, base_url=base_url, limiter=NoRateLimit(), timeout=5.0)


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_connect_then_sync(org, copilot_sim, sim_org, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(sim_org.token + "\n"))
    out = run(
        "connect_copilot",
        "--org",
        org.slug,
        "--github-org",
        "acme",
        "--token",
        "-",
        "--base-url",
        copilot_sim.url,
        "--no-sync",
    )
    assert "Connected GitHub Copilot" in out and f"{len(sim_org.seat_rows())} seats" in out
    assert sim_org.token not in out
    connection = Connection.objects.get(organization=org, provider=Provider.COPILOT)
    assert connection.config == {"scope": "org", "slug": "acme"}
    assert connection.get_api_key() == sim_org.token and sim_org.token not in connection.encrypted_api_key
    assert AuditLogEntry.objects.filter(
        organization=org, provider=Provider.COPILOT, action="connected"
    ).exists()
    out = run("sync_copilot", "--org", org.slug)
    assert "Sync succeeded" in out
    assert CopilotUserDay.objects.filter(organization=org).exists()


def test_connect_explains_a_missing_scope(org, copilot_sim, sim_org):
    weak = copilot_sim.add_token(scopes=("repo",))
    with pytest.raises(CommandError, match="manage_billing:copilot"):
        run(
            "connect_copilot",
            "--org",
            org.slug,
            "--github-org",
            "acme",
            "--token",
            weak.value,
            "--base-url",
            copilot_sim.url,
        )
    assert not Connection.objects.filter(organization=org, provider=Provider.COPILOT).exists()


def test_bad_arguments(org):
    with pytest.raises(CommandError, match="exactly one"):
        run("connect_copilot", "--org", org.slug, "--token", "x" * 30)
    with pytest.raises(CommandError, match="No organization"):
        run("sync_copilot", "--org", "nope")
    with pytest.raises(CommandError, match="not connected"):
        run("sync_copilot", "--org", org.slug)
