"""How a Copilot sync talks to GitHub: `CopilotSyncOptions`, handed to `run_copilot_sync`.

Production leaves the `COPILOT_SYNC_OPTIONS` setting unset and gets the client's defaults (the
process-wide limiter, real sleeps). Tests and the bench set it (or pass options) to point the
client at a simulator or a MockTransport and to skip the sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class CopilotSyncOptions:
    sleep: Callable[[float], None] = time.sleep
    limiter: object | None = None
    timeout: float | None = None
    max_retries: int | None = None
    max_wait: float | None = None
    transport: object | None = None  # httpx transports, for tests
    download_transport: object | None = None

    def client_options(self) -> dict:
        given = {
            "limiter": self.limiter,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "max_wait": self.max_wait,
            "transport": self.transport,
            "download_transport": self.download_transport,
        }
        return {"sleep": self.sleep, **{k: v for k, v in given.items() if v is not None}}


def configured_options() -> CopilotSyncOptions:
    options = getattr(settings, "COPILOT_SYNC_OPTIONS", None)
    if options is None:
        return CopilotSyncOptions()
    if not isinstance(options, CopilotSyncOptions):
        raise ImproperlyConfigured("COPILOT_SYNC_OPTIONS must be a CopilotSyncOptions instance, or unset.")
    return options
