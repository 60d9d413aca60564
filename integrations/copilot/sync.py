"""One Copilot sync: seats → per-user daily reports → org daily aggregates → billing usage.

Fault rules (docs/copilot-api.md):
- every day's report is stored in its own transaction with its "reported" marker, so a sync
  killed mid-way resumes at the first day not yet reported; re-fetching a day replaces it;
- 204/404 for a day = "no report": marked and asked again by later syncs, never zeros;
- the last `FRESH_DAYS` days are asked again every sync (GitHub publishes and revises them
  within ~3 days, §2.2);
- on first connect, the latest 28-day report fills its whole window in one download when two
  or more of its days are missing (cheaper than a request and a download per day);
- rate limits: the client waits on GitHub's hints; a wait longer than it may sleep ends the
  run as partial, and the next hourly sync carries on from the days still missing;
- 401 pauses the connection (key rejected) until the token is replaced; 403 / 404 on seats or
  reports fail the run with what to fix; billing refusals only mark billing unavailable.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.models import Tool
from analytics.services import refresh_after_sync
from analytics.services.copilot import (
    ORG_REPORT,
    copilot_days_to_fetch,
    mark_copilot_no_report,
    replace_copilot_billing_lines,
    store_copilot_user_report,
    upsert_copilot_org_day,
    upsert_copilot_seats,
)
from integrations.models import AuditLogEntry, Connection, Provider, SyncRun
from integrations.quality import record_copilot_checks
from integrations.runs import run_under_lock

from .client import CopilotClient
from .errors import CopilotError, CopilotUnreachable, InvalidToken, MissingScope, OrgNotFound, RateLimited
from .options import CopilotSyncOptions, configured_options
from .progress import DONE, FAILED, RUNNING, SKIPPED, UNAVAILABLE, Cancelled, CopilotProgress

logger = logging.getLogger(__name__)

FRESH_DAYS = 4
PER_USER_BILLING_EVERY = timedelta(hours=20)  # one call per login: about once a day is plenty

KEY_REJECTED = "GitHub rejected the token (401) — replace it in Settings → Integrations → GitHub Copilot."
ALREADY_RUNNING = "Skipped: another Copilot sync of this organization was already running."
CONNECTION_REMOVED = "The Copilot connection was removed before this sync ran."
RESUME = "the next hourly sync continues where this one stopped."


AI_CREDITS_FROM = (2026, 6)  # Copilot bills in AI credits since 2026-06-01, premium requests before (§5)


def _premium_month(year: int, month: int) -> bool:
    return (year, month) < AI_CREDITS_FROM


def _kind(year: int, month: int) -> str:
    return "premium_request" if _premium_month(year, month) else "ai_credit"


def today() -> date:
    return timezone.now().date()


def build_client(connection: Connection, options: CopilotSyncOptions, on_wait) -> CopilotClient:
    config = connection.config or {}
    return CopilotClient(
        connection.get_api_key(),
        scope=config.get("scope", "org"),
        slug=config.get("slug", ""),
        base_url=connection.api_base_url,
        on_wait=on_wait,
        **options.client_options(),
    )


def backfill_window(end: date, days: int | None = None) -> tuple[date, date]:
    days = max(1, int(days or settings.COPILOT_BACKFILL_DAYS))
    return end - timedelta(days=days - 1), end


def run_copilot_sync(
    sync_run_id: int, *, options: CopilotSyncOptions | None = None, today_: date | None = None, progress=None
) -> SyncRun:
    """Run a queued (or interrupted) Copilot sync in the foreground; return the finished run."""
    options = options or configured_options()
    return run_under_lock(
        sync_run_id,
        Provider.COPILOT,
        lambda run: _CopilotSync(run, options, today_ or today(), progress).execute(),
        connection_removed=CONNECTION_REMOVED,
        already_running=ALREADY_RUNNING,
    )


class _CopilotSync:
    def __init__(self, run: SyncRun, options: CopilotSyncOptions, today_: date, callback):
        self.run = run
        self.connection = run.connection
        self.org_id = run.organization_id
        self.options = options
        self.today = today_
        self.progress = CopilotProgress(run, callback)
        self.notes: list[str] = []
        self.skipped = 0
        self.partial = False

    def execute(self) -> SyncRun:
        run = self.run
        end = self.today - timedelta(days=1)  # today's report never exists yet
        if run.window_start is None or run.window_end is None:
            run.window_start, run.window_end = backfill_window(end)
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
        failure: str | None = None
        key_rejected = False
        client = build_client(self.connection, self.options, self._on_wait)
        try:
            self._seats(client)
            fetched = self._user_reports(client, run.window_start, run.window_end)
            self._org_reports(client, fetched)
            self._billing(client, run.window_start, run.window_end)
        except Cancelled:
            logger.info("copilot sync %s: cancelled while running; stopped", run.pk)
            client.close()
            run.refresh_from_db()
            return run
        except InvalidToken:
            failure, key_rejected = KEY_REJECTED, True
        except RateLimited:
            self.partial = True
            self.notes.append(f"GitHub's rate limit was reached; {RESUME}")
        except (MissingScope, OrgNotFound) as exc:
            failure = exc.user_message
        except CopilotUnreachable:
            failure = f"GitHub was unreachable; {RESUME}"
        except CopilotError as exc:
            failure = f"GitHub's API kept failing{f' (HTTP {exc.status})' if exc.status else ''}; {RESUME}"
        except Exception:
            logger.exception("copilot sync %s: internal error", run.pk)
            failure = "The sync stopped because of an internal error; the next hourly sync will retry."
        finally:
            client.close()
        self.skipped = client.skipped_records
        try:
            refresh_after_sync(self.org_id, Tool.COPILOT, run.window_start, run.window_end, today=self.today)
        except Exception:
            logger.exception("copilot sync %s: refreshing the ToolDay facts failed", run.pk)
        if failure is not None:
            return self._fail(failure, key_rejected, status_before)
        run = self._succeed()
        try:  # data-quality checks (integrations/quality.py): best effort, never the run's outcome
            if run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL):
                record_copilot_checks(run, today=self.today)
        except Exception:
            logger.exception("copilot sync %s: data-quality checks failed", run.pk)
        return run

    # -- streams ------------------------------------------------------------------------------

    def _seats(self, client: CopilotClient) -> None:
        self.progress.plan("seats", 1)
        result = client.seats()
        stored = upsert_copilot_seats(self.org_id, result.seats, timezone.now())
        self.progress.add("seats", rows=stored, done=1)
        self.progress.finish("seats", DONE)

    def _user_reports(self, client: CopilotClient, start: date, end: date) -> list[date]:
        days = copilot_days_to_fetch(self.org_id, start, end, fresh_days=FRESH_DAYS)
        self.progress.plan("user_reports", len(days))
        fetched: list[date] = []
        if len(days) >= 2:
            days = self._fill_from_28_day(client, days, fetched)
        for day in days:
            report = client.user_report(day)
            now = timezone.now()
            if report is None:
                mark_copilot_no_report(self.org_id, day, now)
                self.progress.add("user_reports", done=1)
                continue
            stored = store_copilot_user_report(self.org_id, day, report.records, report.skipped, now)
            fetched.append(day)
            self.progress.add("user_reports", rows=stored, done=1)
        self.progress.finish("user_reports", DONE)
        return fetched

    def _fill_from_28_day(self, client: CopilotClient, days: list[date], fetched: list[date]) -> list[date]:
        """Store the days the latest 28-day report covers in one download; return the rest
        (the fresh days, which GitHub may still revise, and days without any line)."""
        fresh_from = days[-1] - timedelta(days=FRESH_DAYS - 1)
        window = client.latest_report_window()
        if window is None:
            return days
        covered = [d for d in days if window[0] <= d <= window[1] and d < fresh_from]
        if len(covered) < 2:
            return days
        result = client.users_28_day()
        if result is None:
            return days
        start, end, by_day, skipped = result
        now = timezone.now()
        stored_days = set()
        for day in covered:
            # A day the 28-day file has no line for is asked for on its own: it may be a day
            # GitHub has no report for, which must not be stored as a day of zeros.
            if start <= day <= end and by_day.get(day):
                stored = store_copilot_user_report(self.org_id, day, by_day.get(day, []), 0, now)
                stored_days.add(day)
                fetched.append(day)
                self.progress.add("user_reports", rows=stored, done=1)
        self.skipped += skipped
        return [d for d in days if d not in stored_days]

    def _org_reports(self, client: CopilotClient, days: list[date]) -> None:
        self.progress.plan("org_reports", len(days))
        try:
            for day in days:
                data = client.organization_day(day)
                if data is None:
                    mark_copilot_no_report(self.org_id, day, timezone.now(), report=ORG_REPORT)
                    self.progress.add("org_reports", done=1)
                else:
                    upsert_copilot_org_day(self.org_id, day, data)
                    self.progress.add("org_reports", rows=1, done=1)
        except (MissingScope, OrgNotFound):
            self.progress.finish("org_reports", UNAVAILABLE, "GitHub refused the organization report")
            return
        self.progress.finish("org_reports", DONE)

    def _billing(self, client: CopilotClient, start: date, end: date) -> None:
        months = sorted({(d.year, d.month) for d in (start, end, self.today)})
        per_user_due = self._per_user_billing_due()
        seats = []
        if per_user_due:
            from analytics.models import CopilotSeat

            seats = list(
                CopilotSeat.objects.filter(organization_id=self.org_id, removed_at__isnull=True).values_list(
                    "login", flat=True
                )
            )
        self.progress.plan("billing", len(months) + len(seats))
        now = timezone.now()
        try:
            for year, month in months:
                premium = _premium_month(year, month)
                items = client.ai_credit_usage(year, month, premium=premium)
                if items is None:
                    self.progress.finish(
                        "billing",
                        UNAVAILABLE,
                        "No AI-credit report (billing may be managed by the enterprise)",
                    )
                    return
                self.progress.add(
                    "billing",
                    rows=replace_copilot_billing_lines(
                        self.org_id, year, month, items, now, kind=_kind(year, month)
                    ),
                    done=1,
                )
            year, month = self.today.year, self.today.month
            for login in seats:
                items = (
                    client.ai_credit_usage(year, month, user=login, premium=_premium_month(year, month)) or []
                )
                rows = replace_copilot_billing_lines(
                    self.org_id, year, month, items, now, login=login, kind=_kind(year, month)
                )
                self.progress.add("billing", rows=rows, done=1)
        except MissingScope:
            self.progress.finish(
                "billing", UNAVAILABLE, "The token cannot read billing (manage_billing:copilot)"
            )
            return
        if seats:
            with transaction.atomic():
                conn = Connection.objects.select_for_update().get(pk=self.connection.pk)
                conn.stream_status = {**(conn.stream_status or {}), "billing_per_user_at": now.isoformat()}
                conn.save(update_fields=["stream_status", "updated_at"])
        self.progress.finish("billing", DONE)

    def _per_user_billing_due(self) -> bool:
        last = (self.connection.stream_status or {}).get("billing_per_user_at")
        if not last:
            return True
        try:
            from datetime import datetime

            return timezone.now() - datetime.fromisoformat(last) >= PER_USER_BILLING_EVERY
        except ValueError:
            return True

    # -- outcome ------------------------------------------------------------------------------

    def _on_wait(self, seconds: float, reason: str) -> None:
        self.progress.waiting(seconds, reason)

    def _message(self) -> str:
        p = self.run.progress
        reported = p.get("user_reports", {}).get("rows", 0)
        days = (self.run.window_end - self.run.window_start).days + 1
        parts = [
            f"Checked {days} days: {reported:,} user-day rows, {p.get('seats', {}).get('rows', 0):,} seats."
        ]
        parts += self.notes
        if self.skipped:
            parts.append(
                f"Skipped {self.skipped:,} malformed record{'s' if self.skipped != 1 else ''} from GitHub."
            )
        return " ".join(parts)

    def _succeed(self) -> SyncRun:
        now = timezone.now()
        with transaction.atomic():
            conn = Connection.objects.select_for_update().get(pk=self.connection.pk)
            conn.status = Connection.Status.HEALTHY
            conn.last_synced_at = now
            conn.last_error = ""
            conn.save(update_fields=["status", "last_synced_at", "last_error", "updated_at"])
            status = SyncRun.Status.PARTIAL if self.partial else SyncRun.Status.SUCCEEDED
            self._finish(status, self._message(), now)
        return self.run

    def _fail(self, message: str, key_rejected: bool, status_before: str) -> SyncRun:
        now = timezone.now()
        with transaction.atomic():
            conn = Connection.objects.select_for_update().get(pk=self.connection.pk)
            if key_rejected:
                if status_before != Connection.Status.KEY_REJECTED:
                    AuditLogEntry.objects.create(
                        organization_id=self.org_id,
                        provider=Provider.COPILOT,
                        action=AuditLogEntry.Action.KEY_REJECTED,
                        detail="GitHub answered 401 during a sync; hourly syncs are paused until the token is replaced.",
                    )
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
        self.progress.notify()
