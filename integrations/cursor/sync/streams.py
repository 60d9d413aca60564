"""Each stream of a sync: fetch one kind of data from Cursor and store it.

A stream works in small units (one 30-day window of daily usage, one UTC day of events, one
analytics metric …). Every unit is idempotent, so a unit interrupted by a rate limit can simply
run again, and a run that dies part-way leaves only finished batches behind.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable
from datetime import date

from django.utils import timezone

from analytics import services
from analytics.bulk import BATCH_SIZE
from integrations.cursor.client import ANALYTICS_TEAM_METRICS, MAX_WINDOW_DAYS, CursorClient, day_windows
from integrations.cursor.errors import RateLimited, UpstreamError

from . import progress as p
from .windows import days_between, revisable_from

logger = logging.getLogger(__name__)

# How many times one unit may hit Cursor's rate limit (after the client's own retries) before
# the run gives up and leaves the rest to the next hourly sync.
RATE_LIMIT_PATIENCE = 5
DEFAULT_RATE_LIMIT_WAIT = 60.0  # Cursor's limits reset every minute

sleep: Callable[[float], None] = time.sleep  # tests swap in a no-op


def chunks(items: Iterable, size: int = BATCH_SIZE):
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


class PartialStream(Exception):
    """A stream stored what it could but left something out; the run ends as partial."""


class StreamRunner:
    """Runs the streams of one sync for one organization with one client."""

    def __init__(
        self,
        organization_id: int,
        client: CursorClient,
        progress: p.Progress,
        start: date,
        end: date,
    ):
        self.organization_id = organization_id
        self.client = client
        self.progress = progress
        self.start = start
        self.end = end
        self.directory = services.MemberDirectory(organization_id)
        self.notes: list[str] = []  # non-fatal problems, shown in the run's message
        self.skipped = 0  # records the client parsed but we could not attribute (no email, no day)

    def skip(self, n: int) -> None:
        self.skipped += n

    def totals(self) -> dict[str, int]:
        """Units per stream, for the progress bar."""
        return {
            "members": 1,
            "daily_usage": len(day_windows(self.start, self.end, MAX_WINDOW_DAYS)),
            "usage_events": len(days_between(self.start, self.end)),
            "spend": 1,
            "analytics": len(ANALYTICS_TEAM_METRICS),
            "ai_code": 2,
        }

    # -- unit retries ---------------------------------------------------------------------------

    def patiently(self, fn: Callable[[], int]) -> int:
        """Run one idempotent unit; if Cursor still rate-limits after the client's retries,
        wait and run it again. A garbled 200 answer (invalid JSON) gets one more try too."""
        garbled_retry = True
        for attempt in itertools.count(1):
            try:
                return fn()
            except RateLimited as exc:
                if attempt >= RATE_LIMIT_PATIENCE:
                    raise
                wait = exc.retry_after or DEFAULT_RATE_LIMIT_WAIT
                self.progress.waiting(wait, "rate limit")
                sleep(wait)
            except UpstreamError as exc:
                if not (garbled_retry and exc.status and 200 <= exc.status < 300):
                    raise
                garbled_retry = False
                logger.warning("cursor sync: retrying a unit after a garbled answer from %s", exc.path)
        raise AssertionError("unreachable")

    # -- streams --------------------------------------------------------------------------------

    def members(self) -> None:
        self.progress.start("members", 1)
        rows = self.patiently(lambda: services.upsert_members(self.organization_id, self.client.members()))
        self.directory.refresh()
        self.progress.add_rows("members", rows)
        self.progress.advance("members")

    def daily_usage(self) -> None:
        windows = day_windows(self.start, self.end, MAX_WINDOW_DAYS)
        self.progress.start("daily_usage", len(windows))
        for first, last in windows:
            self.patiently(lambda first=first, last=last: self._daily_window(first, last))
            self.progress.advance("daily_usage")

    def _daily_window(self, first: date, last: date) -> int:
        stored = 0
        for chunk in chunks(self.client.daily_usage(first, last)):
            n = services.upsert_daily_usage(self.organization_id, chunk, self.directory, on_skip=self.skip)
            self.progress.add_rows("daily_usage", n)
            stored += n
        return stored

    def usage_events(self) -> None:
        days = days_between(self.start, self.end)
        self.progress.start("usage_events", len(days))
        writer = services.EventWriter(
            self.organization_id,
            self.directory,
            on_batch=lambda n: self.progress.add_rows("usage_events", n),
        )
        recent = revisable_from(self.end)
        for day in days:
            # Whole UTC days, so ordinals among identical events are the same in every fetch.
            reconcile = day >= recent and services.has_events_on(self.organization_id, day)
            self.patiently(
                lambda day=day, reconcile=reconcile: writer.write_day(
                    day, self.client.usage_events(day, day), reconcile=reconcile
                )
            )
            self.progress.advance("usage_events")

    def spend(self) -> None:
        self.progress.start("spend", 1)

        def unit():
            report = self.client.spend()
            return services.upsert_spend(
                self.organization_id, report, self.directory, captured_at=timezone.now()
            )

        self.progress.add_rows("spend", self.patiently(unit))
        self.progress.advance("spend")

    def analytics(self) -> None:
        self.progress.start("analytics", len(ANALYTICS_TEAM_METRICS))
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

    def ai_code(self) -> None:
        self.progress.start("ai_code", 2)
        for fetch, store in (
            (self.client.ai_code_commits, services.upsert_ai_commits),
            (self.client.ai_code_changes, services.upsert_ai_changes),
        ):
            self.patiently(lambda fetch=fetch, store=store: self._ai_code_unit(fetch, store))
            self.progress.advance("ai_code")

    def _ai_code_unit(self, fetch, store) -> int:
        stored = 0
        for chunk in chunks(fetch(self.start, self.end)):
            n = store(self.organization_id, chunk, self.directory)
            self.progress.add_rows("ai_code", n)
            stored += n
        return stored
