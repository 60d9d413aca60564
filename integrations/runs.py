"""Running one queued sync of any tool: the checks every tool's sync makes before its work.

A run that already finished is returned as is (a redelivered task must not sync twice); a run
whose connection is gone is closed; a run whose organization lock (per tool) is held elsewhere
is left alone when it is already running (another worker is on it) and closed otherwise.
"""

from collections.abc import Callable

from django.utils import timezone

from .locks import org_sync_lock
from .models import SyncRun


def close_run(run: SyncRun, status: str, message: str) -> SyncRun:
    run.status, run.message, run.finished_at = status, message, timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])
    return run


def run_under_lock(
    sync_run_id: int,
    provider: str,
    work: Callable[[SyncRun], SyncRun],
    *,
    connection_removed: str,
    already_running: str,
) -> SyncRun:
    """`work(run)` under the organization's lock for `provider`, after the common checks."""
    run = SyncRun.objects.select_related("connection").get(pk=sync_run_id, provider=provider)
    if not run.is_active:
        return run
    if run.connection is None:
        return close_run(run, SyncRun.Status.FAILED, connection_removed)
    with org_sync_lock(run.organization_id, provider) as acquired:
        if not acquired:
            if run.status == SyncRun.Status.RUNNING:
                return run  # a redelivered message: another worker is on this very run
            return close_run(run, SyncRun.Status.FAILED, already_running)
        return work(run)
