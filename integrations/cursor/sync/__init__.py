"""The Cursor sync engine: backfill and hourly incremental sync into the analytics tables.

Public API (called by the connect UI, the management commands and the Celery tasks):

- ``start_sync(connection, *, trigger, actor=None, days=None) -> SyncRun``: queue a run and
  enqueue ``integrations.tasks.sync_connection`` after commit (or return the active run).
- ``run_sync(sync_run_id, *, days=None, progress=None) -> SyncRun``: the worker body.
- ``enqueue_hourly_syncs() -> int``: what Celery beat calls every hour.
- ``STREAMS``: the keys of ``SyncRun.progress``.

Modules: windows (which days), streams (fetch + store per stream), progress (live progress),
runner (lock, faults, outcome), dispatch (starting runs).
"""

from .dispatch import enqueue_hourly_syncs, start_sync
from .progress import STREAMS
from .runner import run_sync

__all__ = ["STREAMS", "enqueue_hourly_syncs", "run_sync", "start_sync"]
