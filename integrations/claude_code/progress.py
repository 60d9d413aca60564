"""Live progress of a Claude Code SyncRun, in the format the connection pages poll
(``{"stream": {"status", "rows", "done", "total", "note"}}``, streams in STREAMS order)."""

from __future__ import annotations

import math
import time

from integrations.models import SyncRun

STREAMS = ("roster", "usage", "activity", "costs")
STREAM_LABELS = {
    "roster": "Members (Admin users list)",
    "usage": "Claude Code usage report, per day",
    "activity": "Enterprise activity, per day",
    "costs": "Enterprise cost and tokens",
}
SOURCE_STREAMS = {"console": ("roster", "usage"), "enterprise": ("activity", "costs")}
PENDING, RUNNING, DONE, SKIPPED, UNAVAILABLE, FAILED = (
    "pending", "running", "done", "skipped", "unavailable", "failed",
)  # fmt: skip
SAVE_INTERVAL_SECONDS = 0.5


class Cancelled(Exception):
    """The run is no longer running (Claude Code was disconnected meanwhile): stop writing."""


def initial_progress(source: str) -> dict:
    return {
        s: {"status": PENDING, "rows": 0, "done": 0, "total": 0, "note": ""} for s in SOURCE_STREAMS[source]
    }


class ClaudeCodeProgress:
    def __init__(self, run: SyncRun, source: str, callback=None):
        self.run = run
        self.callback = callback
        self._saved_at = 0.0
        run.progress = initial_progress(source)

    def plan(self, stream: str, total: int) -> None:
        self.run.progress[stream].update(status=RUNNING, total=total)
        self.save(force=True)

    def add(self, stream: str, *, rows: int = 0, done: int = 0) -> None:
        entry = self.run.progress[stream]
        entry["rows"] += rows
        entry["done"] = min(entry["total"], entry["done"] + done) if entry["total"] else entry["done"] + done
        entry["note"] = ""
        self.save()

    def finish(self, stream: str, status: str, note: str = "") -> None:
        entry = self.run.progress[stream]
        entry.update(status=status, note=note)
        if status in (DONE, SKIPPED, UNAVAILABLE):
            entry["done"] = entry["total"]
        self.save(force=True)

    def waiting(self, seconds: float, reason: str) -> None:
        for entry in self.run.progress.values():
            if entry["status"] == RUNNING:
                entry["note"] = f"Waiting {max(1, math.ceil(seconds))} s for {reason}"
        self.save(force=seconds >= 1)

    def save(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._saved_at < SAVE_INTERVAL_SECONDS:
            return
        self._saved_at = now
        updated = SyncRun.objects.filter(pk=self.run.pk, status=SyncRun.Status.RUNNING).update(
            progress=self.run.progress
        )
        if self.callback is not None:
            self.callback(self.run)
        if not updated:
            raise Cancelled()
