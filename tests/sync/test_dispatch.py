"""Starting runs, the hourly beat, the per-organization lock, the Celery task, live progress,
and two organizations syncing at once."""

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from analytics.models import CursorMember, DailyUsage, UsageEvent
from integrations import services, tasks
from integrations.cursor import sync
from integrations.locks import is_sync_locked, org_sync_lock, run_claim
from integrations.models import AuditLogEntry, Connection, SyncRun
from tests.factories import OrganizationFactory

from .conftest import run_new_sync
from .truth import ev_day, event_totals, stored_daily, stored_event_totals, truth_daily, truth_events


@pytest.fixture
def conn(org, make_team, make_connection):
    return make_connection(org, make_team(seats=6, days=40, seed=41))


def test_trigger_sync_queues_once_and_enqueues_after_commit(
    org, conn, owner, django_capture_on_commit_callbacks, monkeypatch
):
    delayed = []
    monkeypatch.setattr(tasks.sync_connection, "apply_async", lambda args, **kw: delayed.append(args[0]))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.trigger_sync(conn, owner)
        with pytest.raises(services.SyncAlreadyRunning) as again:
            services.trigger_sync(conn, owner)
    assert again.value.run.pk == run.pk
    assert delayed == [run.pk]
    assert run.status == SyncRun.Status.QUEUED
    assert set(run.progress) == set(sync.STREAMS)
    assert all(v["status"] == "pending" for v in run.progress.values())
    entries = AuditLogEntry.objects.filter(organization=org, action=AuditLogEntry.Action.SYNC_TRIGGERED)
    assert [(e.actor, e.detail) for e in entries] == [(owner, "Started a sync (Sync now)")]


def test_trigger_sync_with_days_fixes_the_window(conn):
    run = services.trigger_sync(conn, trigger=SyncRun.Trigger.COMMAND, days=7)
    assert (run.window_end - run.window_start).days == 6
    run = sync.run_sync(run.pk)
    assert (run.window_end - run.window_start).days == 6


def test_abandoned_runs_are_taken_over(org, conn):
    running = services.trigger_sync(conn)
    SyncRun.objects.filter(pk=running.pk).update(status=SyncRun.Status.RUNNING)
    # Nobody holds the lock: the worker died without acks_late redelivery.
    fresh = services.trigger_sync(conn)
    assert fresh.pk != running.pk
    running.refresh_from_db()
    assert running.status == SyncRun.Status.FAILED
    # A queued run older than an hour was lost by the broker.
    SyncRun.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert services.trigger_sync(conn).pk != fresh.pk


def test_running_run_holding_the_lock_is_not_replaced(org, conn):
    running = services.trigger_sync(conn)
    SyncRun.objects.filter(pk=running.pk).update(status=SyncRun.Status.RUNNING)
    with org_sync_lock(org.id) as acquired:
        assert acquired and is_sync_locked(org.id)
        with pytest.raises(services.SyncAlreadyRunning) as again:
            services.trigger_sync(conn)
    assert again.value.run.pk == running.pk


def test_lock_prevents_a_second_concurrent_run(org, conn):
    run = services.trigger_sync(conn)
    with org_sync_lock(org.id) as acquired:  # another worker is syncing this organization
        assert acquired
        result = sync.run_sync(run.pk)
    assert result.status == SyncRun.Status.FAILED
    assert result.message == "Skipped: another sync of this organization was already running."
    assert not DailyUsage.objects.filter(organization=org).exists()
    conn.refresh_from_db()
    assert conn.status == Connection.Status.PENDING  # the other run owns the connection's state

    # A redelivered message for a run that another worker is still working on (it holds the
    # run's claim and the organization's lock) is left alone.
    second = services.trigger_sync(conn)
    SyncRun.objects.filter(pk=second.pk).update(status=SyncRun.Status.RUNNING)
    with run_claim(second.pk), org_sync_lock(org.id):
        assert sync.run_sync(second.pk).status == SyncRun.Status.RUNNING
    assert not is_sync_locked(org.id)


def test_lock_is_per_organization(org, other_org):
    with org_sync_lock(org.id) as first:
        with org_sync_lock(other_org.id) as second, org_sync_lock(org.id) as again:
            assert (first, second, again) == (True, True, False)


def test_finished_run_is_not_synced_again(org, conn):
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED
    count = UsageEvent.objects.filter(organization=org).count()
    UsageEvent.objects.filter(organization=org).delete()
    assert sync.run_sync(run.pk).status == SyncRun.Status.SUCCEEDED  # redelivered: no-op
    assert not UsageEvent.objects.filter(organization=org).exists() and count


def test_enqueue_hourly_syncs_picks_the_right_connections(
    org, make_team, make_connection, django_capture_on_commit_callbacks, monkeypatch
):
    delayed = []
    monkeypatch.setattr(tasks.sync_connection, "apply_async", lambda args, **kw: delayed.append(args[0]))
    orgs = {
        s: OrganizationFactory(slug=f"o-{s}") for s in ("healthy", "failing", "pending", "rejected", "busy")
    }
    conns = {}
    for status, o in orgs.items():
        c = make_connection(o, make_team(seats=3, days=5, seed=50 + len(conns)))
        c.status = status if status != "busy" else Connection.Status.HEALTHY
        if status == "rejected":
            c.status = Connection.Status.KEY_REJECTED
        c.save()
        conns[status] = c
    busy = SyncRun.objects.create(
        organization=orgs["busy"], connection=conns["busy"], status=SyncRun.Status.QUEUED
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.enqueue_hourly_syncs() == 3
    queued = SyncRun.objects.filter(status=SyncRun.Status.QUEUED, trigger=SyncRun.Trigger.HOURLY)
    assert {r.organization.slug for r in queued} == {"o-healthy", "o-failing", "o-pending"}
    assert sorted(delayed) == sorted(r.pk for r in queued)
    assert SyncRun.objects.filter(organization=orgs["busy"]).get() == busy
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.enqueue_hourly_syncs() == 0  # their runs are still queued


def test_task_runs_the_sync_and_ignores_missing_runs(org, conn):
    run = services.trigger_sync(conn, trigger=SyncRun.Trigger.HOURLY)
    assert tasks.sync_connection.apply(args=[run.pk]).successful()
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert tasks.sync_connection.apply(args=[run.pk + 1000]).successful()  # gone: quietly nothing
    assert tasks.sync_connection.acks_late and tasks.sync_connection.reject_on_worker_lost


def test_deleted_connection_closes_the_run(org, conn):
    run = services.trigger_sync(conn, trigger=SyncRun.Trigger.HOURLY)
    conn.delete()
    run = sync.run_sync(run.pk)
    assert run.status == SyncRun.Status.FAILED
    assert "removed" in run.message


def test_progress_is_saved_live(org, conn):
    seen = []

    def watch(run):
        # What the JSON endpoint would read right now, from the database.
        stored = SyncRun.objects.get(pk=run.pk)
        seen.append((stored.status, stored.percent, stored.progress["usage_events"].copy()))

    run = services.trigger_sync(conn)
    sync.run_sync(run.pk, progress=watch)
    assert any(s == "running" and p["status"] == "running" for s, _, p in seen)
    percents = [pct for s, pct, _ in seen if s == "running"]
    assert percents == sorted(percents) and any(0 < pct < 100 for pct in percents)
    assert seen[-1][0] == "succeeded" and seen[-1][1] == 100
    assert seen[-1][2]["done"] == seen[-1][2]["total"] == 30


@pytest.mark.django_db(transaction=True)
def test_parallel_lanes_store_ground_truth_and_stop_together_on_failure(
    make_team, make_connection, sync_options
):
    parallel = replace(sync_options, parallel=True)
    org = OrganizationFactory(slug="lanes")
    team = make_team(seats=10, days=40, seed=63)
    conn = make_connection(org, team)
    team.faults.fail_next(50, status=502, path="/teams/filtered-usage-events")
    failed = run_new_sync(conn, options=parallel)
    assert failed.status == SyncRun.Status.FAILED
    assert failed.message.startswith("Cursor's API kept failing (HTTP 502) while syncing usage events")
    assert failed.progress["usage_events"]["status"] == "failed"

    team.faults.reset()
    run = run_new_sync(conn, options=parallel)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    events = truth_events(team, run.window_start, run.window_end)
    assert stored_event_totals(org, "day") == event_totals(events, ev_day)
    assert stored_daily(org) == truth_daily(team, run.window_start, run.window_end)
    assert all(v["status"] == "done" for v in run.progress.values())
    assert run.progress["ai_code"]["done"] == 2


@pytest.mark.django_db(transaction=True)
def test_two_organizations_syncing_at_once_never_mix(make_team, make_connection):
    a, b = OrganizationFactory(slug="alpha"), OrganizationFactory(slug="beta")
    team_a = make_team(seats=10, days=40, seed=61)
    team_b = make_team(seats=7, days=40, seed=62)
    runs = {
        a.id: services.trigger_sync(make_connection(a, team_a)).pk,
        b.id: services.trigger_sync(make_connection(b, team_b)).pk,
    }
    results, errors = {}, []
    barrier = threading.Barrier(2)

    def work(org_id):
        try:
            barrier.wait()
            results[org_id] = sync.run_sync(runs[org_id]).status
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=work, args=(o,)) for o in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and results == {a.id: "succeeded", b.id: "succeeded"}
    for org, team in ((a, team_a), (b, team_b)):
        run = SyncRun.objects.get(pk=runs[org.id])
        events = truth_events(team, run.window_start, run.window_end)
        assert stored_event_totals(org, "day") == event_totals(events, ev_day)
        domain = team.members()[0]["email"].split("@")[1]
        assert set(CursorMember.objects.filter(organization=org).values_list("email", flat=True)) == {
            m["email"].lower() for m in team.members()
        } | set(
            CursorMember.objects.filter(organization=org, not_in_roster=True).values_list("email", flat=True)
        )
        assert all(
            e.endswith(domain)
            for e in CursorMember.objects.filter(organization=org).values_list("email", flat=True)
        )
        assert not UsageEvent.objects.filter(organization=org).exclude(member__organization=org).exists()
        assert not DailyUsage.objects.filter(organization=org).exclude(member__organization=org).exists()


def test_lock_of_a_killed_worker_is_released_with_its_connection(org):
    from integrations import locks

    holder = locks._lock_connection()
    assert holder.execute(
        "SELECT pg_try_advisory_lock(%s::int4, %s::int4)", (locks.LOCK_NAMESPACE, org.id)
    ).fetchone()[0]
    assert is_sync_locked(org.id)
    holder.close()  # the worker process dies: PostgreSQL drops its session and its locks
    assert not is_sync_locked(org.id)
