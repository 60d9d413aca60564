"""Parallel lanes start with the bucket that usually sets the run's length."""

from __future__ import annotations

import threading
from datetime import date
from types import SimpleNamespace

from integrations.cursor.sync import lanes as lanes_module
from integrations.cursor.sync.lanes import LANES, Lanes


def test_parallel_lanes_start_slowest_bucket_first_after_members(monkeypatch):
    ran, started = [], []

    class RecordingThread:
        def __init__(self, target, args=(), daemon=None, name=None):
            self.lane = args[0]

        def start(self):
            started.append(self.lane)

        def join(self):
            pass

    progress = SimpleNamespace(cancelled=threading.Event())
    day = date(2026, 8, 1)
    lanes = Lanes(1, 1, lambda on_wait: None, progress, (day, day), set(), parallel=True)
    monkeypatch.setattr(Lanes, "_run_lane", lambda self, parts, in_thread=False: ran.append(parts))
    monkeypatch.setattr(lanes_module, "threading", SimpleNamespace(Thread=RecordingThread))
    lanes.run()
    assert ran == [("members",)]  # members alone first, in the calling thread
    assert started[0] == ("ai_code_changes",)
    assert started[1] == ("usage_events",)
    assert sorted(started) == sorted(LANES)  # every lane still runs


def test_lanes_skipped_by_the_plan_are_not_started(monkeypatch):
    started = []

    class RecordingThread:
        def __init__(self, target, args=(), daemon=None, name=None):
            started.append(args[0])

        def start(self):
            pass

        def join(self):
            pass

    progress = SimpleNamespace(cancelled=threading.Event())
    day = date(2026, 8, 1)
    lanes = Lanes(
        1, 1, lambda on_wait: None, progress, (day, day), {"ai_code", "analytics", "groups"}, parallel=True
    )
    monkeypatch.setattr(Lanes, "_run_lane", lambda self, parts, in_thread=False: None)
    monkeypatch.setattr(lanes_module, "threading", SimpleNamespace(Thread=RecordingThread))
    lanes.run()
    assert started == [("usage_events",), ("daily_usage", "spend")]
