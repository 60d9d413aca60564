"""Running one sync: lock → stream by stream → outcome on the SyncRun and the Connection.

Fault rules (issue 5):
- 429: the client waits and retries; if Cursor keeps refusing, the unit waits and runs again.
- 5xx / timeout / network: the client retries with backoff; then the run fails with a plain
  reason, keeping every batch stored so far, and the next run resumes from the last finished run.
- 401 on the Admin API: the connection becomes "key rejected"; hourly syncs pause until the key
  is replaced, and the audit log records it.
- 403 (PlanRequired) on a stream: that stream is marked unavailable, the others go on.
- A malformed record is skipped by the client and counted in the run's message.

Every message here is our own wording plus an HTTP status at most: never an exception's text
(which could quote Cursor's answer) and never the key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from django.db import transaction
from django.utils import timezone

from analytics import services
from analytics.rollups import refresh_rollups
from integrations.crypto import SecretUnreadable
from integrations.cursor.client import CursorClient
from integrations.cursor.errors import (
    CursorTimeout,
    CursorUnreachable,
    InvalidApiKey,
    PlanRequired,
    RateLimited,
    UpstreamError,
)
from integrations.locks import org_sync_lock
from integrations.models import AuditLogEntry, Connection, SyncRun

from . import progress as p
from .streams import PartialStream, StreamRunner
from .windows import sync_window

logger = logging.getLogger(__name__)

# Extra CursorClient keyword arguments; tests set {"sleep": no-op, "limiter": NoRateLimit()}.
CLIENT_OPTIONS: dict = {}

KEY_REJECTED_MESSAGE = "Cursor rejected the API key — replace it in Settings → Integrations."
STREAM_LABELS = {
    "members": "Members",
    "daily_usage": "Daily usage",
    "usage_events": "Usage events",
    "spend": "Spend",
    "analytics": "Analytics",
    "ai_code": "AI code tracking",
}


class RunFailed(Exception):
    """Ends the run as failed with a message for users."""

    def __init__(self, message: str, *, key_rejected: bool = False):
        super().__init__(message)
        self.message = message
        self.key_rejected = key_rejected


def build_client(connection: Connection, on_wait: Callable[[float, str], None]) -> CursorClient:
    return CursorClient(
        connection.get_api_key(), base_url=connection.api_base_url, on_wait=on_wait, **CLIENT_OPTIONS
    )


def run_sync(
    sync_run_id: int, *, days: int | None = None, progress: Callable[[SyncRun], None] | None = None
) -> SyncRun:
    """Run a queued (or interrupted) sync in the foreground and return the finished SyncRun.

    Raises SyncRun.DoesNotExist if the run is gone. A run that already finished is returned as
    is (a redelivered task must not sync twice). If another sync of the organization holds the
    lock, this run is closed as failed with "already running" and the connection is left alone.
    """
    run = SyncRun.objects.select_related("connection").get(pk=sync_run_id)
    if not run.is_active:
        return run
    connection = run.connection
    if connection is None:
        return _close(run, SyncRun.Status.FAILED, "The Cursor connection was removed before this sync ran.")
    with org_sync_lock(run.organization_id) as acquired:
        if not acquired:
            if run.status == SyncRun.Status.RUNNING:
                return run  # another worker is on this very run (a redelivered message)
            return _close(
                run,
                SyncRun.Status.FAILED,
                "Skipped: another sync of this organization was already running.",
            )
        return _Sync(run, connection, days=days, callback=progress).execute()


def _close(run: SyncRun, status: str, message: str) -> SyncRun:
    run.status = status
    run.message = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at"])
    return run


class _Sync:
    def __init__(self, run: SyncRun, connection: Connection, *, days, callback):
        self.run = run
        self.connection = connection
        self.org_id = run.organization_id
        self.days = days
        self.callback = callback
        self.status_before = connection.status  # as loaded with the run, before "syncing"
        self.unavailable: set[str] = set()  # refused by Cursor during this run
        self.plan_skipped: set[str] = set()  # not in the plan seen at connect time

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

        client = None
        streams = None
        failure: RunFailed | None = None
        partial: list[str] = []
        try:
            client = build_client(self.connection, self.progress.waiting)
            streams = StreamRunner(self.org_id, client, self.progress, run.window_start, run.window_end)
            partial = self._run_streams(streams)
        except RunFailed as exc:
            failure = exc
        except SecretUnreadable:
            failure = RunFailed(
                "The stored API key can no longer be read (the encryption keys changed); "
                "replace it in Settings → Integrations."
            )
        except Exception:
            logger.exception("cursor sync %s for organization %s crashed", run.pk, self.org_id)
            failure = RunFailed(
                "The sync stopped because of an internal error; the next hourly sync will retry."
            )
        finally:
            if client is not None:
                client.close()

        skipped = (client.skipped_records if client is not None else 0) + (streams.skipped if streams else 0)
        self._refresh_derived(run.window_start, run.window_end)
        if failure is not None:
            return self._fail(failure, skipped)
        return self._succeed(partial, skipped, streams.notes if streams else [])

    def _run_streams(self, streams: StreamRunner) -> list[str]:
        """Run every stream; returns the streams that ended unavailable or incomplete."""
        caps = self.connection.capabilities or {}
        incomplete: list[str] = []
        self.progress.plan(streams.totals())
        for stream in p.STREAMS:
            if stream in ("analytics", "ai_code") and caps.get(stream) is False:
                # The plan seen at connect time has no such API: do not spend requests on it.
                self.plan_skipped.add(stream)
                self.progress.finish(stream, p.UNAVAILABLE, "Not included in this Cursor plan")
                continue
            try:
                getattr(streams, stream)()
            except PlanRequired:
                self.unavailable.add(stream)
                incomplete.append(stream)
                self.progress.finish(
                    stream, p.UNAVAILABLE, "Cursor refused access (Enterprise plan required)"
                )
                continue
            except PartialStream as exc:
                incomplete.append(stream)
                self.progress.finish(stream, p.DONE, str(exc))
                continue
            except InvalidApiKey as exc:
                self.progress.finish(stream, p.FAILED, "Cursor rejected the API key")
                raise RunFailed(KEY_REJECTED_MESSAGE, key_rejected=True) from exc
            except (CursorUnreachable, UpstreamError, RateLimited) as exc:
                self.progress.finish(stream, p.FAILED, _short_reason(exc))
                raise RunFailed(_failure_message(stream, exc)) from exc
            except Exception:
                self.progress.finish(stream, p.FAILED, "Internal error")
                raise
            self.progress.finish(stream, p.DONE)
        if len(self.unavailable) == len(p.STREAMS) - len(self.plan_skipped):
            raise RunFailed("Cursor refused every request of this sync: the key needs admin access.")
        return incomplete

    def _refresh_derived(self, start: date, end: date) -> None:
        """Rollups and first/last seen for the window, also after a failure (batches stored so far)."""
        try:
            refresh_rollups(self.org_id, start, end)
            services.refresh_member_activity(self.org_id, start, end)
        except Exception:
            logger.exception("cursor sync %s: refreshing rollups failed", self.run.pk)

    def _succeed(self, incomplete: list[str], skipped: int, notes: list[str]) -> SyncRun:
        run = self.run
        progress = run.progress
        days = (run.window_end - run.window_start).days + 1
        parts = [
            f"Synced {days} day{'s' if days != 1 else ''}: "
            f"{progress['usage_events']['rows']:,} events, {progress['daily_usage']['rows']:,} daily rows."
        ]
        missing = sorted(self.unavailable | self.plan_skipped, key=p.STREAMS.index)
        if missing:
            labels = " and ".join(STREAM_LABELS[s] for s in missing)
            parts.append(
                f"{labels} {'is' if len(missing) == 1 else 'are'} not available on this Cursor plan."
            )
        parts.extend(notes)
        if skipped:
            parts.append(f"Skipped {skipped:,} malformed record{'s' if skipped != 1 else ''} from Cursor.")
        status = SyncRun.Status.PARTIAL if incomplete else SyncRun.Status.SUCCEEDED
        now = timezone.now()
        with transaction.atomic():
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
            self._finish(status, " ".join(parts), now)
        return run

    def _fail(self, failure: RunFailed, skipped: int) -> SyncRun:
        message = failure.message
        if skipped:
            message += f" ({skipped:,} malformed record{'s' if skipped != 1 else ''} skipped.)"
        now = timezone.now()
        with transaction.atomic():
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
            self._finish(SyncRun.Status.FAILED, message, now)
        return self.run

    def _finish(self, status: str, message: str, now) -> None:
        run = self.run
        for entry in run.progress.values():
            if entry["status"] in (p.PENDING, p.RUNNING):
                entry["status"] = p.SKIPPED if status == SyncRun.Status.FAILED else entry["status"]
        run.status = status
        run.message = message
        run.finished_at = now
        run.save(update_fields=["status", "message", "finished_at", "progress"])
        if self.callback is not None:
            self.callback(run)


def _short_reason(exc: Exception) -> str:
    if isinstance(exc, CursorTimeout):
        return "Cursor did not answer in time"
    if isinstance(exc, CursorUnreachable):
        return "Cursor was unreachable"
    if isinstance(exc, RateLimited):
        return "Cursor kept rate-limiting"
    if exc.status:
        return f"Cursor answered HTTP {exc.status}"
    return "Cursor sent an unexpected answer"


def _failure_message(stream: str, exc: Exception) -> str:
    label = STREAM_LABELS[stream].lower()
    resume = "the next hourly sync will resume."
    if isinstance(exc, CursorTimeout):
        return f"Cursor was unreachable (timeout) while syncing {label}; {resume}"
    if isinstance(exc, CursorUnreachable):
        return f"Cursor was unreachable (connection error) while syncing {label}; {resume}"
    if isinstance(exc, RateLimited):
        return f"Cursor kept rate-limiting requests while syncing {label}; {resume}"
    if exc.status and exc.status >= 500:
        return f"Cursor's API kept failing (HTTP {exc.status}) while syncing {label}; {resume}"
    if exc.status and exc.status >= 400:
        return f"Cursor refused a request (HTTP {exc.status}) while syncing {label}; {resume}"
    return f"Cursor sent an answer we could not read while syncing {label}; {resume}"
