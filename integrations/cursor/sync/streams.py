"""Each stream of a sync: fetch one kind of data from Cursor and store it.

A stream is made of parts (AI code tracking has two: commits and changes, which Cursor
rate-limits separately) and a part of small units (one 30-day window of daily usage, one UTC
day of events, one analytics metric …). Every unit is idempotent, so a unit interrupted by a
rate limit can simply run again, and a run that dies part-way leaves only finished batches.

One StreamRunner runs the parts of one lane (see runner.LANES) with its own Cursor client and
member directory, so lanes can run in parallel threads.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from datetime import date

from django.utils import timezone

from analytics import services
from analytics.services import BATCH_SIZE
from analytics.services.tool_days import refresh_team_days
from integrations.cursor.client import ANALYTICS_TEAM_METRICS, MAX_WINDOW_DAYS, CursorClient, day_windows
from integrations.cursor.errors import RateLimited, UpstreamError
from integrations.cursor.http import WAIT_CURSOR_429
from people.cursor_teams import sync_cursor_groups

from . import progress as p
from . import windows
from .read_ahead import batches_read_ahead
from .windows import days_between, revisable_from

logger = logging.getLogger(__name__)

# How long one unit may spend waiting on Cursor's 429s (the client's Retry-After waits and the
# unit's own pauses between attempts) before the run gives up and leaves the rest to the next
# sync. A budget of time, not of attempts: a storm of short Retry-After answers is waited out,
# a refusal that lasts a quarter of an hour is not.
RATE_LIMIT_BUDGET_SECONDS = 15 * 60.0
DEFAULT_RATE_LIMIT_WAIT = 60.0  # Cursor's limits reset every minute
# Records a lane may fetch ahead of what it stored: a window's burst of AI Code Tracking pages
# (20 requests of 1,000 records), so the burst goes out at once.
READ_AHEAD_RECORDS = 20_000

# part -> the progress stream it reports to
STREAM_OF_PART = {
    "members": "members",
    "daily_usage": "daily_usage",
    "usage_events": "usage_events",
    "spend": "spend",
    "analytics": "analytics",
    "ai_code_commits": "ai_code",
    "ai_code_changes": "ai_code",
    "groups": "groups",
}


def chunks(items: Iterable, size: int = BATCH_SIZE):
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def stream_totals(start: date, end: date) -> dict[str, int]:
    """Units per stream, for the progress bar."""
    return {
        "members": 1,
        "daily_usage": len(day_windows(start, end, MAX_WINDOW_DAYS)),
        "usage_events": len(days_between(start, end)),
        "spend": 1,
        "analytics": len(ANALYTICS_TEAM_METRICS),
        "ai_code": 2,
        "groups": 1,
    }


class PartialStream(Exception):
    """A stream stored what it could but left something out; the run ends as partial."""


class Cancelled(Exception):
    """Another lane failed: stop at the next unit boundary, the run is ending."""


class StreamRunner:
    """Runs parts of one sync for one organization, with one Cursor client of its own."""

    def __init__(
        self,
        organization_id: int,
        client_factory: Callable[[Callable[[float, str], None]], CursorClient],
        progress: p.Progress,
        start: date,
        end: date,
        cancelled: threading.Event | None = None,
        *,
        background_writes: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.organization_id = organization_id
        self.progress = progress
        self.start = start
        self.end = end
        self.cancelled = cancelled or threading.Event()
        # Store events from a writer thread while the next pages are fetched (PostgreSQL only).
        self.background_writes = background_writes
        self.sleep = sleep  # how a rate-limited unit waits before it runs again
        self.notes: list[str] = []  # non-fatal problems, shown in the run's message
        self.skipped = 0  # records the client parsed but we could not attribute (no email, no day)
        self._stream: str | None = None
        self._unit_rows = 0
        self._unit_rate_limited = 0.0  # seconds this unit has waited on Cursor's 429s
        self._client_factory = client_factory
        self._client: CursorClient | None = None
        self._directory: services.MemberDirectory | None = None

    @property
    def client(self) -> CursorClient:
        if self._client is None:
            self._client = self._client_factory(self._on_wait)
        return self._client

    @property
    def directory(self) -> services.MemberDirectory:
        if self._directory is None:
            self._directory = services.MemberDirectory(self.organization_id)
        return self._directory

    @property
    def skipped_records(self) -> int:
        """Malformed records skipped by the client plus records we could not attribute."""
        return self.skipped + (self._client.skipped_records if self._client is not None else 0)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def skip(self, n: int) -> None:
        self.skipped += n

    def _on_wait(self, seconds: float, reason: str) -> None:
        if reason == WAIT_CURSOR_429:
            self._unit_rate_limited += seconds
        if self._stream is not None:
            self.progress.waiting(self._stream, seconds, reason)

    def run_part(self, part: str) -> None:
        self._stream = STREAM_OF_PART[part]
        self.progress.begin(self._stream)
        getattr(self, part)()

    # -- unit retries ---------------------------------------------------------------------------

    def patiently(self, fn: Callable[[], int]) -> int:
        """Run one idempotent unit; if Cursor still rate-limits after the client's retries,
        wait as long as it asks (Retry-After) and run it again, within RATE_LIMIT_BUDGET_SECONDS
        of waiting. A garbled 200 answer (invalid JSON) gets one more try too."""
        garbled_retry = True
        self._unit_rate_limited = 0.0
        while True:
            if self.cancelled.is_set():
                raise Cancelled
            self._unit_rows = 0
            try:
                return fn()
            except RateLimited as exc:
                wait = max(1.0, exc.retry_after or DEFAULT_RATE_LIMIT_WAIT)
                if self._unit_rate_limited + wait > RATE_LIMIT_BUDGET_SECONDS:
                    raise
                self._on_wait(wait, WAIT_CURSOR_429)
                self.sleep(wait)
            except UpstreamError as exc:
                if not (garbled_retry and exc.status and 200 <= exc.status < 300):
                    raise
                garbled_retry = False
                logger.warning("cursor sync: retrying a unit after a garbled answer from %s", exc.path)
            # The unit runs again from its start: do not count its rows twice.
            self.progress.add_rows(self._stream, -self._unit_rows)

    def _add_rows(self, n: int) -> None:
        self._unit_rows += n
        self.progress.add_rows(self._stream, n)

    # -- parts ----------------------------------------------------------------------------------

    def members(self) -> None:
        rows = self.patiently(lambda: services.upsert_members(self.organization_id, self.client.members()))
        self.directory.refresh()
        self.progress.add_rows("members", rows)
        self.progress.advance("members")

    def daily_usage(self) -> None:
        for first, last in day_windows(self.start, self.end, MAX_WINDOW_DAYS):
            self.patiently(lambda first=first, last=last: self._daily_window(first, last))
            self.progress.advance("daily_usage")

    def _batches(self, records: Iterable) -> Iterator[list]:
        """Batches of ``records`` to store. In lane threads (PostgreSQL) the next pages are
        fetched while a batch is stored, and a batch is whatever has arrived (read_ahead.py):
        the requests of a rate-limited bucket go out as soon as its limiter allows, not after
        the previous page's database work."""
        if not self.background_writes:
            return chunks(records)
        return batches_read_ahead(records, batch_size=BATCH_SIZE, max_records=READ_AHEAD_RECORDS)

    def _daily_window(self, first: date, last: date) -> int:
        stored = 0
        # closing(): a batch that fails to store stops the fetcher now, not when the traceback goes
        with closing(self._batches(self.client.daily_usage(first, last))) as batches:
            for chunk in batches:
                n = services.upsert_daily_usage(
                    self.organization_id, chunk, self.directory, on_skip=self.skip
                )
                self._add_rows(n)
                stored += n
        return stored

    def usage_events(self) -> None:
        def day_stored(day: date, n: int) -> None:
            self.progress.add_rows("usage_events", n)
            self.progress.advance("usage_events")

        recent = revisable_from(self.end)
        with services.EventWriter(
            self.organization_id, self.directory, on_day=day_stored, background=self.background_writes
        ) as writer:
            for day in days_between(self.start, self.end):
                # Whole UTC days, so ordinals among identical events are the same in every fetch.
                # Days Cursor may still revise replace what an earlier sync stored for them.
                self.patiently(
                    lambda day=day: writer.write_day(
                        day, self.client.usage_events(day, day), reconcile=day >= recent
                    )
                )

    def spend(self) -> None:
        def unit():
            report = self.client.spend()
            return services.upsert_spend(
                self.organization_id, report, self.directory, captured_at=timezone.now()
            )

        self.progress.add_rows("spend", self.patiently(unit))
        self.progress.advance("spend")

    def groups(self) -> None:
        """Cursor's billing groups (Enterprise) become teams marked "from Cursor", dated by the
        sync day (people/cursor_teams.py); the team rollups are rebuilt from that day on."""

        def unit():
            billing_groups = self.client.billing_groups()
            today = windows.today()
            result = sync_cursor_groups(self.organization_id, billing_groups, today=today)
            if result.changed:
                refresh_team_days(self.organization_id, start=today)
            return len(billing_groups)

        self.progress.add_rows("groups", self.patiently(unit))
        self.progress.advance("groups")

    def analytics(self) -> None:
        failed = []
        for metric in ANALYTICS_TEAM_METRICS:
            try:
                rows = self.patiently(
                    lambda metric=metric: services.upsert_team_analytics(
                        self.organization_id,
                        self.client.analytics(metric, self.start, self.end),
                        on_skip=self.skip,
                    )
                )
            except UpstreamError as exc:
                # Cursor refused one metric (a 4xx such as an unsupported range): skip it, keep the
                # others. Server errors (5xx) still end the run, like every other stream.
                if not exc.status or exc.status >= 500:
                    raise
                logger.warning("cursor sync: analytics metric %s refused (HTTP %s)", metric, exc.status)
                failed.append(metric)
                rows = 0
            self.progress.add_rows("analytics", rows)
            self.progress.advance("analytics")
        if failed:
            self.notes.append(f"Cursor refused the analytics metrics {', '.join(failed)}.")
            raise PartialStream(f"{len(failed)} metric(s) refused by Cursor")

    def ai_code_commits(self) -> None:
        self.patiently(lambda: self._ai_code_unit(self.client.ai_code_commits, services.upsert_ai_commits))
        self.progress.advance("ai_code")

    def ai_code_changes(self) -> None:
        self.patiently(lambda: self._ai_code_unit(self.client.ai_code_changes, services.upsert_ai_changes))
        self.progress.advance("ai_code")

    def _ai_code_unit(self, fetch, store) -> int:
        stored = 0
        with closing(self._batches(fetch(self.start, self.end))) as batches:
            for chunk in batches:
                n = store(self.organization_id, chunk, self.directory)
                self._add_rows(n)
                stored += n
        return stored
