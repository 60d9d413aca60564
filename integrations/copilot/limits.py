"""GitHub's limits for the Copilot client: the rate limiter (shared through Redis when there is
one), the settings it reads, and the identity of a token's budget. Reference:
docs/copilot-api.md §1.3."""

from __future__ import annotations

import hashlib
import threading

from integrations import ratelimit as shared

DEFAULT_BASE_URL = "https://api.github.com"


class CopilotRateLimiter(shared.InProcessRateLimiter):
    """GitHub's secondary limit: ≤900 points per minute per REST endpoint (GET = 1 point, §1.3).
    A little under it, per endpoint family."""

    default_limits = {"seats": 800, "billing": 800, "reports": 800, "usage": 800}
    tool = "GitHub"


class RedisCopilotRateLimiter(shared.RedisRateLimiter):
    default_limits = CopilotRateLimiter.default_limits
    default_key_prefix = "koalr:copilot:rl"
    tool = "GitHub"


_default_limiter: dict[str, shared.RateLimiter] = {}
_default_lock = threading.Lock()


def _setting(name: str, default):
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:  # Django absent or not configured (the bench): the default
        return default


def default_base_url() -> str:
    return _setting("COPILOT_API_BASE_URL", "") or DEFAULT_BASE_URL


def get_default_limiter() -> shared.RateLimiter:
    """Redis-backed when REDIS_URL is set (one budget for every worker), else in-process;
    ``COPILOT_RATE_LIMITS = False`` (a local simulator without limits) turns pacing off."""
    if _setting("COPILOT_RATE_LIMITS", True) is False:
        return shared.NoRateLimit()
    url = _setting("REDIS_URL", "") or ""
    with _default_lock:
        if url not in _default_limiter:
            _default_limiter[url] = RedisCopilotRateLimiter(url) if url else CopilotRateLimiter()
        return _default_limiter[url]


def tenant_for_token(token: str) -> str:
    """A stable, non-reversible identity of the token's budget (GitHub counts per token)."""
    return hashlib.sha256(b"koalr-copilot-token:" + token.encode()).hexdigest()[:32]
