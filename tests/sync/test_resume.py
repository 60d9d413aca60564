"""A sync killed or failed part-way, then run again, ends with exactly the rows of one clean run."""

import pytest

from analytics import services
from analytics.models import CursorMember, DailyUsage, SpendSnapshot, UsageEvent
from integrations.cursor import sync
from integrations.models import Connection, SyncRun
from integrations.services import trigger_sync

from .conftest import run_new_sync
from .truth import ev_day, event_totals, stored_event_totals, truth_events

EVENT_FIELDS = [
    "member__email", "fingerprint", "timestamp", "day", "model", "kind", "max_mode", "requests_costs",
    "is_token_based_call", "input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens",
    "token_cents", "charged_cents", "cursor_token_fee", "is_headless", "is_chargeable", "conversation_id",
]  # fmt: skip


def snapshot(org):
    """Every stored row of an organization, without ids, comparable across organizations."""
    return {
        "members": sorted(
            CursorMember.objects.filter(organization=org).values_list(
                "email", "cursor_user_id", "role", "is_removed", "not_in_roster", "first_seen", "last_seen"
            )
        ),
        "daily": sorted(
            DailyUsage.objects.filter(organization=org).values_list(
                "member__email", "day", "agent_requests", "total_tabs_accepted", "usage_based_reqs"
            )
        ),
        "events": sorted(UsageEvent.objects.filter(organization=org).values_list(*EVENT_FIELDS)),
        "spend": sorted(
            SpendSnapshot.objects.filter(organization=org).values_list(
                "member__email", "cycle_start", "spend_cents"
            )
        ),
    }


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: nothing in the sync may catch it."""


@pytest.fixture
def clean_run(other_org, make_team, make_connection):
    """The reference: the same simulated team synced once, cleanly, in another organization."""
    team = make_team(seats=10, days=40, seed=21)
    run = run_new_sync(make_connection(other_org, team))
    assert run.status == SyncRun.Status.SUCCEEDED
    return snapshot(other_org)


def test_worker_killed_mid_events_then_redelivered_equals_clean_run(
    org, make_team, make_connection, monkeypatch, clean_run
):
    team = make_team(seats=10, days=40, seed=21)
    conn = make_connection(org, team)
    run = trigger_sync(conn, trigger=SyncRun.Trigger.HOURLY)

    real_flush = services.EventWriter._flush
    calls = {"n": 0}

    def dying_flush(self, batch):
        calls["n"] += 1
        if calls["n"] == 8:
            raise WorkerKilled
        return real_flush(self, batch)

    monkeypatch.setattr(services.EventWriter, "_flush", dying_flush)
    with pytest.raises(WorkerKilled):
        sync.run_sync(run.pk)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.RUNNING  # what a killed worker leaves behind
    stored_before = UsageEvent.objects.filter(organization=org).count()
    assert 0 < stored_before < len(clean_run["events"])

    # acks_late: the broker hands the same message to another worker.
    monkeypatch.setattr(services.EventWriter, "_flush", real_flush)
    finished = sync.run_sync(run.pk)
    assert finished.status == SyncRun.Status.SUCCEEDED, finished.message
    assert snapshot(org) == clean_run


def test_run_failed_on_5xx_then_next_run_resumes_to_clean_run(org, make_team, make_connection, clean_run):
    team = make_team(seats=10, days=40, seed=21)
    conn = make_connection(org, team)
    # Mid-backfill, the 12th to 17th usage-event requests fail: more than the client retries.
    for n in range(12, 18):
        team.faults.fail_on_call(n, status=500, path="/teams/filtered-usage-events")
    first = sync.run_sync(trigger_sync(conn, trigger=SyncRun.Trigger.HOURLY).pk)
    assert first.status == SyncRun.Status.FAILED
    assert 0 < UsageEvent.objects.filter(organization=org).count() < len(clean_run["events"])
    team.faults.reset()
    second = run_new_sync(conn)
    assert second.status == SyncRun.Status.SUCCEEDED
    # Nothing finished before: the next run backfills the same window again.
    assert (second.window_start, second.window_end) == (first.window_start, first.window_end)
    assert snapshot(org) == clean_run
    conn.refresh_from_db()
    assert conn.status == Connection.Status.HEALTHY and conn.last_error == ""


def test_ground_truth_after_resume(org, make_team, make_connection):
    team = make_team(seats=8, days=40, seed=22)
    conn = make_connection(org, team)
    team.faults.fail_next(20, status=503, path="/teams/filtered-usage-events")
    assert run_new_sync(conn).status == SyncRun.Status.FAILED
    team.faults.reset()
    run = run_new_sync(conn)
    events = truth_events(team, run.window_start, run.window_end)
    assert stored_event_totals(org, "day") == event_totals(events, ev_day)
