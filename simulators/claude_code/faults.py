"""Switchable faults for one simulated organization. Thread-safe; each takes effect at once.

Every method takes `path=None` (all paths), an exact path, or a prefix ending in `*`
(`"/v1/organizations/analytics/*"`). Only matching requests count. When several are armed, one
request triggers at most one, in this order: rate-limit storm, fail_next, fail_on_call. The body
faults (malformed JSON / record) are consumed only by 200 answers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


def _matches(pattern: str | None, path: str) -> bool:
    if pattern is None:
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


@dataclass
class FaultDecision:
    status: int | None = None  # answer this status with the standard error body
    headers: dict = field(default_factory=dict)
    sleep: float = 0.0


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._storm: list = []  # [remaining, retry_after, path]
            self._fail_next: list = []  # [remaining, status, path]
            self._on_call: list = []  # [countdown, status, path]
            self._malformed_json: list = []  # [remaining, path]
            self._malformed_record: list = []  # [remaining, path]
            self.slow_seconds = 0.0
            self.slow_path: str | None = None

    def rate_limit_storm(self, n: int, retry_after: int | None = 1, path: str | None = None) -> None:
        """The next n requests answer 429 `rate_limit_error`, with `retry-after: <retry_after>`
        (seconds) unless retry_after is None."""
        with self._lock:
            self._storm.append([n, retry_after, path])

    def fail_next(self, k: int, status: int = 500, path: str | None = None) -> None:
        """The next k requests answer `status` (500 api_error, 504 timeout_error, 529 ...)."""
        with self._lock:
            self._fail_next.append([k, status, path])

    def overloaded_next(self, k: int, path: str | None = None) -> None:
        """The next k requests answer 529 `overloaded_error`."""
        self.fail_next(k, 529, path)

    def fail_on_call(self, n: int, status: int = 500, path: str | None = None) -> None:
        """The n-th matching request from now (n=1: the next one) answers `status`."""
        with self._lock:
            self._on_call.append([n, status, path])

    def malformed_json_next(self, k: int, path: str | None = None) -> None:
        """The next k 200 answers carry a truncated, invalid JSON body."""
        with self._lock:
            self._malformed_json.append([k, path])

    def malformed_record_next(self, k: int, path: str | None = None) -> None:
        """The next k 200 answers carry one extra broken record at the head of `data` (no actor,
        a date that is not a date); the real records are all still there."""
        with self._lock:
            self._malformed_record.append([k, path])

    def take(self, path: str) -> FaultDecision:
        """Consume the status/slow faults that apply to this request (once per request)."""
        decision = FaultDecision()
        with self._lock:
            if self.slow_seconds and _matches(self.slow_path, path):
                decision.sleep = self.slow_seconds
            due = None
            for entry in self._on_call:
                if _matches(entry[2], path):
                    entry[0] -= 1
                    if entry[0] == 0 and due is None:
                        due = entry[1]
            self._on_call = [e for e in self._on_call if e[0] > 0]
            for entry in self._storm:
                if _matches(entry[2], path):
                    entry[0] -= 1
                    decision.status = 429
                    if entry[1] is not None:
                        decision.headers["retry-after"] = str(entry[1])
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
        """Consume a malformed-body fault for a 200 answer: "json", "record" or None."""
        with self._lock:
            for name, entries in (("json", self._malformed_json), ("record", self._malformed_record)):
                for entry in entries:
                    if _matches(entry[1], path):
                        entry[0] -= 1
                        entries[:] = [e for e in entries if e[0] > 0]
                        return name
        return None
