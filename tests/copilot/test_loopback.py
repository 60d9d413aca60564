"""The Copilot client and sync against the Copilot simulator over loopback (real HTTP, two
hosts): ground truth per person and day, re-syncs, faults, and the token never reaching the
download host."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.models import CopilotReportDay, CopilotSeat, CopilotUserDay, Tool, ToolDay
from integrations.copilot import services
from integrations.copilot.client import CopilotClient
from integrations.copilot.errors import InvalidToken, MissingScope, OrgNotFound, PolicyDisabled
from integrations.copilot.options import CopilotSyncOptions
from integrations.copilot.sync import run_copilot_sync
from integrations.models import Connection, Provider, SyncRun
from integrations.ratelimit import NoRateLimit

from .conftest import SIM_NOW

TODAY = SIM_NOW.date()


def client_for(sim, token, **kwargs) -> CopilotClient:
    kwargs.setdefault("limiter", NoRateLimit())
    kwargs.setdefault("sleep", lambda s: None)
    return CopilotClient(token, slug=kwargs.pop("slug", "acme"), base_url=sim.url, timeout=5.0, **kwargs)


def figures(record) -> tuple:
    return (
        record["user_login"].lower(),
        record["user_initiated_interaction_count"],
        record["code_acceptance_activity_count"],
        record["loc_suggested_to_add_sum"],
        record["loc_added_sum"],
    )


# -- client -------------------------------------------------------------------------------------


def test_a_day_report_equals_the_simulators_records(copilot_sim, sim_org):
    day = sim_org.latest_report_day
    with client_for(copilot_sim, sim_org.token) as client:
        report = client.user_report(day)
    assert sorted(
        (r.login.lower(), r.interactions, r.acceptances, r.loc_suggested_to_add, r.loc_added)
        for r in report.records
    ) == sorted(figures(r) for r in sim_org.user_records(day))
    assert report.skipped == 0
    assert copilot_sim.tokens_seen_by_download_host() == set()


def test_seats_follow_every_page(copilot_sim):
    org = copilot_sim.add_org("big", seats=130, days=5, seed=2)
    with client_for(copilot_sim, org.token, slug="big") as client:
        seats = client.seats()
    assert seats.total_seats == 130
    assert [s.login for s in seats.seats] == [row["assignee"]["login"] for row in org.seat_rows()]


def test_days_without_a_report_are_none(copilot_sim, sim_org):
    with client_for(copilot_sim, sim_org.token) as client:
        assert client.user_report(TODAY) is None  # not processed yet (204)
        assert client.user_report(TODAY - timedelta(days=400)) is None


def test_failure_paths_over_loopback(copilot_sim, sim_org):
    with client_for(copilot_sim, "ghp_" + "x" * 36) as client, pytest.raises(InvalidToken):
        client.seats()
    no_scope = copilot_sim.add_token(scopes=("repo",))
    with client_for(copilot_sim, no_scope.value) as client, pytest.raises(MissingScope):
        client.seats()
    with client_for(copilot_sim, sim_org.token, slug="nope") as client, pytest.raises(OrgNotFound):
        client.seats()
    sim_org.metrics_policy_enabled = False
    with client_for(copilot_sim, sim_org.token) as client, pytest.raises(PolicyDisabled):
        client.user_report(sim_org.latest_report_day)


def test_rate_limits_expired_links_and_bad_lines_are_survived(copilot_sim, sim_org):
    day = sim_org.latest_report_day
    waits = []
    sim_org.faults.secondary_rate_limit(1, retry_after=1)
    sim_org.faults.rate_limit_storm(1, retry_after=2)
    with client_for(copilot_sim, sim_org.token, sleep=waits.append) as client:
        report = client.user_report(day)
        assert waits[:2] == [1.0, 2.0]
        sim_org.faults.expire_links_next(1)
        assert len(client.user_report(day).records) == len(report.records)
        sim_org.faults.malformed_line_next(1)
        bad = client.user_report(day)
        assert bad.skipped == 1 and len(bad.records) == len(report.records)
        sim_org.faults.truncate_download_next(1)
        assert len(client.user_report(day).records) == len(report.records)
    assert copilot_sim.tokens_seen_by_download_host() == set()


# -- sync ---------------------------------------------------------------------------------------


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


@pytest.fixture
def options():
    return CopilotSyncOptions(sleep=lambda s: None, limiter=NoRateLimit(), timeout=5.0)


def sync(connection, options, days=None):
    run = services.create_foreground_run(connection, days=days)
    return run_copilot_sync(run.pk, options=options, today_=TODAY)


def truth(sim_org, start, end) -> dict:
    return {
        (figures(r)[0], day): figures(r)[1:]
        for day in sim_org.report_days()
        if start <= day <= end
        for r in sim_org.user_records(day)
    }


def stored(org) -> dict:
    return {
        (r.login, r.day): (r.interactions, r.acceptances, r.loc_suggested_to_add, r.loc_added)
        for r in CopilotUserDay.objects.filter(organization=org)
    }


@pytest.mark.django_db
def test_backfill_equals_the_simulator_and_a_resync_changes_nothing(
    org, connection, options, copilot_sim, sim_org, settings
):
    settings.COPILOT_BACKFILL_DAYS = 20
    run = sync(connection, options)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    expected = truth(sim_org, run.window_start, run.window_end)
    assert expected and stored(org) == expected
    reported = set(
        CopilotReportDay.objects.filter(organization=org, report="users", status="reported").values_list(
            "day", flat=True
        )
    )
    assert reported == {d for d in sim_org.report_days() if run.window_start <= d <= run.window_end}
    assert CopilotSeat.objects.filter(organization=org, removed_at__isnull=True).count() == len(
        sim_org.seat_rows()
    )
    person_days = ToolDay.objects.filter(organization=org, tool=Tool.COPILOT).count()
    assert person_days == len(expected)
    assert copilot_sim.tokens_seen_by_download_host() == set()

    rerun = sync(connection, options)
    assert rerun.status == SyncRun.Status.SUCCEEDED
    assert stored(org) == expected
    assert ToolDay.objects.filter(organization=org, tool=Tool.COPILOT).count() == person_days


@pytest.mark.django_db
def test_a_fault_mid_sync_resumes_without_loss_or_duplicates(
    org, connection, options, copilot_sim, sim_org, settings
):
    settings.COPILOT_BACKFILL_DAYS = 6  # day by day (the 28-day fill needs two older days)
    sim_org.faults.fail_on_call(6, status=500)
    sim_org.faults.fail_next(20, status=502, path="/orgs/acme/copilot/metrics/reports/users-1-day")
    first = sync(connection, options)
    assert first.status == SyncRun.Status.FAILED
    sim_org.faults.reset()
    second = sync(connection, options)
    assert second.status == SyncRun.Status.SUCCEEDED, second.message
    assert stored(org) == truth(sim_org, second.window_start, second.window_end)


@pytest.mark.django_db
def test_an_enterprise_backfill_equals_the_simulator(org, copilot_sim, options, settings):
    settings.COPILOT_BACKFILL_DAYS = 8
    ent = copilot_sim.add_enterprise("corp", days=20)
    copilot_sim.add_org("corp-a", seats=6, days=20, seed=4, enterprise=ent)
    copilot_sim.add_org("corp-b", seats=5, days=20, seed=5, enterprise=ent)
    conn = Connection(
        organization=org,
        provider=Provider.COPILOT,
        config={"scope": "enterprise", "slug": "corp"},
        base_url=copilot_sim.url,
    )
    conn.set_api_key(ent.token)
    conn.save()
    run = sync(conn, options)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert stored(org) == truth(ent, run.window_start, run.window_end)
    # One seat per person, however many organizations granted it.
    assert CopilotSeat.objects.filter(organization=org).count() == ent.total_seats
    assert copilot_sim.tokens_seen_by_download_host() == set()
