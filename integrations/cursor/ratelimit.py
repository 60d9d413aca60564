"""Client-side rate limiting that keeps each Cursor team under its documented per-minute limits.

Cursor counts requests per team and per endpoint family (docs/cursor-api.md §1.3). We keep a
sliding window of the last requests per (team, bucket) and make a caller wait until one more
request fits. A sliding window of N per W seconds also satisfies any fixed per-minute window the
server may use. The client (``http.py``) takes its slots with ``limiter.admitted(...)``: each
request counts from the moment its answer is in, which is after Cursor counted it, so the next
window's requests can go exactly one window later with no safety margin (see
``integrations/ratelimit.py``).

Buckets: ``admin``, ``usage_events``, ``analytics_team``, ``by_user`` and ``ai_code``. AI Code
Tracking is limited *per endpoint*, so its callers pass ``"ai_code:<endpoint>"``; everything after
the ``:`` names a separate bucket sharing the family's limit.

Teams are identified by ``team_id_for_key(api_key)``, a hash; the key itself is never stored.

The sliding-window machinery is tool-neutral and lives in ``integrations/ratelimit.py``; this
module adds Cursor's limits and the process-wide default. Two implementations share the
``acquire(team_id, family)`` interface:

- ``InProcessRateLimiter``: thread-safe, for one process (tests, the bench, a single worker);
- ``RedisRateLimiter``: a sorted-set sliding window updated by one Lua script, so every worker
  process shares one budget per team. Redis' own clock (``TIME``) is used, so worker clocks may
  drift freely.

``get_default_limiter()`` picks Redis when ``REDIS_URL`` is configured, else in-process.
"""

from __future__ import annotations

import hashlib
import threading

from integrations import ratelimit as shared
from integrations.ratelimit import DEFAULT_WINDOW_SECONDS, WAIT_REASON, NoRateLimit, OnWait, RateLimiter

from .config import default_redis_url, rate_limits_enabled

DEFAULT_LIMITS: dict[str, int] = {
    "admin": 20,  # members, audit-logs, daily-usage-data, spend
    "usage_events": 60,  # filtered-usage-events
    "analytics_team": 100,  # /analytics/team/*
    "by_user": 50,  # /analytics/by-user/*
    "ai_code": 20,  # per endpoint: "ai_code:commits", "ai_code:changes"
}


def team_id_for_key(api_key: str) -> str:
    """A stable, non-reversible team identity derived from the API key."""
    return hashlib.sha256(b"koalr-cursor-team:" + api_key.encode()).hexdigest()[:32]


class InProcessRateLimiter(shared.InProcessRateLimiter):
    default_limits = DEFAULT_LIMITS
    tool = "Cursor"


class RedisRateLimiter(shared.RedisRateLimiter):
    default_limits = DEFAULT_LIMITS
    default_key_prefix = "koalr:cursor:rl"
    tool = "Cursor"

    def __init__(self, redis_url: str | None = None, *args, **kwargs) -> None:
        super().__init__(redis_url or default_redis_url() or "redis://", *args, **kwargs)


__all__ = [
    "DEFAULT_LIMITS", "DEFAULT_WINDOW_SECONDS", "WAIT_REASON", "InProcessRateLimiter", "NoRateLimit",
    "OnWait", "RateLimiter", "RedisRateLimiter", "get_default_limiter", "team_id_for_key",
]  # fmt: skip


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
