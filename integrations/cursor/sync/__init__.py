"""The Cursor sync engine: backfill and hourly incremental sync into the analytics tables.

Public API:

- ``run_sync(sync_run_id, *, days=None, progress=None, options=None) -> SyncRun``: the worker
  body, called by the Celery task and ``manage.py sync_cursor``. ``options`` is a
  ``SyncOptions`` (client timeout, retries, rate limiter, sleep, parallel lanes); without it
  the run uses ``options.configured_options()``.
- ``STREAMS``: the keys of ``SyncRun.progress``.

Syncs are started by ``integrations.services.trigger_sync`` (connect, replace key, Sync now,
the hourly beat), which applies the paused-key rule and then calls ``dispatch.queue_run``.

Modules: windows (which days), streams (fetch + store per stream), progress (live progress),
lanes (streams in parallel per rate-limit bucket), runner (lock, faults, outcome), options (how
a run talks to Cursor), dispatch (queueing runs).
"""

from .options import SyncOptions
from .progress import STREAMS
from .runner import run_sync

__all__ = ["STREAMS", "SyncOptions", "run_sync"]
