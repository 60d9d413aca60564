"""Client-side rate limiting that keeps each Cursor team under its documented per-minute limits.

Cursor counts requests per team and per endpoint family (docs/cursor-api.md §1.3). We keep a
sliding window of the last requests per (team, bucket) and make a caller wait until one more
request fits. A sliding window of N per W seconds also satisfies any fixed per-minute window the
server may use. A small safety margin is added to the window because the server sees a request a
little later (and with some jitter) compared with when we admitted it.

Buckets: ``admin``, ``usage_events``, ``analytics_team``, ``by_user`` and ``ai_code``. AI Code
Tracking is limited *per endpoint*, so its callers pass ``"ai_code:<endpoint>"``; everything after
the ``:`` names a separate bucket sharing the family's limit.

Teams are identified by ``team_id_for_key(api_key)``, a hash; the key itself is never stored.

Two implementations share the ``acquire(team_id, family)`` interface:

- ``InProcessRateLimiter``: thread-safe, for one process (tests, the bench, a single worker);
- ``RedisRateLimiter``: a sorted-set sliding window updated by one Lua script, so every worker
  process shares one budget per team. Redis' own clock (``TIME``) is used, so worker clocks may
  drift freely.

``get_default_limiter()`` picks Redis when ``REDIS_URL`` is configured, else in-process.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable

from .config import default_redis_url, rate_limits_enabled

logger = logging.getLogger(__name__)

DEFAULT_LIMITS: dict[str, int] = {
    "admin": 20,  # members, audit-logs, daily-usage-data, spend
    "usage_events": 60,  # filtered-usage-events
    "analytics_team": 100,  # /analytics/team/*
    "by_user": 50,  # /analytics/by-user/*
    "ai_code": 20,  # per endpoint: "ai_code:commits", "ai_code:changes"
}
DEFAULT_WINDOW_SECONDS = 60.0

OnWait = Callable[[float, str], None]

WAIT_REASON = "rate limit"  # shown by the sync UI as "waiting for rate limit"


def team_id_for_key(api_key: str) -> str:
    """A stable, non-reversible team identity derived from the API key."""
    return hashlib.sha256(b"koalr-cursor-team:" + api_key.encode()).hexdigest()[:32]


class RateLimiter:
    """Base class: ``acquire`` blocks (sleeping) until one more request for the bucket fits."""

    def __init__(
        self,
        limits: dict[str, int] | None = None,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        *,
        margin_seconds: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.window_seconds = float(window_seconds)
        # 2% of the window (1.2 s per minute) absorbs latency jitter between us and the server.
        self.margin_seconds = self.window_seconds * 0.02 if margin_seconds is None else float(margin_seconds)
        self._sleep = sleep

    def limit_for(self, family: str) -> int:
        base = family.split(":", 1)[0]
        try:
            return self.limits[base]
        except KeyError:
            raise ValueError(f"unknown Cursor rate-limit family {family!r}") from None

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
    """Admits everything. For tests and benchmarks against a simulator with limits switched off."""

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

    def __init__(
        self,
        redis_url: str | None = None,
        *args,
        client=None,
        key_prefix: str = "koalr:cursor:rl",
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        if client is None:
            import redis  # imported lazily: only processes that use Redis need the package

            client = redis.Redis.from_url(redis_url or default_redis_url() or "redis://")
        self._redis = client
        self._script = client.register_script(_SLIDING_WINDOW_LUA)
        self.key_prefix = key_prefix
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
                    "cursor rate limiter: Redis unavailable (%s); using an in-process window",
                    type(exc).__name__,
                )
                self._warned = True
            return self._fallback._try_acquire(team_id, family, limit)
        return int(wait_us) / 1_000_000


_default_limiters: dict[str | None, RateLimiter] = {}
_default_lock = threading.Lock()


def get_default_limiter() -> RateLimiter:
    """The process-wide limiter: Redis-backed when REDIS_URL is set, else in-process.

    `CURSOR_RATE_LIMITS=false` turns pacing off: only for a local simulator that enforces no
    limits (the demo, benchmarks). Against api.cursor.com it stays on.
    """
    if not rate_limits_enabled():
        return NoRateLimit()
    url = default_redis_url()
    with _default_lock:
        limiter = _default_limiters.get(url)
        if limiter is None:
            limiter = RedisRateLimiter(url) if url else InProcessRateLimiter()
            _default_limiters[url] = limiter
        return limiter
