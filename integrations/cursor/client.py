"""HTTP client for Cursor's team APIs (Admin, Analytics, AI Code Tracking).

Reference: docs/cursor-api.md. The client

- authenticates with HTTP Basic (the key as username, empty password);
- keeps each team under Cursor's per-minute limits with a shared ``RateLimiter``;
- retries what can succeed next time (429, 5xx, timeouts, network errors) with exponential
  backoff and full jitter, honouring ``Retry-After`` / ``X-RateLimit-Reset``; never 4xx;
- splits long ranges into windows of at most 30 days and follows every pagination envelope
  variant, with a hard cap on pages;
- returns the normalized records of ``records.py``; a malformed record is logged and skipped;
- logs one line per HTTP call (method, path, status, duration, attempt) and never the key.

Each API family's methods live in a mixin of their own (``admin_api.py``, ``analytics_api.py``,
``ai_code_api.py``) on the shared paging base (``paging.py``, itself on ``http.py``);
``CursorClient`` composes them and adds the connect-flow check, ``validate``.

Nothing here imports Django; defaults come from ``config.py`` lazily.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .admin_api import AdminApi
from .ai_code_api import AiCodeApi
from .analytics_api import ANALYTICS_TEAM_METRICS, AnalyticsApi
from .errors import CursorError, PlanRequired
from .http import MAX_RETRY_WAIT, USER_AGENT, WAIT_CURSOR_429, WAIT_RETRY, retry_after_seconds
from .records import Capabilities
from .windows import MAX_WINDOW_DAYS, day_windows, ms_windows


class CursorClient(AdminApi, AnalyticsApi, AiCodeApi):
    """A Cursor team API session for one API key. Not thread-safe; use one per sync.

    ``base_url`` defaults to ``CURSOR_API_BASE_URL`` (Django settings, then the environment),
    then https://api.cursor.com; ``limiter`` to ``get_default_limiter()``. ``sleep`` is used for
    retry waits (tests pass a no-op); ``on_wait(seconds, reason)`` is called before every wait,
    the limiter's included, so a sync can show "waiting for rate limit".
    """

    # -- Connect flow ---------------------------------------------------------------------------

    def validate(self) -> Capabilities:
        """Check the key and find which APIs the team's plan allows.

        ``/teams/members`` must succeed (InvalidApiKey etc. propagate). Then one-day probes of
        ``/analytics/team/dau`` and ``/analytics/ai-code/commits`` (pageSize 1): PlanRequired
        turns that capability off; any other error propagates. ``member_count`` counts members
        who are not removed.
        """
        members = self.members()
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        day = yesterday.isoformat()
        analytics = self._probe("/analytics/team/dau", "analytics_team", day)
        ai_code = self._probe("/analytics/ai-code/commits", "ai_code:commits", day)
        missing = [name for name, ok in (("Analytics", analytics), ("AI Code Tracking", ai_code)) if not ok]
        if missing:
            plan_note = (
                f"{' and '.join(missing)} {'needs' if len(missing) == 1 else 'need'} Cursor's "
                "Enterprise plan; members, usage and spend will still sync."
            )
        else:
            plan_note = ""
        return Capabilities(
            admin=True,
            analytics=analytics,
            ai_code=ai_code,
            member_count=sum(1 for m in members if not m.is_removed),
            plan_note=plan_note,
        )

    def _probe(self, path: str, family: str, day: str) -> bool:
        params = {"startDate": day, "endDate": day}
        if family.startswith("ai_code"):
            params.update(page=1, pageSize=1)
        try:
            self._call("GET", path, family=family, params=params, plan_gated=True)
        except PlanRequired:
            return False
        return True


__all__ = [
    "ANALYTICS_TEAM_METRICS",
    "MAX_RETRY_WAIT",
    "MAX_WINDOW_DAYS",
    "USER_AGENT",
    "WAIT_CURSOR_429",
    "WAIT_RETRY",
    "CursorClient",
    "CursorError",
    "day_windows",
    "ms_windows",
    "retry_after_seconds",
]
