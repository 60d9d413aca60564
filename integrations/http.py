"""HTTP mechanics every tool's client shares: reading a server's wait hint, backoff with jitter.

Each tool's client (``integrations/cursor/http.py``, ``integrations/copilot/client.py``) builds
its own requests, auth and typed errors on top of these.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

BACKOFF_CAP = 60.0


def full_jitter(attempt: int, base: float, cap: float = BACKOFF_CAP) -> float:
    """Exponential backoff with full jitter: a random wait in [0, min(cap, base·2^(n-1))]."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))  # nosec B311  # retry jitter, not a secret


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds to wait from ``Retry-After`` (seconds or HTTP-date) or ``X-RateLimit-Reset``.

    ``X-RateLimit-Reset`` is read as an epoch timestamp (s or ms) when it looks like one, else as
    seconds from now. Returns None when neither header is usable.
    """
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        try:
            seconds = float(value)
        except ValueError:
            seconds = None
        if seconds is not None:
            return max(0.0, seconds) if math.isfinite(seconds) else None
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return reset_seconds(headers)


def reset_seconds(headers: httpx.Headers) -> float | None:
    """Seconds until ``X-RateLimit-Reset`` (epoch s or ms, or a small delta), or None."""
    value = headers.get("X-RateLimit-Reset")
    if value:
        try:
            reset = float(value.strip())
        except ValueError:
            return None
        if not math.isfinite(reset):
            return None
        if reset > 1e12:  # epoch milliseconds
            return max(0.0, reset / 1000 - time.time())
        if reset > 1e9:  # epoch seconds
            return max(0.0, reset - time.time())
        return max(0.0, reset)
    return None
