"""One Claude Code sync (reference: docs/claude-code-api.md).

Console source: the roster (Admin users list, §4.1), then the Claude Code usage report one UTC
day per call (§3.1). Enterprise source: per-user activity one day per call (§5.4), then per-user
cost and tokens per day and model in ≤31-day ranges (§5.5), within the configured window and lag.

Fault rules:
- each day is stored whole in its own transaction with its fetched-at marker, so a sync killed
  or stopped mid-way resumes at the first day still due, with nothing lost or doubled;
- a day fetched before it settled (Console: `CLAUDE_CODE_CONSOLE_SETTLE_DAYS` after the day,
  since only data older than an hour is served and recent days keep growing; Enterprise:
  `..._ENTERPRISE_SETTLE_DAYS` for activity, `..._COST_SETTLE_DAYS` for costs, revised for up to
  30 days) is fetched again by later syncs — Cursor's lookback, driven by the fetch time;
- rate limits and overload: the client waits on Anthropic's hints; a wait longer than it may
  sleep ends the run as partial, and the next hourly sync carries on;
- 401 pauses the connection (key rejected) until the key is replaced; 403 fails the run with
  what to fix (an Admin key, the read:analytics scope).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.models import Tool
from analytics.services import refresh_after_sync
from analytics.services.claude_code import (
    ACTIVITY,
    COSTS,
    USAGE,
    days_to_fetch,
    store_console_day,
    store_enterprise_activity_day,
    store_enterprise_costs,
    upsert_claude_code_users,
)
from integrations.models import AuditLogEntry, Connection, Provider, SyncRun
from integrations.runs import run_under_lock

from .client import CONSOLE, ENTERPRISE, make_client
from .errors import (
    ClaudeCodeError,
    InvalidKey,
    MissingScope,
    NotAdminKey,
    NotAvailableYet,
    RateLimited,
    Unreachable,
)
from .options import ClaudeCodeSyncOptions, configured_options
from .progress import DONE, FAILED, RUNNING, SKIPPED, UNAVAILABLE, Cancelled, ClaudeCodeProgress

logger = logging.getLogger(__name__)

ENTERPRISE_EARLIEST = date(2026, 1, 1)  # §5.3: no Enterprise analytics before this day
KEY_REJECTED = "Anthropic rejected the key (401) — replace it in Settings → Integrations → Claude Code."
ALREADY_RUNNING = "Skipped: another Claude Code sync of this organization was already running."
CONNECTION_REMOVED = "The Claude Code connection was removed before this sync ran."
RESUME = "the next hourly sync continues where this one stopped."


def today() -> date:
    return timezone.now().date()


def backfill_start(source: str, today_: date, days: int | None = None) -> date:
    """The first day a backfill asks for: `CLAUDE_CODE_BACKFILL_DAYS` back, bounded by what the
    API keeps (Enterprise: its window and 2026-01-01; the Console report keeps everything)."""
    days = max(1, int(days or settings.CLAUDE_CODE_BACKFILL_DAYS))
    start = today_ - timedelta(days=days - 1)
    if source == ENTERPRISE:
        start = max(
            start,
            today_ - timedelta(days=settings.CLAUDE_CODE_ENTERPRISE_WINDOW_DAYS - 1),
            ENTERPRISE_EARLIEST,
        )
    return start


def run_claude_code_sync(
    sync_run_id: int,
    *,
    options: ClaudeCodeSyncOptions | None = None,
    today_: date | None = None,
    progress=None,
) -> SyncRun:
    """Run a queued (or interrupted) Claude Code sync in the foreground; return the finished run."""
    options = options or configured_options()
    return run_under_lock(
        sync_run_id,
        Provider.CLAUDE_CODE,
        lambda run: _ClaudeCodeSync(run, options, today_ or today(), progress).execute(),
        connection_removed=CONNECTION_REMOVED,
        already_running=ALREADY_RUNNING,
    )


class _ClaudeCodeSync:
    def __init__(self, run: SyncRun, options: ClaudeCodeSyncOptions, today_: date, callback):
        self.run = run
        self.connection = run.connection
        self.source = (self.connection.config or {}).get("source", CONSOLE)
        self.org_id = run.organization_id
        self.options = options
        self.today = today_
        self.progress = ClaudeCodeProgress(run, self.source, callback)
        self.notes: list[str] = []
        self.partial = False
        self.fetched: list[date] = []

    def execute(self) -> SyncRun:
        run = self.run
        if run.window_start is None or run.window_end is None:
            run.window_start, run.window_end = backfill_start(self.source, self.today), self.today
        run.status, run.started_at, run.message = (
            SyncRun.Status.RUNNING,
            run.started_at or timezone.now(),
            "Syncing…",
        )
        run.save(update_fields=["status", "started_at", "window_start", "window_end", "message", "progress"])
        status_before = self.connection.status
        Connection.objects.filter(pk=self.connection.pk).update(
            status=Connection.Status.SYNCING, last_attempt_at=timezone.now()
        )
        failure, key_rejected = None, False
        client = make_client(
            self.source, self.connection.get_api_key(), base_url=self.connection.api_base_url,
            on_wait=self.progress.waiting, **self.options.client_options(),
        )  # fmt: skip
        try:
            if self.source == CONSOLE:
                self._roster(client)
                self._usage(client)
            else:
                self._activity(client)
                self._costs(client)
        except Cancelled:
            logger.info("claude code sync %s: cancelled while running; stopped", run.pk)
            client.close()
            run.refresh_from_db()
            return run
        except InvalidKey:
            failure, key_rejected = KEY_REJECTED, True
        except RateLimited as exc:
            self.partial = True
            what = "overloaded" if exc.status == 529 else "rate-limiting requests"
            self.notes.append(f"Anthropic was {what}; {RESUME}")
        except (NotAdminKey, MissingScope) as exc:
            failure = exc.user_message
        except Unreachable:
            failure = f"Anthropic was unreachable; {RESUME}"
        except ClaudeCodeError as exc:
            failure = f"Anthropic's API kept failing{f' (HTTP {exc.status})' if exc.status else ''}; {RESUME}"
        except Exception:
            logger.exception("claude code sync %s: internal error", run.pk)
            failure = "The sync stopped because of an internal error; the next hourly sync will retry."
        finally:
            client.close()
        self.skipped = client.skipped_records
        if self.fetched:
            try:
                refresh_after_sync(
                    self.org_id, Tool.CLAUDE_CODE, min(self.fetched), max(self.fetched), today=self.today
                )
            except Exception:
                logger.exception("claude code sync %s: refreshing the ToolDay facts failed", run.pk)
        if failure is not None:
            return self._fail(failure, key_rejected, status_before)
        return self._succeed()

    # -- streams ------------------------------------------------------------------------------

    def _roster(self, client) -> None:
        self.progress.plan("roster", 1)
        stored = upsert_claude_code_users(self.org_id, client.users(), timezone.now())
        self.progress.add("roster", rows=stored, done=1)
        self.progress.finish("roster", DONE)

    def _usage(self, client) -> None:
        days = days_to_fetch(self.org_id, USAGE, self.run.window_start, self.run.window_end,
                             settle_days=settings.CLAUDE_CODE_CONSOLE_SETTLE_DAYS)  # fmt: skip
        self.progress.plan("usage", len(days))
        for day in days:
            rows = client.usage_day(day)
            self.progress.add("usage", rows=store_console_day(self.org_id, day, rows, timezone.now()), done=1)
            self.fetched.append(day)
        self.progress.finish("usage", DONE)

    def _activity(self, client) -> None:
        end = min(self.run.window_end, self.today - timedelta(days=settings.CLAUDE_CODE_ENTERPRISE_LAG_DAYS))
        days = days_to_fetch(self.org_id, ACTIVITY, self.run.window_start, end,
                             settle_days=settings.CLAUDE_CODE_ENTERPRISE_SETTLE_DAYS)  # fmt: skip
        self.progress.plan("activity", len(days))
        for day in days:
            try:
                rows = client.activity_day(day)
            except NotAvailableYet:
                self.progress.finish(
                    "activity", DONE, f"Anthropic has no activity after {day - timedelta(days=1)} yet"
                )
                return
            stored = store_enterprise_activity_day(self.org_id, day, rows, timezone.now())
            self.progress.add("activity", rows=stored, done=1)
            self.fetched.append(day)
        self.progress.finish("activity", DONE)

    def _costs(self, client) -> None:
        end = min(self.run.window_end, self.today - timedelta(days=1))
        start = max(self.run.window_start, self.today - timedelta(days=364))  # §5.3: the last 365 days
        due = days_to_fetch(self.org_id, COSTS, start, end,
                            settle_days=settings.CLAUDE_CODE_ENTERPRISE_COST_SETTLE_DAYS)  # fmt: skip
        if not due:
            self.progress.plan("costs", 0)
            self.progress.finish("costs", DONE)
            return
        first = due[0]
        chunks = []
        while first <= end:
            chunks.append((first, min(end, first + timedelta(days=30))))
            first = chunks[-1][1] + timedelta(days=1)
        self.progress.plan("costs", len(chunks))
        try:
            for chunk_start, chunk_end in chunks:
                costs = client.user_costs(chunk_start, chunk_end)
                usage = client.user_usage(chunk_start, chunk_end)
                stored = store_enterprise_costs(self.org_id, chunk_start, chunk_end, costs, usage,
                                                timezone.now(), today=self.today)  # fmt: skip
                self.progress.add("costs", rows=stored, done=1)
                self.fetched += [chunk_start, chunk_end]
        except MissingScope:
            self.progress.finish("costs", UNAVAILABLE, "The key may not read cost reports")
            return
        self.progress.finish("costs", DONE)

    # -- outcome ------------------------------------------------------------------------------

    def _message(self) -> str:
        p = self.run.progress
        days = (self.run.window_end - self.run.window_start).days + 1
        if self.source == CONSOLE:
            text = (f"Checked {days} days: fetched {p['usage']['done']:,} days, "
                    f"{p['usage']['rows']:,} rows; {p['roster']['rows']:,} members.")  # fmt: skip
        else:
            text = (f"Checked {days} days: fetched {p['activity']['done']:,} days of activity "
                    f"({p['activity']['rows']:,} rows), {p['costs']['rows']:,} cost rows.")  # fmt: skip
        parts = [text, *self.notes]
        if self.skipped:
            parts.append(
                f"Skipped {self.skipped:,} malformed record{'s' if self.skipped != 1 else ''} from Anthropic."
            )
        return " ".join(parts)

    def _succeed(self) -> SyncRun:
        now = timezone.now()
        with transaction.atomic():
            conn = Connection.objects.select_for_update().get(pk=self.connection.pk)
            conn.status, conn.last_synced_at, conn.last_error = Connection.Status.HEALTHY, now, ""
            conn.save(update_fields=["status", "last_synced_at", "last_error", "updated_at"])
            self._finish(
                SyncRun.Status.PARTIAL if self.partial else SyncRun.Status.SUCCEEDED, self._message(), now
            )
        return self.run

    def _fail(self, message: str, key_rejected: bool, status_before: str) -> SyncRun:
        now = timezone.now()
        with transaction.atomic():
            conn = Connection.objects.select_for_update().get(pk=self.connection.pk)
            if key_rejected:
                if status_before != Connection.Status.KEY_REJECTED:
                    AuditLogEntry.objects.create(
                        organization_id=self.org_id, provider=Provider.CLAUDE_CODE,
                        action=AuditLogEntry.Action.KEY_REJECTED,
                        detail="Anthropic answered 401 during a sync; hourly syncs are paused until the key is replaced.",
                    )  # fmt: skip
                conn.status = Connection.Status.KEY_REJECTED
            else:
                conn.status = Connection.Status.FAILING
            conn.last_error = message
            conn.save(update_fields=["status", "last_error", "updated_at"])
            self._finish(SyncRun.Status.FAILED, message, now)
        return self.run

    def _finish(self, status: str, message: str, now) -> None:
        run = self.run
        for entry in run.progress.values():
            if entry.get("status") in ("pending", RUNNING):
                entry["status"] = SKIPPED if status != SyncRun.Status.FAILED else FAILED
        run.status, run.message, run.finished_at = status, message, now
        run.save(update_fields=["status", "message", "finished_at", "progress"])
        if self.progress.callback is not None:
            self.progress.callback(run)
