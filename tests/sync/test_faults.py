"""Every Cursor fault the sync handles (the fault rules in runner.py), through the simulator
over loopback."""

from dataclasses import replace

import pytest

from analytics.models import DailyUsage, TeamAnalytics
from integrations.cursor.sync import runner
from integrations.models import AuditLogEntry, Connection, SyncRun
from integrations.services import SyncsPaused, enqueue_hourly_syncs, trigger_sync

from .conftest import run_new_sync
from .truth import ev_day, event_totals, stored_daily, stored_event_totals, truth_daily, truth_events

EVENTS = "/teams/filtered-usage-events"


@pytest.fixture
def team(make_team):
    return make_team(seats=8, days=40, seed=31)


@pytest.fixture
def conn(org, team, make_connection):
    return make_connection(org, team)


def assert_complete(org, team, run):
    events = truth_events(team, run.window_start, run.window_end)
    assert stored_event_totals(org, "day") == event_totals(events, ev_day)
    assert stored_daily(org) == truth_daily(team, run.window_start, run.window_end)


def test_rate_limit_storm_waits_and_continues(org, team, conn, sync_waits):
    # More 429s in a row than the client retries: the unit waits and runs again.
    team.faults.rate_limit_storm(14, path=EVENTS)
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert_complete(org, team, run)
    assert sum(1 for _, _, path, status in team.request_log if path == EVENTS and status == 429) == 14
    assert sync_waits, "the waits should have gone through the (test) sleep"


def test_rate_limit_wait_is_shown_in_progress(org, team, conn):
    team.faults.rate_limit_storm(3, path=EVENTS)
    notes = []
    run = trigger_sync(conn)
    runner.run_sync(run.pk, progress=lambda r: notes.append(r.progress["usage_events"]["note"]))
    assert any(n.startswith("Waiting") and "rate limit" in n for n in notes), notes


def test_server_errors_exhausted_fail_the_run_and_next_run_resumes(org, team, conn):
    team.faults.fail_next(50, status=503, path=EVENTS)
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.FAILED
    assert run.message == (
        "Cursor's API kept failing (HTTP 503) while syncing usage events; the next hourly sync will resume."
    )
    assert run.progress["usage_events"]["status"] == "failed"
    assert run.progress["analytics"]["status"] == "skipped"  # later lanes stop
    conn.refresh_from_db()
    assert conn.status == Connection.Status.FAILING
    assert conn.last_error == run.message
    # What came before the failure is kept.
    assert DailyUsage.objects.filter(organization=org).exists()

    team.faults.reset()
    assert enqueue_hourly_syncs() == 1  # a failing connection still syncs hourly
    resumed = SyncRun.objects.filter(organization=org, status=SyncRun.Status.QUEUED).get()
    resumed = runner.run_sync(resumed.pk)
    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert_complete(org, team, resumed)


def test_timeout_fails_with_a_clear_reason(org, team, conn, sync_options):
    team.faults.slow_seconds = 0.6
    team.faults.slow_path = "/teams/spend"
    run = run_new_sync(conn, options=replace(sync_options, timeout=0.2, max_retries=1))
    assert run.status == SyncRun.Status.FAILED
    assert (
        run.message
        == "Cursor was unreachable (timeout) while syncing spend; the next hourly sync will resume."
    )
    conn.refresh_from_db()
    assert conn.status == Connection.Status.FAILING


def test_rejected_key_pauses_hourly_syncs_until_replaced(org, team, make_connection):
    conn = make_connection(org, team)
    conn.set_api_key("crsr_" + "x" * 64)  # revoked / wrong key
    conn.save()
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.FAILED
    assert run.message == "Cursor rejected the API key — replace it in Settings → Integrations."
    conn.refresh_from_db()
    assert conn.status == Connection.Status.KEY_REJECTED and conn.syncs_paused
    assert (
        AuditLogEntry.objects.filter(organization=org, action=AuditLogEntry.Action.KEY_REJECTED).count() == 1
    )
    assert "crsr_" not in run.message + conn.last_error + str(run.progress)

    assert enqueue_hourly_syncs() == 0
    with pytest.raises(SyncsPaused):  # nor Sync now
        trigger_sync(conn)
    assert not SyncRun.objects.filter(organization=org, status=SyncRun.Status.QUEUED).exists()
    # A run that meets the 401 again (one queued before the rejection was recorded) does not
    # repeat the audit entry.
    late = SyncRun.objects.create(organization=org, connection=conn, trigger=SyncRun.Trigger.HOURLY)
    assert runner.run_sync(late.pk).status == SyncRun.Status.FAILED
    assert (
        AuditLogEntry.objects.filter(organization=org, action=AuditLogEntry.Action.KEY_REJECTED).count() == 1
    )

    # Replacing the key (the connect UI sets the status back) resumes hourly syncs.
    conn.set_api_key(team.api_key)
    conn.status = Connection.Status.PENDING
    conn.save()
    assert enqueue_hourly_syncs() == 1


def test_enterprise_stream_refused_is_unavailable_and_others_continue(org, make_team, make_connection):
    team = make_team(plan="team", seats=6, days=40, seed=32)
    # Capabilities claim Enterprise (e.g. the plan was downgraded after connecting).
    conn = make_connection(org, team, capabilities={"admin": True, "analytics": True, "ai_code": True})
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.PARTIAL, run.message
    assert run.progress["analytics"]["status"] == run.progress["ai_code"]["status"] == "unavailable"
    assert run.progress["groups"]["status"] == "unavailable"
    assert run.message.endswith(
        "Analytics API, AI code tracking and Billing groups are not available on this Cursor plan."
    )
    assert not TeamAnalytics.objects.filter(organization=org).exists()
    assert_complete(org, team, run)
    conn.refresh_from_db()
    assert conn.status == Connection.Status.HEALTHY
    assert conn.stream_status == {
        "analytics": "unavailable",
        "ai_code": "unavailable",
        "groups": "unavailable",
    }


def test_enterprise_401_on_analytics_is_unavailable_not_key_rejected(org, make_team, make_connection):
    team = make_team(plan="team", seats=6, days=40, seed=33)
    team.enterprise_denied_status = 401
    conn = make_connection(org, team, capabilities={"admin": True, "analytics": True, "ai_code": True})
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.PARTIAL
    conn.refresh_from_db()
    assert conn.status == Connection.Status.HEALTHY


def test_malformed_record_is_skipped_and_counted(org, team, conn):
    team.faults.malformed_record_next(1, path=EVENTS)
    team.faults.malformed_record_next(1, path="/teams/daily-usage-data")
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert run.message.endswith("Skipped 2 malformed records from Cursor.")
    assert_complete(org, team, run)


def test_garbled_json_page_is_fetched_again(org, team, conn):
    team.faults.malformed_json_next(1, path=EVENTS)
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert_complete(org, team, run)


def test_internal_error_fails_run_without_leaking_details(org, team, conn, monkeypatch):
    from analytics import services

    def broken(*args, **kwargs):
        raise RuntimeError("secret-ish internals")

    monkeypatch.setattr(services, "upsert_spend", broken)
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.FAILED
    assert run.message == "The sync stopped because of an internal error; the next hourly sync will retry."
    assert DailyUsage.objects.filter(organization=org).exists()  # earlier streams kept
    assert run.progress["spend"]["status"] == "failed"
    assert run.progress["spend"]["note"] == "Internal error"
