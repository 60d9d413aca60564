"""Starting syncs: one queued SyncRun per organization at a time, enqueued after commit.

No run stays active without something behind it:
- a queued run is backed by its broker message (task id ``task_id(run)``): if publishing fails
  the run is closed at once and the caller hears ``QueueFailed``; if the broker lost the
  message (a Redis restart), the next start of a sync or the beat takes the run over;
- a running run is backed by a live worker: its organization lock (dropped with the worker's
  database session) and its heartbeat (heartbeat.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from integrations.locks import break_sync_locks, is_sync_locked
from integrations.models import AuditLogEntry, Connection, SyncRun
from integrations.queues import queue_for_run
from integrations.selectors import cursor_connection

from . import broker, heartbeat, messages
from . import progress as p
from .progress import initial_progress
from .windows import sync_window

logger = logging.getLogger(__name__)

# A queued run is not judged before this: its message may not be published yet (on commit),
# or a worker may have it in hand and not yet marked it running.
QUEUED_RUN_GRACE = timedelta(seconds=30)
# Where the broker cannot be asked (eager mode, another transport), a queued run no worker
# picked up within this long is presumed lost.
QUEUED_RUN_STALE_AFTER = timedelta(hours=1)


class QueueFailed(Exception):
    """The run's message could not be handed to the broker; the run was closed."""

    def __init__(self, run: SyncRun):
        super().__init__(messages.QUEUE_FAILED)
        self.run = run


def task_id(run_id: int) -> str:
    """The broker message id of a run's task: known without asking Celery, so the broker can
    be asked whether the message is still there."""
    return f"koalr-sync-run-{run_id}"


def queue_run(connection: Connection, *, trigger: str, actor=None, days=None) -> tuple[SyncRun, bool]:
    """Queue a sync of ``connection`` and enqueue its task after commit; ``(run, True)``.

    If the organization already has a queued or running sync, ``(that run, False)`` instead, so
    double clicks and the hourly beat never stack runs; a run whose worker is gone does not
    count (it is closed and a new one queued). ``days`` fixes the window now (the last ``days``
    UTC days up to today); otherwise the worker picks it when the run starts. When ``actor`` is
    given, the audit log records who started the sync.

    The engine's half of starting a sync. Callers go through
    ``integrations.services.trigger_sync``, which adds the rule that a connection whose key
    Cursor rejected gets no new run.
    """
    from integrations.tasks import sync_connection  # tasks import this module

    with transaction.atomic():
        # Serializes concurrent starts for one connection (double click, beat + Sync now).
        cursor_connection(connection.organization_id, for_update=True, only=("pk",))
        active = (
            SyncRun.objects.filter(
                organization_id=connection.organization_id,
                provider=connection.provider,  # another tool's sync does not block this one
                status__in=SyncRun.ACTIVE_STATUSES,
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if active is not None:
            if not abandoned(active):
                return active, False
            close_interrupted(active)
        window_start = window_end = None
        if days is not None:
            window_start, window_end = sync_window(connection.organization_id, days=days)
        run = SyncRun.objects.create(
            organization_id=connection.organization_id,
            connection=connection,
            trigger=trigger,
            status=SyncRun.Status.QUEUED,
            window_start=window_start,
            window_end=window_end,
            progress=initial_progress(),
            message="Waiting for a worker…",
        )
        if actor is not None:
            AuditLogEntry.objects.create(
                organization_id=connection.organization_id,
                provider=connection.provider,
                actor=actor,
                action=AuditLogEntry.Action.SYNC_TRIGGERED,
                detail=f"Started a sync ({run.get_trigger_display()})",
            )
        run_id, queue = run.pk, queue_for_run(run)  # backfills wait on their own queue
        failures: list[Exception] = []
        transaction.on_commit(lambda: _publish(sync_connection, run_id, failures, queue=queue))
    if failures:  # published right here unless an outer transaction is still open
        run.refresh_from_db()
        raise QueueFailed(run)
    return run, True


def _publish(task, run_id: int, failures: list, *, queue: str | None = None) -> None:
    """Hand the run's message to the broker; if that fails, close the run at once so no queued
    run is left that no message backs (the broker's connect and retry limits keep this within
    about a second: CELERY_BROKER_* in settings)."""
    try:
        task.apply_async((run_id,), task_id=task_id(run_id), queue=queue)
    except Exception as exc:  # kombu raises OperationalError, redis-py its own; any is fatal here
        logger.warning("cursor sync %s: could not queue the task (%s)", run_id, type(exc).__name__)
        now = timezone.now()
        SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.QUEUED).update(
            status=SyncRun.Status.FAILED, message=messages.QUEUE_FAILED, finished_at=now
        )
        failures.append(exc)


def abandoned(run: SyncRun, *, now=None) -> bool:
    """Whether an active run has nothing behind it any more.

    Running: its organization lock is free (the worker's process is gone) or its heartbeat is
    older than ``heartbeat.stale_after()`` (the worker is frozen or cut off). Queued: past a
    short grace, the broker no longer holds its message; where the broker cannot say, nobody
    picked it up for an hour.
    """
    now = now or timezone.now()
    if run.status == SyncRun.Status.RUNNING:
        if not is_sync_locked(run.organization_id):
            return True
        last_sign = run.heartbeat_at or run.started_at or run.created_at
        return last_sign < now - heartbeat.stale_after()
    if run.created_at >= now - QUEUED_RUN_GRACE:
        return False
    pending = broker.message_pending(task_id(run.pk))
    if pending is None:
        return run.created_at < now - QUEUED_RUN_STALE_AFTER
    return not pending


def close_interrupted(run: SyncRun) -> None:
    """Close an abandoned run: failed, with streams it had not finished marked skipped. A
    silent worker that still holds the locks loses them, so the next run can start at once."""
    if run.status == SyncRun.Status.RUNNING and is_sync_locked(run.organization_id):
        ended = break_sync_locks(run.organization_id, run.pk)
        logger.warning(
            "cursor sync %s: its worker went silent; ended %d session(s) holding its locks", run.pk, ended
        )
    for entry in (run.progress or {}).values():
        if isinstance(entry, dict) and entry.get("status") in (p.PENDING, p.RUNNING):
            entry["status"] = p.SKIPPED
    lost_in_queue = run.status == SyncRun.Status.QUEUED
    run.status = SyncRun.Status.FAILED
    run.message = messages.LOST_IN_QUEUE if lost_in_queue else messages.INTERRUPTED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at", "progress"])
    logger.warning("cursor sync %s (organization %s): closed as interrupted", run.pk, run.organization_id)
