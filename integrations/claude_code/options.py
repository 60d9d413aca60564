"""How a Claude Code sync talks to Anthropic: `ClaudeCodeSyncOptions`, handed to the sync.

Production leaves the `CLAUDE_CODE_SYNC_OPTIONS` setting unset and gets the client's defaults.
Tests and the bench set it (or pass options) to use a simulator or a MockTransport and to skip
sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class ClaudeCodeSyncOptions:
    sleep: Callable[[float], None] = time.sleep
    timeout: float | None = None
    max_retries: int | None = None
    max_wait: float | None = None
    transport: object | None = None  # an httpx transport, for tests

    def client_options(self) -> dict:
        given = {"timeout": self.timeout, "max_retries": self.max_retries, "max_wait": self.max_wait,
                 "transport": self.transport}  # fmt: skip
        return {"sleep": self.sleep, **{k: v for k, v in given.items() if v is not None}}


def configured_options() -> ClaudeCodeSyncOptions:
    options = getattr(settings, "CLAUDE_CODE_SYNC_OPTIONS", None)
    if options is None:
        return ClaudeCodeSyncOptions()
    if not isinstance(options, ClaudeCodeSyncOptions):
        raise ImproperlyConfigured(
            "CLAUDE_CODE_SYNC_OPTIONS must be a ClaudeCodeSyncOptions instance, or unset."
        )
    return options
