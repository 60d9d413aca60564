"""What a failing machine found (issue "Hardening", findings 8–13), each pinned in-process.

The same failures with real processes (a Celery worker, Redis, a PostgreSQL cluster) are the
drills in tests/drills/.
"""

import socket
import threading
import time
from dataclasses import replace
from datetime import timedelta

import psycopg
import pytest
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone

from analytics.models import CursorMember
from integrations import services
from integrations.cursor import sync
from integrations.cursor.sync import broker, dispatch, runner, streams
from integrations.cursor.sync import progress as p
from integrations.locks import is_sync_locked, org_sync_lock
from integrations.models import Connection, SyncRun
from koalr.celery import app as celery_app

from .conftest import run_new_sync
from .truth import stored_daily, truth_daily

MEMBERS = "/teams/members"
EVENTS = "/teams/filtered-usage-events"


@pytest.fixture
def team(make_team):
    return make_team(seats=6, days=40, seed=71)


@pytest.fixture
def conn(org, team, make_connection):
    return make_connection(org, team)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_thread(fn, *args, **kwargs):
    """Run fn in a thread (own database connection); returns (thread, result holder)."""
    box = {}

    def body():
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc
        finally:
            db_connection.close()

    t = threading.Thread(target=body, daemon=True)
    t.start()
    return t, box


# -- 8: a worker that is gone -------------------------------------------------------------------


def test_broker_transport_options_are_chosen_not_defaulted():
    options = celery_app.conf.broker_transport_options
    assert options["visibility_timeout"] == 15 * 60  # not Redis' default hour
    assert options["socket_connect_timeout"] <= 1
    assert celery_app.conf.broker_connection_timeout <= 1
    assert celery_app.conf.task_publish_retry_policy["max_retries"] <= 2
    beat = celery_app.conf.beat_schedule["recover-interrupted-syncs"]
    assert beat["task"] == "integrations.tasks.recover_interrupted_syncs" and beat["schedule"] <= 60


@pytest.mark.django_db(transaction=True)
def test_a_running_sync_keeps_its_heartbeat_while_it_waits(org, team, conn, settings):
    settings.SYNC_HEARTBEAT_SECONDS = 0.05
    pause = team.faults.pause_at(EVENTS, after=2)
    run = services.trigger_sync(conn)
    worker, box = in_thread(sync.run_sync, run.pk, options=sync.SyncOptions(parallel=False, timeout=10.0))
    try:
        assert pause.wait_reached(20)
        first = SyncRun.objects.get(pk=run.pk).heartbeat_at
        time.sleep(0.5)  # nothing is saved while Cursor keeps the request: only the heartbeat beats
        later = SyncRun.objects.get(pk=run.pk).heartbeat_at
        assert first is not None and later > first
    finally:
        pause.release()
        worker.join(30)
    assert box["result"].status == SyncRun.Status.SUCCEEDED


def test_a_silent_run_is_taken_over_even_while_its_lock_is_held(org, conn):
    stale = services.trigger_sync(conn)
    SyncRun.objects.filter(pk=stale.pk).update(
        status=SyncRun.Status.RUNNING,
        started_at=timezone.now() - timedelta(minutes=10),
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    with org_sync_lock(org.id) as acquired:  # a frozen worker still holds the lock
        assert acquired
        fresh = services.trigger_sync(conn)
        # ... and lost it with its session, so the run that took over can start at once.
        assert not is_sync_locked(org.id)
    assert fresh.pk != stale.pk
    stale.refresh_from_db()
    assert stale.status == SyncRun.Status.FAILED and "interrupted" in stale.message


def test_a_beating_run_is_not_taken_over(org, conn):
    running = services.trigger_sync(conn)
    SyncRun.objects.filter(pk=running.pk).update(
        status=SyncRun.Status.RUNNING,
        started_at=timezone.now() - timedelta(minutes=30),
        heartbeat_at=timezone.now() - timedelta(seconds=5),
    )
    with org_sync_lock(org.id):
        with pytest.raises(services.SyncAlreadyRunning):
            services.trigger_sync(conn)
        assert services.recover_interrupted_syncs() == 0


def test_the_beat_closes_a_dead_workers_run_and_queues_its_successor(org, conn):
    dead = services.trigger_sync(conn)
    progress = p.initial_progress()
    progress["members"].update(status=p.DONE, done=1, total=1, rows=6)
    progress["daily_usage"].update(status=p.RUNNING, done=1, total=2)
    SyncRun.objects.filter(pk=dead.pk).update(
        status=SyncRun.Status.RUNNING, progress=progress, heartbeat_at=timezone.now()
    )
    # Nobody holds the organization's lock: the worker's process is gone.
    assert services.recover_interrupted_syncs() == 1
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED and dead.finished_at is not None
    assert "interrupted" in dead.message
    # 13: a taken-over run does not keep streams "running" forever.
    assert {k: v["status"] for k, v in dead.progress.items()} == {
        "members": "done",
        "daily_usage": "skipped",
        "usage_events": "skipped",
        "spend": "skipped",
        "analytics": "skipped",
        "ai_code": "skipped",
        "groups": "skipped",
    }
    assert dead.percent < 100
    successor = SyncRun.objects.filter(organization=org, status=SyncRun.Status.QUEUED).get()
    assert successor.trigger == dead.trigger
    assert sync.run_sync(successor.pk).status == SyncRun.Status.SUCCEEDED


# -- 9: the broker refuses the message -------------------------------------------------------------


@pytest.fixture
def unreachable_broker():
    """The Celery app publishing to a Redis that is not there, as in production when it is down."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = f"redis://127.0.0.1:{closed_port()}/0", False
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    conf.broker_url, conf.task_always_eager = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def real_publish(monkeypatch):
    """Undo tests/sync/conftest.py's no-op enqueue: these tests need the real apply_async."""
    monkeypatch.undo()


@pytest.mark.django_db(transaction=True)
def test_sync_now_with_the_broker_down_answers_at_once_and_leaves_nothing_queued(
    org, conn, owner_client, real_publish, unreachable_broker
):
    started = time.monotonic()
    response = owner_client.post(reverse("integrations:cursor_sync"), follow=True)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert "Couldn&#x27;t queue the sync; try again." in response.content.decode()
    assert elapsed < 2.0, f"answered in {elapsed:.2f} s"
    run = SyncRun.objects.get(organization=org)
    assert run.status == SyncRun.Status.FAILED and run.message == "Couldn't queue the sync; try again."
    assert not SyncRun.objects.filter(organization=org, status__in=SyncRun.ACTIVE_STATUSES).exists()


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_503_with_the_broker_down(org, conn, owner, real_publish, unreachable_broker):
    from django.test import Client

    from koalr.accounts.services import create_api_token

    _, raw = create_api_token(organization=org, user=owner, name="ci")
    started = time.monotonic()
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        f"/api/v1/orgs/{org.slug}/integrations/cursor/sync"
    )
    assert time.monotonic() - started < 2.0
    assert response.status_code == 503
    assert response.json() == {"detail": "Couldn't queue the sync; try again."}
    assert not SyncRun.objects.filter(organization=org, status__in=SyncRun.ACTIVE_STATUSES).exists()


def test_a_queued_run_whose_message_the_broker_lost_is_taken_over(org, conn, monkeypatch):
    lost = services.trigger_sync(conn)
    SyncRun.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    asked = []
    monkeypatch.setattr(broker, "message_pending", lambda mid: asked.append(mid) or True)
    with pytest.raises(services.SyncAlreadyRunning):  # the broker still has it: wait for it
        services.trigger_sync(conn)
    assert asked == [dispatch.task_id(lost.pk)]
    monkeypatch.setattr(broker, "message_pending", lambda mid: False)  # Redis restarted empty
    fresh = services.trigger_sync(conn)
    assert fresh.pk != lost.pk
    lost.refresh_from_db()
    assert lost.status == SyncRun.Status.FAILED


def test_a_queued_run_is_not_judged_while_its_message_may_be_in_flight(org, conn, monkeypatch):
    services.trigger_sync(conn)
    monkeypatch.setattr(broker, "message_pending", lambda mid: False)
    with pytest.raises(services.SyncAlreadyRunning):
        services.trigger_sync(conn)  # seconds old: its message may not be published yet


# -- 10: a duplicate delivery of the same message ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_delivery_leaves_the_real_sync_alone(org, team, conn, monkeypatch):
    """Worker A has taken the lock but not yet marked the run running when worker B, holding a
    duplicate of the same message, reads the run: B must not close it."""
    a_has_lock, b_done = threading.Event(), threading.Event()
    original = runner._Sync.execute

    def execute(self):
        a_has_lock.set()
        assert b_done.wait(20)
        return original(self)

    monkeypatch.setattr(runner._Sync, "execute", execute)
    run = services.trigger_sync(conn)
    worker_a, box = in_thread(sync.run_sync, run.pk)
    assert a_has_lock.wait(20)
    second = sync.run_sync(run.pk)  # worker B
    b_done.set()
    worker_a.join(60)
    assert second.status in SyncRun.ACTIVE_STATUSES, second.message  # B left it alone
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert box["result"].status == SyncRun.Status.SUCCEEDED
    conn.refresh_from_db()
    assert conn.status == Connection.Status.HEALTHY


# -- 11: the database restarts mid-sync ------------------------------------------------------------


def _terminate_other_backends() -> int:
    params = db_connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as c:
        return len(
            c.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        )


@pytest.mark.django_db(transaction=True)
def test_database_connections_dropped_mid_sync_close_the_run_plainly_and_the_next_resumes(
    org, team, conn, sync_options
):
    pause = team.faults.pause_at(EVENTS, after=5)
    run = services.trigger_sync(conn)

    def drop_connections_at_the_pause():
        assert pause.wait_reached(30)
        assert _terminate_other_backends() >= 1  # the sync's connection and its lock's
        pause.release()

    helper = threading.Thread(target=drop_connections_at_the_pause, daemon=True)
    helper.start()
    result = sync.run_sync(run.pk, options=replace(sync_options, parallel=False))
    helper.join(10)
    assert result.status == SyncRun.Status.FAILED
    stored = SyncRun.objects.get(pk=run.pk)
    assert stored.status == SyncRun.Status.FAILED
    assert stored.message.startswith("The sync stopped because our database restarted")
    assert all(v["status"] not in ("pending", "running") for v in stored.progress.values())
    conn.refresh_from_db()
    assert conn.status == Connection.Status.FAILING
    # The next run resumes and ends with everything Cursor serves.
    again = run_new_sync(conn)
    assert again.status == SyncRun.Status.SUCCEEDED, again.message
    assert stored_daily(org) == truth_daily(team, again.window_start, again.window_end)


def test_persistent_connections_are_health_checked(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


# -- 13: honest progress, patient with 429s --------------------------------------------------------


def test_a_failed_run_does_not_show_100_percent(org, team, conn):
    team.faults.fail_next(200, status=503, path=EVENTS)
    run = run_new_sync(conn, options=sync.SyncOptions(sleep=lambda s: None, parallel=False, timeout=5.0))
    assert run.status == SyncRun.Status.FAILED
    assert run.progress["usage_events"]["status"] == "failed"
    assert 0 < run.percent < 100


def test_skipped_and_failed_streams_count_only_their_finished_units():
    progress = p.initial_progress()
    for stream in p.STREAMS:
        progress[stream].update(status="done", done=4, total=4)
    progress["usage_events"].update(status="failed", done=1, total=4)
    progress["spend"].update(status="skipped", done=0, total=1)
    run = SyncRun(status=SyncRun.Status.FAILED, progress=progress)
    # every stream but two is done; a quarter of usage events, none of spend
    assert run.percent == int(100 * (len(p.STREAMS) - 2 + 0.25) / len(p.STREAMS))


def test_a_long_429_storm_on_members_is_waited_out(org, team, conn, sync_waits):
    team.faults.rate_limit_storm(40, path=MEMBERS)  # Retry-After: 1, forty times in a row
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    stored = set(CursorMember.objects.filter(organization=org).values_list("email", flat=True))
    assert {m["email"] for m in team.members()} <= stored
    assert sum(sync_waits) >= 40  # it waited as long as Cursor asked, no longer
    assert sum(sync_waits) < 60


def test_a_429_storm_longer_than_the_budget_fails_the_run(org, team, conn, sync_waits, monkeypatch):
    monkeypatch.setattr(streams, "RATE_LIMIT_BUDGET_SECONDS", 30.0)
    team.faults.rate_limit_storm_seconds(10_000, seconds=7, path=MEMBERS)
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.FAILED
    assert "kept rate-limiting" in run.message
    assert sum(sync_waits) <= 30 + 7 * 6  # the budget, plus the client's own retries of one call
    team.faults.reset()


def test_a_worker_that_finishes_after_being_taken_over_writes_nothing_over_it(org, team, conn, monkeypatch):
    """A worker that went silent, was taken over and then wakes up must not overwrite the
    closed run (or the connection the successor now owns) with its own outcome."""
    run = services.trigger_sync(conn)
    original = runner._Sync._refresh_derived

    def taken_over_meanwhile(self, start, end):
        original(self, start, end)
        dispatch.close_interrupted(SyncRun.objects.get(pk=self.run.pk))
        Connection.objects.filter(pk=conn.pk).update(status=Connection.Status.SYNCING)  # the successor's

    monkeypatch.setattr(runner._Sync, "_refresh_derived", taken_over_meanwhile)
    result = sync.run_sync(run.pk)
    assert result.status == SyncRun.Status.FAILED and "interrupted" in result.message
    stored = SyncRun.objects.get(pk=run.pk)
    assert stored.status == SyncRun.Status.FAILED and "interrupted" in stored.message
    conn.refresh_from_db()
    assert conn.status == Connection.Status.SYNCING
