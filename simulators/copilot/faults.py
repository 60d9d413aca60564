"""Switchable faults for one simulated organization or enterprise (or, on `sim.faults`, for every
request). Thread-safe, effective at once. Every method takes `path=None`: an exact request path,
or a prefix ending in `*` ("/orgs/acme/copilot/metrics/*").

API answers (checked in this order, one fault per request): `secondary_rate_limit`,
`rate_limit_storm`, `primary_exhausted`, `fail_next`, `fail_on_call`. Faulted requests are not
counted by the rate limiters. `malformed_json_next` is consumed by 200 JSON answers only.

Downloads of report files (checked in this order): `expire_links_next`, `fail_download_next`;
then the body faults `truncate_download_next`, `malformed_line_next`, consumed by 200 answers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {request_id}."
)


def _matches(pattern: str | None, path: str) -> bool:
    if pattern is None:
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


@dataclass
class FaultDecision:
    status: int | None = None
    kind: str = ""  # "secondary", "storm", "primary", "fail", "expired"
    headers: dict = field(default_factory=dict)
    sleep: float = 0.0


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._queues: dict[str, list] = {
                name: []
                for name in (
                    "secondary",
                    "storm",
                    "primary",
                    "fail_next",
                    "on_call",
                    "malformed_json",
                    "expired",
                    "download_fail",
                    "truncate",
                    "malformed_line",
                )
            }
            self.slow_seconds = 0.0
            self.slow_path: str | None = None
            self.slow_download_seconds = 0.0

    # -- arming -----------------------------------------------------------------------------------

    def secondary_rate_limit(self, n: int = 1, retry_after: int | None = 1, status: int = 403, path=None):
        """The next n requests hit a secondary rate limit: `status` (403, or 429) with GitHub's
        secondary-limit message and `retry-after: <retry_after>` (no header when None: a client
        must then wait at least a minute, docs/copilot-api.md §1.3)."""
        self._arm("secondary", [n, path, status, retry_after])

    def rate_limit_storm(self, n: int = 1, retry_after: int | None = 1, status: int = 429, path=None):
        """The next n requests answer 429 (`retry-after` unless None)."""
        self._arm("storm", [n, path, status, retry_after])

    def primary_exhausted(self, n: int = 1, reset_in: int = 1, status: int = 403, path=None):
        """The next n requests answer as if the hourly limit were used up: `status` with
        `x-ratelimit-remaining: 0` and `x-ratelimit-reset` `reset_in` seconds from now."""
        self._arm("primary", [n, path, status, reset_in])

    def fail_next(self, k: int = 1, status: int = 503, path=None):
        """The next k requests answer `status` with GitHub's error body."""
        self._arm("fail_next", [k, path, status])

    def fail_on_call(self, n: int, status: int = 500, path=None):
        """The n-th matching request from now (n=1: the next) answers `status`."""
        self._arm("on_call", [n, path, status])

    def malformed_json_next(self, k: int = 1, path=None):
        """The next k 200 JSON answers are truncated, invalid JSON."""
        self._arm("malformed_json", [k, path])

    def expire_links_next(self, k: int = 1, path=None):
        """The next k downloads answer 403 as an expired signed link does (the client must ask the
        API for fresh links). `path` matches the download path."""
        self._arm("expired", [k, path])

    def fail_download_next(self, k: int = 1, status: int = 500, path=None):
        self._arm("download_fail", [k, path, status])

    def truncate_download_next(self, k: int = 1, path=None):
        """The next k downloaded files stop in the middle of a line (the connection closes early:
        Content-Length is the full size, fewer bytes arrive)."""
        self._arm("truncate", [k, path])

    def malformed_line_next(self, k: int = 1, path=None):
        """The next k downloaded files carry one extra line that is not JSON, first in the file.
        Every real record is still there: a client that skips (and counts) the broken line ends
        with the ground truth."""
        self._arm("malformed_line", [k, path])

    def _arm(self, name: str, entry: list) -> None:
        with self._lock:
            self._queues[name].append(entry)

    @property
    def armed(self) -> bool:
        with self._lock:
            return any(self._queues.values()) or bool(self.slow_seconds or self.slow_download_seconds)

    # -- taking -----------------------------------------------------------------------------------

    def _take_first(self, name: str, path: str):
        queue = self._queues[name]
        for entry in queue:
            if _matches(entry[1], path):
                entry[0] -= 1
                self._queues[name] = [e for e in queue if e[0] > 0]
                return entry
        return None

    def take(self, path: str, now_epoch: float) -> FaultDecision:
        """The status fault for one API request (consumed)."""
        decision = FaultDecision()
        with self._lock:
            if self.slow_seconds and _matches(self.slow_path, path):
                decision.sleep = self.slow_seconds
            due = None
            for entry in self._queues["on_call"]:
                if _matches(entry[1], path):
                    entry[0] -= 1
                    if entry[0] == 0 and due is None:
                        due = entry[2]
            self._queues["on_call"] = [e for e in self._queues["on_call"] if e[0] > 0]
            entry = self._take_first("secondary", path)
            if entry is not None:
                decision.status, decision.kind = entry[2], "secondary"
                if entry[3] is not None:
                    decision.headers["retry-after"] = str(entry[3])
                return decision
            entry = self._take_first("storm", path)
            if entry is not None:
                decision.status, decision.kind = entry[2], "storm"
                if entry[3] is not None:
                    decision.headers["retry-after"] = str(entry[3])
                return decision
            entry = self._take_first("primary", path)
            if entry is not None:
                decision.status, decision.kind = entry[2], "primary"
                decision.headers["x-ratelimit-remaining"] = "0"
                decision.headers["x-ratelimit-reset"] = str(int(now_epoch) + entry[3])
                return decision
            entry = self._take_first("fail_next", path)
            if entry is not None:
                decision.status, decision.kind = entry[2], "fail"
                return decision
            if due is not None:
                decision.status, decision.kind = due, "fail"
        return decision

    def take_body_fault(self, path: str) -> bool:
        with self._lock:
            return self._take_first("malformed_json", path) is not None

    def take_download(self, path: str) -> FaultDecision:
        decision = FaultDecision(sleep=self.slow_download_seconds)
        with self._lock:
            if self._take_first("expired", path) is not None:
                decision.status, decision.kind = 403, "expired"
                return decision
            entry = self._take_first("download_fail", path)
            if entry is not None:
                decision.status, decision.kind = entry[2], "fail"
        return decision

    def take_download_body(self, path: str) -> str | None:
        """ "truncate", "malformed_line" or None, for a 200 download."""
        with self._lock:
            if self._take_first("truncate", path) is not None:
                return "truncate"
            if self._take_first("malformed_line", path) is not None:
                return "malformed_line"
        return None
