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


class _FakeStreams:
    """A StreamRunner stand-in: logs each part's start and end; `usage_events` runs `during`."""

    log: list = []
    during = staticmethod(lambda: None)

    def __init__(self, *args, **kwargs):
        self.skipped_records, self.notes = 0, []

    def run_part(self, part):
        self.log.append(("start", part))
        if part == "usage_events":
            self.during()
        self.log.append(("end", part))

    def close(self):
        pass


def _run_lanes(monkeypatch, *, paced, during):
    log, finished = [], []
    monkeypatch.setattr(_FakeStreams, "log", log)
    monkeypatch.setattr(_FakeStreams, "during", staticmethod(during))
    monkeypatch.setattr(lanes_module, "StreamRunner", _FakeStreams)
    monkeypatch.setattr(lanes_module.db_connection, "close", lambda: None)  # no real connections here
    progress = SimpleNamespace(
        cancelled=threading.Event(), finish=lambda stream, state, note="": finished.append(stream)
    )
    day = date(2026, 8, 1)
    lanes = Lanes(1, 1, lambda on_wait: None, progress, (day, day), set(), parallel=True, paced=paced)
    raised = []

    def run():
        try:
            lanes.run()
        except lanes_module.RunFailed as exc:
            raised.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(timeout=10)
    assert not runner.is_alive(), "the lanes never finished"
    return log, raised


def test_unpaced_runs_start_ai_code_after_the_rollup_inputs(monkeypatch):
    ai_started = threading.Event()
    original = _FakeStreams.run_part

    def run_part(self, part):
        if part.startswith("ai_code"):
            ai_started.set()
        original(self, part)

    monkeypatch.setattr(_FakeStreams, "run_part", run_part)
    # While the usage events run, no AI code lane may start (it would within the half second).
    log, raised = _run_lanes(monkeypatch, paced=False, during=lambda: ai_started.wait(0.5))
    assert not raised
    assert not any(part.startswith("ai_code") for _, part in log[: log.index(("end", "usage_events"))])
    for part in ("ai_code_commits", "ai_code_changes"):
        assert log.index(("start", part)) > log.index(("end", "daily_usage"))
    assert {part for _, part in log} == {part for lane in LANES for part in lane} | {"members"}


def test_paced_runs_start_every_lane_at_once(monkeypatch):
    ai_started = threading.Event()
    original = _FakeStreams.run_part

    def run_part(self, part):
        if part == "ai_code_changes":
            ai_started.set()
        original(self, part)

    monkeypatch.setattr(_FakeStreams, "run_part", run_part)
    # The usage events wait for the AI code changes to start: they must not wait for them.
    log, raised = _run_lanes(monkeypatch, paced=True, during=lambda: ai_started.wait(5))
    assert not raised
    assert log.index(("start", "ai_code_changes")) < log.index(("end", "usage_events"))


def test_unpaced_ai_code_lanes_do_not_wait_forever_when_the_usage_events_fail(monkeypatch):
    def fail():
        raise RuntimeError("boom")

    log, raised = _run_lanes(monkeypatch, paced=False, during=fail)
    assert len(raised) == 1  # the run fails as it would have, instead of hanging
    # The failure cancels the other lanes: the waiting AI code lanes end without running.
    assert not any(part.startswith("ai_code") for _, part in log)
