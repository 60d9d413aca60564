"""Drill (finding 8): the Celery worker is SIGKILLed, or frozen (SIGSTOP), mid-sync.

The run must not say "Syncing…" for the broker's visibility timeout: it is closed as
interrupted within seconds and the next run takes over at once, resumes, and ends with exactly
the data of a clean run. A frozen worker keeps its database sessions (and so the organization's
lock): its silent heartbeat gives it away, and it loses its locks to the run that takes over.
"""

import time

import pytest

from integrations import services
from integrations.cursor import sync
from integrations.cursor.sync import dispatch
from integrations.models import SyncRun
from tests.factories import OrganizationFactory

from .compare import assert_same_data
from .conftest import FAST, org_fingerprint
from .procs import say, wait_for

EVENTS = "/teams/filtered-usage-events"
pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_sigkilled_mid_sync_is_taken_over_and_loses_nothing(twin_teams, connect, start_worker):
    clean_team, drilled_team = twin_teams()
    clean_org, org = OrganizationFactory(slug="clean"), OrganizationFactory(slug="drilled")
    clean_run = sync.run_sync(services.trigger_sync(connect(clean_org, clean_team)).pk, options=FAST)
    assert clean_run.status == SyncRun.Status.SUCCEEDED, clean_run.message

    conn = connect(org, drilled_team)
    pause = drilled_team.faults.pause_at(EVENTS, after=4)  # four days of events in
    worker = start_worker("victim")
    run = services.trigger_sync(conn)
    assert pause.wait_reached(60), worker.log()[-3000:]
    running = SyncRun.objects.get(pk=run.pk)
    assert running.status == SyncRun.Status.RUNNING and 0 < running.percent < 100
    say(f"run {run.pk} is running at {running.percent}% with the worker held inside a Cursor request")

    worker.kill_main()
    killed_at = time.monotonic()
    # The beat's job, called here: once the lock is gone or the heartbeat stale, take over.
    wait_for(lambda: services.recover_interrupted_syncs() == 1, 30, "the interrupted run to be taken over")
    took = time.monotonic() - killed_at
    say(f"run {run.pk} closed as interrupted {took:.1f} s after the kill; successor queued")
    pause.release()
    dead = SyncRun.objects.get(pk=run.pk)
    assert dead.status == SyncRun.Status.FAILED and "interrupted" in dead.message
    assert all(s["status"] not in ("pending", "running") for s in dead.progress.values())
    assert dead.percent < 100
    assert took < 15

    successor = SyncRun.objects.filter(organization=org, status=SyncRun.Status.QUEUED).get()
    start_worker("rescuer")
    wait_for(
        lambda: not SyncRun.objects.get(pk=successor.pk).is_active,
        90,
        f"successor run {successor.pk} to finish",
    )
    successor.refresh_from_db()
    assert successor.status == SyncRun.Status.SUCCEEDED, successor.message
    say(f"successor run {successor.pk}: {successor.message}")
    assert_same_data(org_fingerprint(clean_org), org_fingerprint(org), "the drilled organization")


def test_frozen_worker_is_found_by_its_heartbeat_and_its_lock_broken(
    twin_teams, connect, start_worker, settings
):
    settings.SYNC_STALE_AFTER_SECONDS = 5  # as the workers have it (conftest.worker_env)
    clean_team, drilled_team = twin_teams(seed=94)
    clean_org, org = OrganizationFactory(slug="clean"), OrganizationFactory(slug="drilled")
    clean_run = sync.run_sync(services.trigger_sync(connect(clean_org, clean_team)).pk, options=FAST)
    assert clean_run.status == SyncRun.Status.SUCCEEDED, clean_run.message

    conn = connect(org, drilled_team)
    pause = drilled_team.faults.pause_at(EVENTS, after=4)
    frozen = start_worker("frozen")
    run = services.trigger_sync(conn)
    assert pause.wait_reached(60), frozen.log()[-3000:]
    frozen.freeze()
    pause.release()  # its answer waits in a socket nobody reads
    frozen_at = time.monotonic()
    assert services.recover_interrupted_syncs() == 0  # it beat a moment ago: not yet
    wait_for(lambda: services.recover_interrupted_syncs() == 1, 30, "the silent run to be taken over")
    took = time.monotonic() - frozen_at
    say(
        f"run {run.pk} taken over {took:.1f} s after the freeze (heartbeat stale after 5 s); its locks broken"
    )
    assert SyncRun.objects.get(pk=run.pk).status == SyncRun.Status.FAILED
    assert took < 20

    successor = SyncRun.objects.filter(organization=org, status=SyncRun.Status.QUEUED).get()
    start_worker("rescuer")
    wait_for(lambda: not SyncRun.objects.get(pk=successor.pk).is_active, 90, f"successor run {successor.pk}")
    successor.refresh_from_db()
    assert successor.status == SyncRun.Status.SUCCEEDED, successor.message

    # It wakes and stops: at its next progress save it finds its run closed, or its database
    # session was ended meanwhile (idle in transaction) and it records nothing over the closed run.
    frozen.thaw()
    wait_for(
        lambda: f"[{dispatch.task_id(run.pk)}] succeeded" in frozen.log(), 30, "the thawed worker to stop"
    )
    how = "found its run closed" if "cancelled while running" in frozen.log() else "lost its database session"
    say(
        f"the thawed worker stopped on its own ({how}); run {run.pk} stays {SyncRun.objects.get(pk=run.pk).status}"
    )
    assert SyncRun.objects.get(pk=run.pk).status == SyncRun.Status.FAILED
    assert SyncRun.objects.get(pk=successor.pk).status == SyncRun.Status.SUCCEEDED
    assert_same_data(org_fingerprint(clean_org), org_fingerprint(org), "the organization whose worker froze")
