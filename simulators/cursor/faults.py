"""Switchable faults for one simulated team. Every method is thread-safe and takes effect at once.

Each fault can be limited to one path (e.g. `path="/teams/filtered-usage-events"`); a path ending
in `*` matches a prefix (`"/analytics/*"`). Only requests matching a fault's path count for it.
When several faults are armed, one request triggers at most one, in this order: rate-limit storm,
fail_next, fail_on_call. The malformed-body faults are separate: they are consumed only by 200 JSON answers.
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
    """What the server must do to one request."""

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
            self._storm: list = []  # [remaining, retry_after, reset_header, path]
            self._fail_next: list = []  # [remaining, status, path]
            self._on_call: list = []  # [countdown, status, path]
            self._malformed_json: list = []  # [remaining, path]
            self._malformed_record: list = []  # [remaining, path]
            self.slow_seconds = 0.0
            self.slow_path: str | None = None

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
            )

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
                        decision.headers["Retry-After"] = "1"
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
