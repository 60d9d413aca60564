"""Starting syncs: one queued SyncRun per organization at a time, enqueued after commit."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from integrations.locks import is_sync_locked
from integrations.models import AuditLogEntry, Connection, SyncRun
from integrations.selectors import cursor_connection

from .progress import initial_progress
from .windows import sync_window

# A queued run no worker picked up within this long is presumed lost (broker flushed, no worker).
QUEUED_RUN_STALE_AFTER = timedelta(hours=1)


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
            if not _abandoned(active):
                return active, False
            active.status = SyncRun.Status.FAILED
            active.message = "This sync was interrupted before it finished; a new sync took over."
            active.finished_at = timezone.now()
            active.save(update_fields=["status", "message", "finished_at"])
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
        run_id = run.pk
        transaction.on_commit(lambda: sync_connection.delay(run_id))
    return run, True


def _abandoned(run: SyncRun) -> bool:
    """A run marked running whose organization lock is free has lost its worker; a queued run
    nobody picked up for an hour was lost by the broker."""
    if run.status == SyncRun.Status.RUNNING:
        return not is_sync_locked(run.organization_id)
    return run.created_at < timezone.now() - QUEUED_RUN_STALE_AFTER
