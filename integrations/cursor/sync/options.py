"""How a sync talks to Cursor and schedules its streams: `SyncOptions`, handed to `run_sync`.

The defaults are production's: a `CursorClient` with its own defaults (timeout, retries, the
process-wide rate limiter, real sleeps) and parallel lanes where the database allows them.

Callers that cannot pass options — the Celery task and `manage.py sync_cursor` — get
`configured_options()`. It reads the optional `CURSOR_SYNC_OPTIONS` setting, so the tests and
the sync benchmark can run those paths with other options through `override_settings` (or
pytest-django's `settings` fixture) instead of patching module globals. Production leaves the
setting unset.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from integrations.cursor.ratelimit import RateLimiter


@dataclass(frozen=True)
class SyncOptions:
    # Every wait of the sync goes through this: the client's backoff between retries and a
    # rate-limited unit's pause before it runs again.
    sleep: Callable[[float], None] = time.sleep
    # None keeps the client's default for the three below: the process-wide limiter that
    # paces requests to Cursor's per-minute limits, its request timeout, its retry count.
    limiter: RateLimiter | None = None
    timeout: float | None = None
    max_retries: int | None = None
    # None: parallel lanes on PostgreSQL outside an open transaction, one after another
    # otherwise (see lanes.parallel_streams). True or False forces the choice.
    parallel: bool | None = None

    def client_options(self) -> dict:
        """Keyword arguments for `CursorClient`; options left at None are not passed."""
        given = {"limiter": self.limiter, "timeout": self.timeout, "max_retries": self.max_retries}
        return {"sleep": self.sleep, **{k: v for k, v in given.items() if v is not None}}


def configured_options() -> SyncOptions:
    """The options of a run whose caller passed none: `settings.CURSOR_SYNC_OPTIONS` if set,
    otherwise the defaults."""
    options = getattr(settings, "CURSOR_SYNC_OPTIONS", None)
    if options is None:
        return SyncOptions()
    if not isinstance(options, SyncOptions):
        raise ImproperlyConfigured("CURSOR_SYNC_OPTIONS must be a SyncOptions instance, or unset.")
    return options
