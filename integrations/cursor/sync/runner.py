"""Running one sync: lock → streams (lanes.py) → outcome on the SyncRun and the Connection.

Fault rules (Cursor's status codes and limits: docs/cursor-api.md):
- 429: the client waits and retries; if Cursor keeps refusing, the unit waits and runs again.
- 5xx / timeout / network: the client retries with backoff; then the run fails with a plain
  reason, keeping every batch stored so far, and the next run resumes from the last finished run.
- 401 on the Admin API: the connection becomes "key rejected" and the audit log records it; no
  new sync starts (integrations.services.trigger_sync refuses) until the key is replaced.
- 403 (PlanRequired) on a stream: that stream is marked unavailable, the others go on.
- A malformed record is skipped by the client and counted in the run's message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date

from celery import current_app
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.utils import timezone

from analytics.models import Tool
from analytics.services import rebuild_after_sync, refresh_after_sync, warm_after_sync
from integrations.cursor.client import CursorClient
from integrations.cursor.ratelimit import NoRateLimit, get_default_limiter
from integrations.locks import org_sync_lock, run_claim
from integrations.models import AuditLogEntry, Connection, SyncRun
from integrations.quality import record_cursor_checks

from . import messages, windows
from . import progress as p
from .heartbeat import Heartbeat
from .lanes import Lanes, RunFailed
from .options import SyncOptions, configured_options
from .streams import stream_totals
from .windows import sync_window

logger = logging.getLogger(__name__)

ENTERPRISE_STREAMS = ("analytics", "ai_code", "groups")
# The capability (found when connecting) that tells whether a stream is in the plan. Billing
# groups come with the Enterprise plan (docs/cursor-api.md §2.9), which the Analytics probe
# detects; a key seen before that probe existed has no answer and is tried.
PLAN_CAPABILITY = {"groups": "analytics"}
# How long a run that lost its database keeps trying to record that, once it is back.
DATABASE_RECOVERY_SECONDS = 60.0


class DatabaseLost(Exception):
    """The database went away mid-run (a restart): close the run once it is back."""


def build_client(
    connection: Connection, on_wait: Callable[[float, str], None], options: SyncOptions
) -> CursorClient:
    return CursorClient(
        connection.get_api_key(),
        base_url=connection.api_base_url,
        on_wait=on_wait,
        **options.client_options(),
    )


def run_sync(
    sync_run_id: int,
    *,
    days: int | None = None,
    progress: Callable[[SyncRun], None] | None = None,
    options: SyncOptions | None = None,
) -> SyncRun:
    """Run a queued (or interrupted) sync in the foreground and return the finished SyncRun.

    Raises SyncRun.DoesNotExist if the run is gone. A run that already finished is returned as
    is (a redelivered task must not sync twice). Every decision is taken under locks, on a
    fresh read of the run: first the run's own claim (a second delivery of the same message
    finds it taken and leaves the run alone), then the organization's lock (if another run of
    the organization holds it, this run is closed as failed with "already running").
    If the database goes away mid-run, the run is closed with a plain message on a fresh
    connection once it is back, and the next run resumes.
    Without ``options`` the run uses ``configured_options()``: the defaults, unless the
    ``CURSOR_SYNC_OPTIONS`` setting holds others (the Celery task and ``sync_cursor`` pass none).
    """
    if options is None:
        options = configured_options()
    with run_claim(sync_run_id) as claimed:
        run = SyncRun.objects.select_related("connection").get(pk=sync_run_id)
        if not claimed:
            logger.info("cursor sync %s: another delivery is working this run; leaving it", sync_run_id)
            return run
        if not run.is_active:
            return run
        connection = run.connection
        if connection is None:
            return _close(run, SyncRun.Status.FAILED, messages.CONNECTION_REMOVED)
        with org_sync_lock(run.organization_id) as acquired:
            run.refresh_from_db()  # decided under the lock: a cancel may have landed meanwhile
            if not run.is_active:
                return run
            if not acquired:
                return _close(run, SyncRun.Status.FAILED, messages.ALREADY_RUNNING)
            sync = _Sync(run, connection, days=days, callback=progress, options=options)
            try:
                with Heartbeat(run.pk):
                    return sync.execute()
            except (DatabaseError, DatabaseLost):
                logger.exception("cursor sync %s: the database went away mid-run", run.pk)
                return _close_after_database_loss(run, connection.pk)


def _close_after_database_loss(run: SyncRun, connection_id: int) -> SyncRun:
    """Record a run the database dropped, on a fresh connection, waiting for the database to
    come back for up to DATABASE_RECOVERY_SECONDS. Streams still pending or running are marked
    skipped; the rows stored so far stay, and the next run resumes from the last finished one."""
    deadline = time.monotonic() + DATABASE_RECOVERY_SECONDS
    progress = run.progress or {}
    for entry in progress.values():
        if isinstance(entry, dict) and entry.get("status") in (p.PENDING, p.RUNNING):
            entry["status"] = p.SKIPPED
    while True:
        db_connection.close()  # the old one is dead; the next query opens a new one
        try:
            now = timezone.now()
            with transaction.atomic():
                closed = SyncRun.objects.filter(pk=run.pk, status__in=SyncRun.ACTIVE_STATUSES).update(
                    status=SyncRun.Status.FAILED,
                    message=messages.DATABASE_LOST,
                    finished_at=now,
                    progress=progress,
                )
                if closed:  # else the run was taken over meanwhile: its successor owns the connection
                    Connection.objects.filter(pk=connection_id, status=Connection.Status.SYNCING).update(
                        status=Connection.Status.FAILING, last_error=messages.DATABASE_LOST, updated_at=now
                    )
            run.refresh_from_db()
            return run
        except DatabaseError:
            if time.monotonic() >= deadline:
                raise  # the heartbeat goes stale; recover_interrupted_syncs closes the run later
            time.sleep(1.0)


def _close(run: SyncRun, status: str, message: str) -> SyncRun:
    run.status = status
    run.message = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])
    return run


class _Sync:
    def __init__(self, run: SyncRun, connection: Connection, *, days, callback, options: SyncOptions):
        self.run = run
        self.connection = connection
        self.org_id = run.organization_id
        self.days = days
        self.callback = callback
        self.options = options
        self.status_before = connection.status  # as loaded with the run, before "syncing"
        self.rebuilt_early = False  # the lanes had the rollups rebuilt before the last stream ended

    def execute(self) -> SyncRun:
        run = self.run
        now = timezone.now()
        if self.days is not None or run.window_start is None or run.window_end is None:
            run.window_start, run.window_end = sync_window(self.org_id, days=self.days)
        run.status = SyncRun.Status.RUNNING
        run.started_at = run.started_at or now
        run.message = "Syncing…"
        self.progress = p.Progress(run, self.callback)
        run.save(update_fields=["status", "started_at", "window_start", "window_end", "message", "progress"])
        Connection.objects.filter(pk=self.connection.pk).update(
            status=Connection.Status.SYNCING, last_attempt_at=now
        )

        self.progress.plan(stream_totals(run.window_start, run.window_end))
        caps = self.connection.capabilities or {}
        # The plan seen at connect time has no such API: do not spend requests on it.
        plan_skipped = {s for s in ENTERPRISE_STREAMS if caps.get(PLAN_CAPABILITY.get(s, s)) is False}
        for stream in plan_skipped:
            self.progress.finish(stream, p.UNAVAILABLE, messages.NOT_IN_PLAN_NOTE)
        lanes = Lanes(
            run.pk,
            self.org_id,
            lambda on_wait: build_client(self.connection, on_wait, self.options),
            self.progress,
            (run.window_start, run.window_end),
            plan_skipped,
            sleep=self.options.sleep,
            parallel=self.options.parallel,
            paced=self._paced(),
            on_rollup_inputs=self._rebuild_early,
        )
        failure: RunFailed | None = None
        incomplete: list[str] = []
        try:
            incomplete = lanes.run()
        except RunFailed as exc:
            failure = exc
        if self.progress.database_lost:
            raise DatabaseLost
        if self.progress.cancelled_from_outside:
            # Cancelled mid-run (Cursor disconnected): the canceller owns the run's status,
            # the connection and whether history stays. Write nothing more.
            logger.info("cursor sync %s: cancelled while running; stopped", run.pk)
            run.refresh_from_db()
            return run
        self._refresh_derived(run.window_start, run.window_end)
        if failure is not None:
            return self._fail(failure, lanes.skipped_records)
        missing = sorted(lanes.unavailable | plan_skipped, key=p.STREAMS.index)
        run = self._succeed(incomplete, missing, lanes)
        if run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL):
            self._check_quality(lanes)
        return run

    def _check_quality(self, lanes: Lanes) -> None:
        """Data-quality checks of what the run stored (integrations/quality.py), kept per run.
        Best effort: a failing check is logged and never changes the run's outcome."""
        try:
            record_cursor_checks(
                self.run,
                skipped_events=lanes.skipped_events,
                skipped_other=lanes.skipped_records - lanes.skipped_events,
                today=windows.today(),
            )
        except Exception:
            logger.exception("cursor sync %s: data-quality checks failed", self.run.pk)

    def _paced(self) -> bool:
        """Whether a rate limiter paces this run's requests (the options' own, else the
        process-wide one): unpaced runs schedule their lanes for the CPU (lanes.AFTER_ROLLUP_INPUTS)."""
        return not isinstance(self.options.limiter or get_default_limiter(), NoRateLimit)

    def _rebuild_early(self) -> None:
        """Called by the lanes once members, daily usage and usage events are stored, while the
        other streams still run: rebuild what is derived from them now (lanes.py)."""
        try:
            rebuild_after_sync(self.org_id, Tool.CURSOR, self.run.window_start, self.run.window_end)
            self.rebuilt_early = True
        except Exception:
            logger.exception(
                "cursor sync %s: rebuilding rollups failed; trying again at the end", self.run.pk
            )

    def _refresh_derived(self, start: date, end: date) -> None:
        """Rollups, first/last seen and ToolDay for the window, also after a failure (batches
        stored so far), unless the lanes had them rebuilt already; then the dashboard's default
        view is warmed."""
        try:
            if self.rebuilt_early:
                warm_after_sync(self.org_id, windows.today())
            else:
                refresh_after_sync(self.org_id, Tool.CURSOR, start, end, today=windows.today())
            transaction.on_commit(
                lambda: current_app.tasks["alerts.tasks.evaluate_after_sync"].delay(self.org_id)
            )
        except Exception:
            logger.exception("cursor sync %s: refreshing rollups failed", self.run.pk)

    def _succeed(self, incomplete: list[str], missing: list[str], lanes: Lanes) -> SyncRun:
        run = self.run
        message = messages.succeeded(
            days=(run.window_end - run.window_start).days + 1,
            events=run.progress["usage_events"]["rows"],
            daily_rows=run.progress["daily_usage"]["rows"],
            missing=missing,
            notes=lanes.notes,
            skipped=lanes.skipped_records,
        )
        now = timezone.now()
        with transaction.atomic():
            if not self._still_running():
                return run
            conn = Connection.objects.select_for_update().get(pk=self.connection.pk)
            stream_status = dict(conn.stream_status or {})
            for stream in p.STREAMS:
                if stream in missing:
                    stream_status[stream] = "unavailable"
                elif run.progress[stream]["status"] == p.DONE:
                    stream_status.pop(stream, None)
            conn.stream_status = stream_status
            conn.status = Connection.Status.HEALTHY
            conn.last_synced_at = now
            conn.last_error = ""
            conn.save(update_fields=["stream_status", "status", "last_synced_at", "last_error", "updated_at"])
            status = SyncRun.Status.PARTIAL if incomplete else SyncRun.Status.SUCCEEDED
            self._finish(status, message, now)
        return run

    def _fail(self, failure: RunFailed, skipped: int) -> SyncRun:
        now = timezone.now()
        with transaction.atomic():
            if not self._still_running():
                return self.run
            conn = Connection.objects.select_for_update().get(pk=self.connection.pk)
            if failure.key_rejected:
                if self.status_before != Connection.Status.KEY_REJECTED:
                    AuditLogEntry.objects.create(
                        organization_id=self.org_id,
                        provider=conn.provider,
                        action=AuditLogEntry.Action.KEY_REJECTED,
                        detail="Cursor answered 401 during a sync; hourly syncs are paused until the key is replaced.",
                    )
                conn.status = Connection.Status.KEY_REJECTED
            else:
                conn.status = Connection.Status.FAILING
            conn.last_error = failure.message
            conn.save(update_fields=["status", "last_error", "updated_at"])
            self._finish(SyncRun.Status.FAILED, messages.failed(failure.message, skipped), now)
        return self.run

    def _still_running(self) -> bool:
        """Lock the run row and check nobody closed it meanwhile (a takeover after this worker
        went silent, a disconnect): if someone did, they own the outcome and this run writes
        nothing more."""
        if SyncRun.objects.select_for_update().filter(pk=self.run.pk, status=SyncRun.Status.RUNNING).exists():
            return True
        logger.info("cursor sync %s: closed by someone else while finishing; leaving it", self.run.pk)
        self.run.refresh_from_db()
        return False

    def _finish(self, status: str, message: str, now) -> None:
        run = self.run
        if self.progress.database_lost:
            raise DatabaseLost
        if status == SyncRun.Status.FAILED:
            for entry in run.progress.values():
                if entry["status"] in (p.PENDING, p.RUNNING):
                    entry["status"] = p.SKIPPED
        run.status = status
        run.message = message
        run.finished_at = now
        run.save(update_fields=["status", "message", "finished_at", "progress"])
        if self.callback is not None:
            self.callback(run)
