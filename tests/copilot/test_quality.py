"""Copilot's data-quality check after a sync over loopback: days GitHub has no report for."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrations.copilot import services
from integrations.copilot.options import CopilotSyncOptions
from integrations.copilot.sync import run_copilot_sync
from integrations.models import Connection, Provider, SyncCheck, SyncRun
from integrations.quality import latest_checks
from integrations.ratelimit import NoRateLimit

from .conftest import SIM_NOW

TODAY = SIM_NOW.date()


@pytest.fixture
def connection(org, copilot_sim, sim_org):
    conn = Connection(
        organization=org,
        provider=Provider.COPILOT,
        config={"scope": "org", "slug": "acme"},
        base_url=copilot_sim.url,
    )
    conn.set_api_key(sim_org.token)
    conn.save()
    return conn


def sync(connection):
    run = services.create_foreground_run(connection, days=None)
    options = CopilotSyncOptions(sleep=lambda s: None, limiter=NoRateLimit(), timeout=5.0)
    run = run_copilot_sync(run.pk, options=options, today_=TODAY)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    return {c.key: c for c in SyncCheck.objects.filter(organization=run.organization, sync_run=run)}


def test_clean_reports_are_quiet(org, connection, sim_org):
    checks = sync(connection)
    assert checks["missing_days"].status == "ok"
    # Every day old enough, since the simulator's first report, was checked.
    first = min(sim_org.report_days())
    assert checks["missing_days"].numbers["checked_days"] == (TODAY - timedelta(days=2) - first).days + 1
    assert latest_checks(org, Provider.COPILOT)["status"] == "ok"


def test_a_day_without_a_report_is_missing(org, connection, sim_org):
    day = TODAY - timedelta(days=6)
    sim_org.missing_days.add(day)
    checks = sync(connection)
    assert checks["missing_days"].status == "warning"
    assert checks["missing_days"].numbers["missing_days"] == [day.isoformat()]


def test_the_copilot_page_shows_the_check(client, owner, org, connection, sim_org):
    sim_org.missing_days.add(TODAY - timedelta(days=6))
    sync(connection)
    client.force_login(owner)
    html = client.get("/settings/integrations/copilot/").content.decode()
    assert 'data-check="missing_days" data-status="warning"' in html
    assert (TODAY - timedelta(days=6)).isoformat() in html
