"""Client-side rate limiting shared by every tool's HTTP client: a sliding window per bucket.

A caller names a (tenant, bucket) pair; ``acquire`` makes it wait until one more request fits
in the last ``window_seconds``. A sliding window of N per W seconds also satisfies any fixed
window the server may use; a small safety margin absorbs the latency between our admitting a
request and the server seeing it. Everything after a ``:`` in a bucket name names a separate
bucket sharing the limit of the part before it (``"ai_code:commits"``).

Each tool documents its own buckets and limits in a subclass (``default_limits``); Cursor's
are in ``integrations/cursor/ratelimit.py``, Copilot's in ``integrations/copilot/client.py``.

- ``InProcessRateLimiter``: thread-safe, for one process (tests, the bench, a single worker);
- ``RedisRateLimiter``: a sorted-set sliding window updated by one Lua script, so every worker
  process shares one budget. Redis' own clock (``TIME``) is used, so worker clocks may drift.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable

logger = logging.getLogger(__name__)

DEFAULT_WINDOW_SECONDS = 60.0

OnWait = Callable[[float, str], None]

WAIT_REASON = "rate limit"  # shown by the sync UI as "waiting for rate limit"


class RateLimiter:
    """Base class: ``acquire`` blocks (sleeping) until one more request for the bucket fits.

    ``default_limits`` (requests per window per bucket) is what each tool's subclass documents;
    ``limits`` given to the constructor override or extend it.
    """

    default_limits: dict[str, int] = {}
    tool = "upstream"

    def __init__(
        self,
        limits: dict[str, int] | None = None,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        *,
        margin_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = {**self.default_limits, **(limits or {})}
        self.window_seconds = float(window_seconds)
        # 2% of the window (1.2 s per minute) absorbs latency jitter between us and the server.
        self.margin_seconds = self.window_seconds * 0.02 if margin_seconds is None else float(margin_seconds)
        self._sleep = sleep

    def limit_for(self, family: str) -> int:
        base = family.split(":", 1)[0]
        try:
            return self.limits[base]
        except KeyError:
            raise ValueError(f"unknown {self.tool} rate-limit family {family!r}") from None

    def acquire(self, team_id: str, family: str, on_wait: OnWait | None = None) -> None:
        limit = self.limit_for(family)
        while True:
            wait = self._try_acquire(team_id, family, limit)
            if wait <= 0:
                return
            if on_wait is not None:
                on_wait(wait, WAIT_REASON)
            self._sleep(wait)

    def _try_acquire(self, team_id: str, family: str, limit: int) -> float:
        """Admit one request and return 0, or return the seconds to wait before trying again."""
        raise NotImplementedError


class NoRateLimit(RateLimiter):
    """Admits everything, whatever the bucket. For tests and benchmarks against a simulator with
    limits switched off."""

    def acquire(self, team_id: str, family: str, on_wait: OnWait | None = None) -> None:
        return None

    def _try_acquire(self, team_id: str, family: str, limit: int) -> float:
        return 0.0


class InProcessRateLimiter(RateLimiter):
    """Sliding-window limiter shared by all threads of one process."""

    def __init__(self, *args, clock: Callable[[], float] = time.monotonic, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock
        self._lock = threading.Lock()
        self._admitted: dict[tuple[str, str], deque[float]] = {}

    def _try_acquire(self, team_id: str, family: str, limit: int) -> float:
        span = self.window_seconds + self.margin_seconds
        with self._lock:
            now = self._clock()
            admitted = self._admitted.setdefault((team_id, family), deque())
            while admitted and admitted[0] <= now - span:
                admitted.popleft()
            if len(admitted) < limit:
                admitted.append(now)
                return 0.0
            # Wait until the oldest request in the window falls out of it.
            return max(admitted[0] + span - now, 0.001)


# KEYS[1] = the bucket's sorted set. ARGV = window_us, limit, member.
# Scores are Redis-clock microseconds; returns 0 when admitted, else microseconds to wait.
_SLIDING_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1000 then wait = 1000 end
return wait
"""


class RedisRateLimiter(RateLimiter):
    """Sliding-window limiter in Redis, shared by every worker process.

    If Redis is unreachable the limiter logs a warning and falls back to an in-process window,
    so a Redis outage slows nothing down beyond what one process would do on its own.
    """

    default_key_prefix = "koalr:rl"

    def __init__(
        self,
        redis_url: str | None = None,
        *args,
        client=None,
        key_prefix: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        if client is None:
            import redis  # imported lazily: only processes that use Redis need the package

            client = redis.Redis.from_url(redis_url or "redis://")
        self._redis = client
        self._script = client.register_script(_SLIDING_WINDOW_LUA)
        self.key_prefix = key_prefix or self.default_key_prefix
        self._fallback = InProcessRateLimiter(
            self.limits, self.window_seconds, margin_seconds=self.margin_seconds
        )
        self._warned = False

    def _try_acquire(self, team_id: str, family: str, limit: int) -> float:
        window_us = int((self.window_seconds + self.margin_seconds) * 1_000_000)
        key = f"{self.key_prefix}:{team_id}:{family}"
        try:
            wait_us = self._script(keys=[key], args=[window_us, limit, uuid.uuid4().hex])
        except Exception as exc:  # redis.RedisError and socket errors; the limiter must not crash
            if not self._warned:
                logger.warning(
                    "%s rate limiter: Redis unavailable (%s); using an in-process window",
                    self.tool,
                    type(exc).__name__,
                )
                self._warned = True
            return self._fallback._try_acquire(team_id, family, limit)
        return int(wait_us) / 1_000_000
