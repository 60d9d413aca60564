"""Client-side rate limiting shared by every tool's HTTP client: a sliding window per bucket.

A caller names a (tenant, bucket) pair and is made to wait until one more request fits in the
last ``window_seconds``. A sliding window of N per W seconds also satisfies any fixed window
the server may use. Everything after a ``:`` in a bucket name names a separate bucket sharing
the limit of the part before it (``"ai_code:commits"``).

Two ways to take a slot:

- ``with limiter.admitted(tenant, bucket): <send the request, read the answer>`` counts the
  request from the moment its answer is in. The server counted it at some moment between our
  sending it and our reading the answer, so a request admitted one window after an earlier
  one's answer reaches the server at least one window after the server counted that one,
  whatever the latency and its jitter: exact, with no safety margin and no idle second per
  window. While the request is in flight its slot counts as taken.
- ``limiter.acquire(tenant, bucket)`` counts the request from its admission plus a small safety
  margin (2% of the window) that absorbs the latency between our admitting it and the server
  seeing it; for callers that do not report the answer.

Each tool documents its own buckets and limits in a subclass (``default_limits``); Cursor's
are in ``integrations/cursor/ratelimit.py``, Copilot's in ``integrations/copilot/client.py``.

- ``InProcessRateLimiter``: thread-safe, for one process (tests, the bench, a single worker);
- ``RedisRateLimiter``: a sorted-set sliding window updated by Lua scripts, so every worker
  process shares one budget. Redis' own clock (``TIME``) is used, so worker clocks may drift.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

DEFAULT_WINDOW_SECONDS = 60.0
# A request still in flight holds its slot; should its answer never be reported (a crashed
# process) the slot counts from this long after its admission, far beyond any HTTP timeout.
IN_FLIGHT_SECONDS = 300.0
# When every slot of a bucket is held by requests still in flight, how often to look again.
IN_FLIGHT_POLL_SECONDS = 0.05

OnWait = Callable[[float, str], None]

WAIT_REASON = "rate limit"  # shown by the sync UI as "waiting for rate limit"


class RateLimiter:
    """Base class: ``admitted`` / ``acquire`` block (sleeping) until one more request fits.

    ``default_limits`` (requests per window per bucket) is what each tool's subclass documents;
    ``limits`` given to the constructor override or extend it. ``margin_seconds`` applies to
    ``acquire`` only (see the module docstring).
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
        """Wait for a slot; the request counts from now plus the safety margin."""
        self._wait_for_slot(team_id, family, None, on_wait)

    @contextmanager
    def admitted(self, team_id: str, family: str, on_wait: OnWait | None = None) -> Iterator[None]:
        """Wait for a slot, hold it while the body runs (the request), and count the request
        from the moment the body ends (its answer is in, or it failed)."""
        ticket = uuid.uuid4().hex
        self._wait_for_slot(team_id, family, ticket, on_wait)
        try:
            yield
        finally:
            self._answered(team_id, family, ticket)

    def _wait_for_slot(self, team_id: str, family: str, ticket: str | None, on_wait: OnWait | None) -> None:
        limit = self.limit_for(family)
        while True:
            wait = self._try_acquire(team_id, family, limit, ticket)
            if wait <= 0:
                return
            if on_wait is not None:
                on_wait(wait, WAIT_REASON)
            self._sleep(wait)

    def _try_acquire(self, team_id: str, family: str, limit: int, ticket: str | None = None) -> float:
        """Admit one request and return 0, or return the seconds to wait before trying again.
        With a ``ticket`` the request is in flight until ``_answered`` is called for it."""
        raise NotImplementedError

    def _answered(self, team_id: str, family: str, ticket: str) -> None:
        """The request of ``ticket`` has its answer: count it from now."""
        raise NotImplementedError


class NoRateLimit(RateLimiter):
    """Admits everything, whatever the bucket. For tests and benchmarks against a simulator with
    limits switched off."""

    def acquire(self, team_id: str, family: str, on_wait: OnWait | None = None) -> None:
        return None

    @contextmanager
    def admitted(self, team_id: str, family: str, on_wait: OnWait | None = None) -> Iterator[None]:
        self.acquire(team_id, family, on_wait)  # one place for a test double to count calls
        yield

    def _try_acquire(self, team_id: str, family: str, limit: int, ticket: str | None = None) -> float:
        return 0.0

    def _answered(self, team_id: str, family: str, ticket: str) -> None:
        return None


class InProcessRateLimiter(RateLimiter):
    """Sliding-window limiter shared by all threads of one process.

    Each bucket maps its requests to the moment they count from: admission plus the margin
    (``acquire``), or, for ``admitted``, IN_FLIGHT_SECONDS ahead while in flight and the answer's
    moment once it is in. A request leaves the window ``window_seconds`` after that moment.
    """

    def __init__(self, *args, clock: Callable[[], float] = time.monotonic, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock
        self._lock = threading.Lock()
        self._admitted: dict[tuple[str, str], dict[str, float]] = {}
        self._in_flight: dict[tuple[str, str], set[str]] = {}
        self._plain = itertools.count()

    def _try_acquire(self, team_id: str, family: str, limit: int, ticket: str | None = None) -> float:
        key = (team_id, family)
        with self._lock:
            now = self._clock()
            counted = self._admitted.setdefault(key, {})
            in_flight = self._in_flight.setdefault(key, set())
            for gone in [t for t, since in counted.items() if since <= now - self.window_seconds]:
                del counted[gone]
                in_flight.discard(gone)
            if len(counted) < limit:
                if ticket is None:
                    counted[f"plain-{next(self._plain)}"] = now + self.margin_seconds
                else:
                    counted[ticket] = now + IN_FLIGHT_SECONDS
                    in_flight.add(ticket)
                return 0.0
            oldest = min(counted, key=counted.__getitem__)
            if oldest in in_flight:  # every slot is held by a request still waiting for its answer
                return IN_FLIGHT_POLL_SECONDS
            # Wait until the oldest request in the window falls out of it.
            return max(counted[oldest] + self.window_seconds - now, 0.001)

    def _answered(self, team_id: str, family: str, ticket: str) -> None:
        key = (team_id, family)
        with self._lock:
            in_flight = self._in_flight.get(key)
            if in_flight is None or ticket not in in_flight:
                return  # already out of the window (answered after IN_FLIGHT_SECONDS)
            in_flight.discard(ticket)
            self._admitted[key][ticket] = self._clock()


# KEYS[1] = the bucket's sorted set: member -> the moment (Redis-clock microseconds) the
# request counts from; members of requests in flight start with "f:".
# ARGV = window_us, limit, member, counts_from_offset_us, in_flight_poll_us, key_ttl_ms.
# Returns 0 when admitted, else microseconds to wait.
_SLIDING_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]))
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if string.sub(oldest[1], 1, 2) == 'f:' then
  return tonumber(ARGV[5])
end
local wait = tonumber(oldest[2]) + window - now
if wait < 1000 then wait = 1000 end
return wait
"""

# KEYS[1] = the bucket's sorted set. ARGV = the in-flight member, the answered member,
# key_ttl_ms. The request counts from now; nothing happens if it already left the window.
# (Removing a set's last member deletes the key, so its expiry is set again.)
_ANSWERED_LUA = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
end
return 0
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
        self._answered_script = client.register_script(_ANSWERED_LUA)
        self.key_prefix = key_prefix or self.default_key_prefix
        self._fallback = InProcessRateLimiter(
            self.limits, self.window_seconds, margin_seconds=self.margin_seconds
        )
        self._warned = False

    @property
    def _ttl_ms(self) -> int:
        """How long a bucket's key outlives its last change: its longest-held entry's life."""
        return int((IN_FLIGHT_SECONDS + self.window_seconds) * 1000) + 1000

    def _key(self, team_id: str, family: str) -> str:
        return f"{self.key_prefix}:{team_id}:{family}"

    def _try_acquire(self, team_id: str, family: str, limit: int, ticket: str | None = None) -> float:
        window_us = int(self.window_seconds * 1_000_000)
        if ticket is None:
            member, offset_us = uuid.uuid4().hex, int(self.margin_seconds * 1_000_000)
        else:
            member, offset_us = f"f:{ticket}", int(IN_FLIGHT_SECONDS * 1_000_000)
        args = [window_us, limit, member, offset_us, int(IN_FLIGHT_POLL_SECONDS * 1_000_000), self._ttl_ms]
        try:
            wait_us = self._script(keys=[self._key(team_id, family)], args=args)
        except Exception as exc:  # redis.RedisError and socket errors; the limiter must not crash
            self._warn(exc)
            return self._fallback._try_acquire(team_id, family, limit, ticket)
        return int(wait_us) / 1_000_000

    def _answered(self, team_id: str, family: str, ticket: str) -> None:
        # A ticket the fallback admitted (Redis was down then) is answered there; for one Redis
        # admitted this is a no-op.
        self._fallback._answered(team_id, family, ticket)
        try:
            self._answered_script(
                keys=[self._key(team_id, family)], args=[f"f:{ticket}", f"a:{ticket}", self._ttl_ms]
            )
        except Exception as exc:  # the slot then counts from IN_FLIGHT_SECONDS after admission
            self._warn(exc)

    def _warn(self, exc: Exception) -> None:
        if not self._warned:
            logger.warning(
                "%s rate limiter: Redis unavailable (%s); using an in-process window",
                self.tool,
                type(exc).__name__,
            )
            self._warned = True
