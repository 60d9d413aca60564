"""Live progress of a SyncRun, saved to the database as the sync goes so the connection page's
JSON endpoint can draw a progress bar.

Format of ``SyncRun.progress`` (one entry per stream, keys in STREAMS order)::

    {"usage_events": {"status": "running", "rows": 1234, "done": 3, "total": 30, "note": ""}, ...}

``status`` is one of pending, running, done, skipped, unavailable, failed. ``done``/``total``
count the stream's units (days of events, 30-day windows of daily usage, analytics metrics …).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from django.db import DatabaseError
from django.utils import timezone

from integrations.models import SyncRun

logger = logging.getLogger(__name__)

STREAMS = ("members", "daily_usage", "usage_events", "spend", "analytics", "ai_code", "groups")
# What each stream is called on pages, in messages and in the command's output.
STREAM_LABELS = {
    "members": "Members",
    "daily_usage": "Daily usage",
    "usage_events": "Usage events",
    "spend": "Spend",
    "analytics": "Analytics API",
    "ai_code": "AI code tracking",
    "groups": "Billing groups",
}

PENDING, RUNNING, DONE, SKIPPED, UNAVAILABLE, FAILED = (
    "pending",
    "running",
    "done",
    "skipped",
    "unavailable",
    "failed",
)

SAVE_INTERVAL_SECONDS = 0.5


def initial_progress() -> dict:
    return {s: {"status": PENDING, "rows": 0, "done": 0, "total": 0, "note": ""} for s in STREAMS}


class Progress:
    """Tracks per-stream progress of one run and saves it at most every half second.

    Thread-safe: parallel lanes of one run report into the same Progress.
    """

    def __init__(self, run: SyncRun, callback: Callable[[SyncRun], None] | None = None):
        self.run = run
        self.callback = callback
        self._lock = threading.RLock()
        self._saved_at = 0.0
        run.progress = initial_progress()
        # Set to stop every lane at its next unit: by a lane that failed, or when a save finds
        # the run no longer running (cancelled from outside, e.g. Cursor was disconnected).
        self.cancelled = threading.Event()
        self.cancelled_from_outside = False
        # Set when a save found the database gone (a restart): the lanes stop, and the runner
        # closes the run on a fresh connection once the database is back.
        self.database_lost = False

    def __getitem__(self, stream: str) -> dict:
        return self.run.progress[stream]

    def plan(self, totals: dict[str, int]) -> None:
        """Every stream's unit count up front, so the overall percentage only grows."""
        with self._lock:
            for stream, total in totals.items():
                self.run.progress[stream]["total"] = total
            self.save(force=True)

    def begin(self, stream: str) -> None:
        with self._lock:
            entry = self.run.progress[stream]
            if entry["status"] == PENDING:
                entry["status"] = RUNNING
                self.save(force=True)

    def add_rows(self, stream: str, rows: int) -> None:
        with self._lock:
            entry = self.run.progress[stream]
            entry["rows"] += rows
            entry["note"] = ""
            self.save()

    def advance(self, stream: str, units: int = 1) -> None:
        with self._lock:
            entry = self.run.progress[stream]
            entry["done"] = (
                min(entry["total"], entry["done"] + units) if entry["total"] else entry["done"] + units
            )
            entry["note"] = ""
            self.save()

    def finish(self, stream: str, status: str, note: str = "") -> None:
        with self._lock:
            entry = self.run.progress[stream]
            entry["status"] = status
            entry["note"] = note
            if status in (DONE, UNAVAILABLE):
                entry["done"] = entry["total"]  # settled: counts as complete in the percentage
            self.save(force=True)

    def waiting(self, stream: str, seconds: float, reason: str) -> None:
        """Cursor or our own rate limiter makes a stream wait: say so on it."""
        secs = max(1, math.ceil(seconds))
        if "rate limit" in reason:
            note = f"Waiting {secs} s for Cursor's rate limit"
        else:
            note = f"Waiting {secs} s before retrying after a Cursor error"
        with self._lock:
            self.run.progress[stream]["note"] = note
            self.save(force=seconds >= 1)

    def save(self, *, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._saved_at < SAVE_INTERVAL_SECONDS:
                return
            self._saved_at = now
            # Only this column: status and window are written by the runner at fixed points.
            # Only while the run is running: a run someone cancelled is left as they left it.
            # Each save is also a heartbeat (heartbeat.py beats between saves).
            try:
                updated = SyncRun.objects.filter(pk=self.run.pk, status=SyncRun.Status.RUNNING).update(
                    progress=self.run.progress, heartbeat_at=timezone.now()
                )
            except DatabaseError:
                if not self.database_lost:
                    logger.warning("cursor sync %s: the database went away; stopping the run", self.run.pk)
                self.database_lost = True
                self.cancelled.set()
                return
            if not updated and not self.cancelled_from_outside:
                self.cancelled_from_outside = True
                self.cancelled.set()
            if self.callback is not None:
                self.callback(self.run)
