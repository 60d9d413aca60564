"""Drill (finding 8): the whole Celery worker is SIGKILLed mid-sync.

The run must not say "Syncing…" for the broker's visibility timeout: it is closed as
interrupted within seconds and the next run takes over at once, resumes, and ends with exactly
the data of a clean run.
"""

import time

import pytest

from integrations import services
from integrations.cursor import sync
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
