"""A running sync's pulse: `SyncRun.heartbeat_at`, written every few seconds while it runs.

The organization's advisory lock (integrations/locks.py) already tells when a worker's process
is gone: PostgreSQL drops the lock with its session. The heartbeat covers what the lock cannot
see: a worker that is frozen, cut off from the database, or stuck in a wait that never ends.
A running run whose heartbeat is older than `stale_after()` is closed as interrupted and the
next run takes over (dispatch.abandoned, services.recover_interrupted_syncs).

Settings: SYNC_HEARTBEAT_SECONDS (default 10) and SYNC_STALE_AFTER_SECONDS (default 90).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db import connection as db_connection
from django.utils import timezone

from integrations.models import SyncRun

logger = logging.getLogger(__name__)


def interval() -> float:
    return float(getattr(settings, "SYNC_HEARTBEAT_SECONDS", 10))


def stale_after() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "SYNC_STALE_AFTER_SECONDS", 90)))


def beat(run_id: int) -> None:
    SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.RUNNING).update(heartbeat_at=timezone.now())


class Heartbeat:
    """Beats for one run from a daemon thread with its own database connection.

    Only where a second connection can see the run (PostgreSQL, outside an open transaction);
    elsewhere the run's progress saves carry the heartbeat alone.
    """

    def __init__(self, run_id: int):
        self.run_id = run_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self):
        if db_connection.vendor == "postgresql" and not db_connection.in_atomic_block:
            self._thread = threading.Thread(
                target=self._loop, name=f"sync-heartbeat-{self.run_id}", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(interval()):
                try:
                    beat(self.run_id)
                except DatabaseError:
                    logger.warning("cursor sync %s: heartbeat could not reach the database", self.run_id)
                    db_connection.close()  # the next beat reconnects
        finally:
            db_connection.close()
