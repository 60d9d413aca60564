"""Celery tasks for connections: thin adapters over the sync engine and `services`."""

from celery import shared_task

from integrations import services
from integrations.cursor import sync
from integrations.models import SyncRun


# acks_late + reject_on_worker_lost: a worker killed mid-sync gives the message back, and the
# redelivered task finishes the run (every write is an idempotent upsert). No autoretry: Cursor
# faults are handled inside the run, and the next hourly run resumes whatever a failure left.
@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sync_connection(sync_run_id: int) -> None:
    try:
        sync.run_sync(sync_run_id)
    except SyncRun.DoesNotExist:
        return  # the run (or its organization) was deleted meanwhile


# Not retried: the beat fires again next hour, and trigger_sync never stacks runs.
@shared_task(ignore_result=True)
def enqueue_hourly_syncs() -> int:
    return services.enqueue_hourly_syncs()


# Not retried: it runs again next minute. Bounds how long a run whose worker died, froze or
# lost its message can show "Syncing…" (SYNC_STALE_AFTER_SECONDS plus a minute at most).
@shared_task(ignore_result=True)
def recover_interrupted_syncs() -> int:
    return services.recover_interrupted_syncs()


# GitHub Copilot: the same rules as Cursor's (acks_late, idempotent days, no autoretry).
@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sync_copilot_connection(sync_run_id: int) -> None:
    from integrations.copilot.sync import run_copilot_sync

    try:
        run_copilot_sync(sync_run_id)
    except SyncRun.DoesNotExist:
        return


# Not retried: the beat fires again next hour, and runs never stack.
@shared_task(ignore_result=True)
def enqueue_hourly_copilot_syncs() -> int:
    from integrations.copilot import services as copilot_services

    return copilot_services.enqueue_hourly_syncs()


# Claude Code: the same rules (acks_late, whole-day idempotent writes, no autoretry).
@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sync_claude_code_connection(sync_run_id: int) -> None:
    from integrations.claude_code.sync import run_claude_code_sync

    try:
        run_claude_code_sync(sync_run_id)
    except SyncRun.DoesNotExist:
        return


# Not retried: the beat fires again next hour, and runs never stack.
@shared_task(ignore_result=True)
def enqueue_hourly_claude_code_syncs() -> int:
    from integrations.claude_code import services as claude_code_services

    return claude_code_services.enqueue_hourly_syncs()
