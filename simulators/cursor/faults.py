"""Switchable faults for one simulated team. Every method is thread-safe and takes effect at once.

Each fault can be limited to one path (e.g. `path="/teams/filtered-usage-events"`); a path ending
in `*` matches a prefix (`"/analytics/*"`). Only requests matching a fault's path count for it.
When several faults are armed, one request triggers at most one, in this order: rate-limit storm,
fail_next, fail_on_call. The malformed-body faults are separate: they are consumed only by 200 JSON answers.

A pause point (`pause_at`) holds a matching request before it is answered until the test releases
it, so a test can act at a known moment of a client's work (kill a worker, restart a database)
and then let it go on. `apply(spec)` arms faults from plain data, for fault plans kept as JSON.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

# How long a paused request waits at most for release(): a forgotten pause must not hang a server.
PAUSE_LIMIT_SECONDS = 120.0


def _matches(pattern: str | None, path: str) -> bool:
    if pattern is None:
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


@dataclass
class FaultDecision:
    """What the server must do to one request."""

    status: int | None = None  # answer this status with the standard error body
    headers: dict = field(default_factory=dict)
    sleep: float = 0.0


class Pause:
    """One pause point: `reached` is set when a matching request arrives (`hits` counts them);
    that request, and every later matching one, waits until `release()`."""

    def __init__(self, path: str | None, after: int):
        self.path = path
        self.after = after  # matching requests let through before the pause holds one
        self.hits = 0
        self.reached = threading.Event()
        self._released = threading.Event()

    def wait_reached(self, timeout: float = 30.0) -> bool:
        return self.reached.wait(timeout)

    def release(self) -> None:
        self._released.set()

    @property
    def released(self) -> bool:
        return self._released.is_set()

    def _hold(self) -> None:
        self.reached.set()
        self._released.wait(PAUSE_LIMIT_SECONDS)


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._storm: list = []  # [remaining, retry_after, reset_header, path]
            self._fail_next: list = []  # [remaining, status, path]
            self._on_call: list = []  # [countdown, status, path]
            self._malformed_json: list = []  # [remaining, path]
            self._malformed_record: list = []  # [remaining, path]
            self.slow_seconds = 0.0
            self.slow_path: str | None = None
            pauses = getattr(self, "_pauses", [])
            self._pauses: list[Pause] = []
        for pause in pauses:  # nobody may stay held by a fault that no longer exists
            pause.release()

    def pause_at(self, path: str | None = None, after: int = 0) -> Pause:
        """Hold the matching request that comes after `after` others, and every later one, until
        the returned Pause is released. Held requests count for nothing else until then."""
        pause = Pause(path, after)
        with self._lock:
            self._pauses.append(pause)
        return pause

    def rate_limit_storm_seconds(self, n: int, seconds: int, path: str | None = None) -> None:
        """The next n requests answer 429 with `Retry-After: <seconds>`."""
        with self._lock:
            self._storm.append([n, seconds, False, path])

    def apply(self, spec: dict) -> None:
        """Arm faults from plain data, e.g. ``{"storm": {"n": 30, "path": "/teams/members"},
        "fail_next": {"k": 3, "status": 502}, "slow": {"seconds": 0.5, "path": "/teams/spend"}}``.
        Keys: storm (n, retry_after, reset_header, path), fail_next (k, status, path),
        fail_on_call (n, status, path), slow (seconds, path)."""
        unknown = set(spec) - {"storm", "fail_next", "fail_on_call", "slow"}
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        if "storm" in spec:
            self.rate_limit_storm(**spec["storm"])
        if "fail_next" in spec:
            self.fail_next(**spec["fail_next"])
        if "fail_on_call" in spec:
            self.fail_on_call(**spec["fail_on_call"])
        if "slow" in spec:
            with self._lock:
                self.slow_seconds = float(spec["slow"]["seconds"])
                self.slow_path = spec["slow"].get("path")

    def rate_limit_storm(
        self,
        n: int,
        retry_after: bool = True,
        reset_header: bool = False,
        path: str | None = None,
    ) -> None:
        """The next n requests answer 429 (`Retry-After: 1` unless retry_after=False;
        `X-RateLimit-Reset` (epoch seconds) when reset_header=True)."""
        with self._lock:
            self._storm.append([n, retry_after, reset_header, path])

    def fail_on_call(self, n: int, status: int = 500, path: str | None = None) -> None:
        """The n-th request from now (n=1: the next one) answers `status`."""
        with self._lock:
            self._on_call.append([n, status, path])

    def fail_next(self, k: int, status: int = 503, path: str | None = None) -> None:
        """The next k requests answer `status`."""
        with self._lock:
            self._fail_next.append([k, status, path])

    def malformed_json_next(self, k: int, path: str | None = None) -> None:
        """The next k 200 answers carry a truncated, invalid JSON body."""
        with self._lock:
            self._malformed_json.append([k, path])

    def malformed_record_next(self, k: int, path: str | None = None) -> None:
        """The next k 200 answers carry one extra broken record at the head of their list
        (events: timestamp "not-a-number"; other lists: email or date missing). The real records
        are all still there, so a client that skips the broken one ends up with the ground truth."""
        with self._lock:
            self._malformed_record.append([k, path])

    @property
    def armed(self) -> bool:
        with self._lock:
            return bool(
                self._storm
                or self._fail_next
                or self._on_call
                or self._malformed_json
                or self._malformed_record
                or self.slow_seconds
                or any(not p.released for p in self._pauses)
            )

    def hold_if_paused(self, path: str) -> None:
        """Block the calling request while a pause point holds it (called once per request,
        before `take`)."""
        holding = None
        with self._lock:
            for pause in self._pauses:
                if pause.released or not _matches(pause.path, path):
                    continue
                pause.hits += 1
                if pause.hits > pause.after:
                    holding = pause
                    break
        if holding is not None:
            holding._hold()

    def take(self, path: str, now_epoch: float) -> FaultDecision:
        """Consume the status/slow faults that apply to this request (called once per request)."""
        decision = FaultDecision()
        with self._lock:
            if self.slow_seconds and _matches(self.slow_path, path):
                decision.sleep = self.slow_seconds
            # fail_on_call counts every matching request, whatever else happens to it.
            due = None
            for entry in self._on_call:
                if _matches(entry[2], path):
                    entry[0] -= 1
                    if entry[0] == 0 and due is None:
                        due = entry[1]
            self._on_call = [e for e in self._on_call if e[0] > 0]
            for entry in self._storm:
                if _matches(entry[3], path):
                    entry[0] -= 1
                    decision.status = 429
                    if entry[1]:
                        seconds = entry[1] if entry[1] is not True else 1
                        decision.headers["Retry-After"] = str(int(seconds))
                    if entry[2]:
                        decision.headers["X-RateLimit-Reset"] = str(int(now_epoch) + 1)
                    self._storm = [e for e in self._storm if e[0] > 0]
                    return decision
            for entry in self._fail_next:
                if _matches(entry[2], path):
                    entry[0] -= 1
                    decision.status = entry[1]
                    self._fail_next = [e for e in self._fail_next if e[0] > 0]
                    return decision
            if due is not None:
                decision.status = due
        return decision

    def take_body_fault(self, path: str) -> str | None:
        """Consume a malformed-body fault for a 200 JSON answer: "json", "record" or None."""
        with self._lock:
            for entry in self._malformed_json:
                if _matches(entry[1], path):
                    entry[0] -= 1
                    self._malformed_json = [e for e in self._malformed_json if e[0] > 0]
                    return "json"
            for entry in self._malformed_record:
                if _matches(entry[1], path):
                    entry[0] -= 1
                    self._malformed_record = [e for e in self._malformed_record if e[0] > 0]
                    return "record"
        return None
