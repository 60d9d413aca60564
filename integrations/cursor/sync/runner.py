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
import threading
from collections.abc import Callable
from datetime import date

from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from analytics import services
from analytics.rollups import refresh_rollups
from integrations.crypto import SecretUnreadable
from integrations.cursor.client import CursorClient
from integrations.cursor.errors import (
    CursorError,
    CursorTimeout,
    CursorUnreachable,
    InvalidApiKey,
    PlanRequired,
    RateLimited,
)
from integrations.locks import org_sync_lock
from integrations.models import AuditLogEntry, Connection, SyncRun

from . import progress as p
from .streams import STREAM_OF_PART, Cancelled, PartialStream, StreamRunner, stream_totals
from .windows import sync_window

logger = logging.getLogger(__name__)

# Extra CursorClient keyword arguments; tests set {"sleep": no-op, "limiter": NoRateLimit()}.
CLIENT_OPTIONS: dict = {}

# Parts that share a Cursor rate-limit bucket run one after another in a lane; lanes may run
# in parallel. (Members run alone before them.)
LANES = (
    ("daily_usage", "spend"),  # Admin API: 20/min
    ("usage_events",),  # 60/min
    ("analytics",),  # 100/min
    ("ai_code_commits",),  # 20/min per AI Code Tracking endpoint
    ("ai_code_changes",),
)

# None: parallel lanes on PostgreSQL, one after another elsewhere (SQLite allows one writer;
# tests whose data lives in an open transaction must stay on one connection).
PARALLEL_STREAMS: bool | None = None


def parallel_streams() -> bool:
    if PARALLEL_STREAMS is not None:
        return PARALLEL_STREAMS
    return db_connection.vendor == "postgresql"


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

        failure: RunFailed | None = None
        incomplete: list[str] = []
        self.skipped = 0
        self.notes: list[str] = []
        try:
            incomplete = self._run_streams()
        except RunFailed as exc:
            failure = exc
        self._refresh_derived(run.window_start, run.window_end)
        if failure is not None:
            return self._fail(failure, self.skipped)
        return self._succeed(incomplete, self.skipped, self.notes)

    # -- streams --------------------------------------------------------------------------------

    def _run_streams(self) -> list[str]:
        """Run every stream; returns those that ended unavailable or incomplete, raises RunFailed.

        Members go first (the others attribute rows to them), then the lanes, in parallel
        threads on PostgreSQL: each lane uses its own rate-limit bucket at Cursor, so a big
        backfill takes as long as its slowest bucket instead of the sum of all of them.
        """
        run = self.run
        caps = self.connection.capabilities or {}
        self.progress.plan(stream_totals(run.window_start, run.window_end))
        skip = {s for s in ("analytics", "ai_code") if caps.get(s) is False}
        for stream in sorted(skip, key=p.STREAMS.index):
            # The plan seen at connect time has no such API: do not spend requests on it.
            self.plan_skipped.add(stream)
            self.progress.finish(stream, p.UNAVAILABLE, "Not included in this Cursor plan")

        self.outcomes: dict[str, object] = {}
        self.cancelled = threading.Event()
        self._outcome_lock = threading.Lock()
        self._run_lane(("members",))
        lanes = [tuple(part for part in lane if STREAM_OF_PART[part] not in skip) for lane in LANES]
        lanes = [lane for lane in lanes if lane]
        if parallel_streams():
            threads = [
                threading.Thread(target=self._run_lane, args=(lane, True), daemon=True) for lane in lanes
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for lane in lanes:
                self._run_lane(lane)
        return self._judge(skip)

    def _run_lane(self, parts: tuple[str, ...], in_thread: bool = False) -> None:
        streams = StreamRunner(
            self.org_id,
            lambda on_wait: build_client(self.connection, on_wait),
            self.progress,
            self.run.window_start,
            self.run.window_end,
            self.cancelled,
            background_writes=in_thread,
        )
        try:
            for part in parts:
                self._record(part, self._run_part(streams, part))
        except BaseException as exc:  # a kill signal in a lane thread: hand it to the main thread
            self._record(parts[0], exc)
            if not in_thread:
                raise
        finally:
            streams.close()
            with self._outcome_lock:
                self.skipped += streams.skipped_records
                self.notes.extend(streams.notes)
            if in_thread:
                db_connection.close()  # each lane thread had its own database connection

    def _run_part(self, streams: StreamRunner, part: str):
        if self.cancelled.is_set():
            return p.SKIPPED
        try:
            streams.run_part(part)
        except PlanRequired:
            return p.UNAVAILABLE
        except PartialStream as exc:
            return PartialStream(str(exc))
        except Cancelled:
            return p.SKIPPED
        except Exception as exc:
            if not isinstance(exc, CursorError | SecretUnreadable):
                logger.exception(
                    "cursor sync %s for organization %s crashed in %s", self.run.pk, self.org_id, part
                )
            self.cancelled.set()  # the run is failing: other lanes stop at their next unit
            return exc
        return p.DONE

    def _record(self, part: str, outcome) -> None:
        """Store a part's outcome; once every part of its stream is in, settle the stream."""
        stream = STREAM_OF_PART[part]
        with self._outcome_lock:
            self.outcomes[part] = outcome
            parts = [q for q, s in STREAM_OF_PART.items() if s == stream]
            if not all(q in self.outcomes for q in parts):
                return
            results = [self.outcomes[q] for q in parts]
        errors = [r for r in results if isinstance(r, BaseException) and not isinstance(r, PartialStream)]
        if errors:
            self.progress.finish(stream, p.FAILED, _short_reason(errors[0]))
        elif p.SKIPPED in results:
            self.progress.finish(stream, p.SKIPPED)
        elif p.UNAVAILABLE in results:
            self.progress.finish(stream, p.UNAVAILABLE, "Cursor refused access (Enterprise plan required)")
        elif partial := [r for r in results if isinstance(r, PartialStream)]:
            self.progress.finish(stream, p.DONE, str(partial[0]))
        else:
            self.progress.finish(stream, p.DONE)

    def _judge(self, skip: set[str]) -> list[str]:
        """The run's outcome from its parts: the first failure in stream order decides."""
        by_stream: dict[str, list] = {}
        for part, outcome in self.outcomes.items():
            by_stream.setdefault(STREAM_OF_PART[part], []).append(outcome)
        ordered = [(s, o) for s in p.STREAMS for o in by_stream.get(s, [])]
        for _, outcome in ordered:
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome  # KeyboardInterrupt / SystemExit from a lane thread
        errors = [(s, o) for s, o in ordered if isinstance(o, Exception) and not isinstance(o, PartialStream)]
        if any(isinstance(o, InvalidApiKey) for _, o in errors):
            raise RunFailed(KEY_REJECTED_MESSAGE, key_rejected=True)
        if errors:
            stream, exc = errors[0]
            if isinstance(exc, CursorError):
                raise RunFailed(_failure_message(stream, exc))
            if isinstance(exc, SecretUnreadable):
                raise RunFailed(
                    "The stored API key can no longer be read (the encryption keys changed); "
                    "replace it in Settings → Integrations."
                )
            raise RunFailed("The sync stopped because of an internal error; the next hourly sync will retry.")
        self.unavailable = {s for s, o in ordered if o == p.UNAVAILABLE}
        if self.unavailable and self.unavailable | skip == set(p.STREAMS):
            raise RunFailed("Cursor refused every request of this sync: the key needs admin access.")
        incomplete = {s for s, o in ordered if o == p.UNAVAILABLE or isinstance(o, PartialStream)}
        return sorted(incomplete, key=p.STREAMS.index)

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
    if not isinstance(exc, CursorError):
        return "Internal error" if isinstance(exc, Exception) else "Interrupted"
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
