"""The Cursor sync engine: backfill and hourly incremental sync into the analytics tables.

Public API (called by the connect UI, the management commands and the Celery tasks):

- ``start_sync(connection, *, trigger, actor=None, days=None) -> SyncRun``: queue a run and
  enqueue ``integrations.tasks.sync_connection`` after commit (or return the active run).
- ``run_sync(sync_run_id, *, days=None, progress=None, options=None) -> SyncRun``: the worker
  body. ``options`` is a ``SyncOptions`` (client timeout, retries, rate limiter, sleep, parallel
  lanes); without it the run uses ``options.configured_options()``.
- ``enqueue_hourly_syncs() -> int``: what Celery beat calls every hour.
- ``STREAMS``: the keys of ``SyncRun.progress``.

Modules: windows (which days), streams (fetch + store per stream), progress (live progress),
lanes (streams in parallel per rate-limit bucket), runner (lock, faults, outcome), options (how
a run talks to Cursor), dispatch (starting runs).
"""

from .dispatch import enqueue_hourly_syncs, start_sync
from .options import SyncOptions
from .progress import STREAMS
from .runner import run_sync

__all__ = ["STREAMS", "SyncOptions", "enqueue_hourly_syncs", "run_sync", "start_sync"]
