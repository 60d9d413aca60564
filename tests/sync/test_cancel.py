"""Disconnecting Cursor while a worker is syncing: the sync stops and writes nothing back."""

import threading
import time

import pytest
from django.db import connection as db_connection

from analytics.models import UsageEvent
from integrations import services
from integrations.cursor import sync
from integrations.models import Connection, SyncRun


@pytest.mark.django_db(transaction=True)
def test_disconnect_deleting_history_mid_sync_leaves_nothing_behind(org, owner, make_team, make_connection):
    team = make_team(seats=10, days=40, seed=71)
    conn = make_connection(org, team)
    run = services.create_foreground_run(conn)  # what a worker picks up; no eager task here
    team.faults.slow_seconds = 0.1  # every Cursor answer takes a while: the run is mid-way below
    outcome = {}

    def worker():
        try:
            outcome["run"] = sync.run_sync(run.pk)
        except Exception as exc:  # surfaced below
            outcome["error"] = exc
        finally:
            db_connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    deadline = time.monotonic() + 30
    while not UsageEvent.objects.filter(organization=org).exists():
        assert time.monotonic() < deadline, "the sync never started storing events"
        time.sleep(0.05)

    deleted = services.disconnect(conn, owner, keep_history=False)
    thread.join(timeout=60)

    assert not thread.is_alive() and "error" not in outcome
    assert deleted > 0
    leftovers = {
        m.__name__: m.objects.filter(organization=org).count()
        for m in services.analytics_models()
        if m.objects.filter(organization=org).exists()
    }
    assert leftovers == {}
    run.refresh_from_db()
    assert (run.status, run.message) == (SyncRun.Status.FAILED, "Cancelled: Cursor was disconnected.")
    assert not Connection.objects.filter(organization=org).exists()
