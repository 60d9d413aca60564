"""Lazy settings lookup for the Cursor client.

The client is also used by the pure-Python simulator bench, so nothing here imports Django at
module import time. Django settings are consulted only when Django is already in use
(``DJANGO_SETTINGS_MODULE`` set or django imported); otherwise the environment decides.
"""

from __future__ import annotations

import os
import sys

DEFAULT_BASE_URL = "https://api.cursor.com"


def setting(name: str, default: str | None = None) -> str | None:
    """Return Django setting ``name`` if Django is configured, else env var ``name``, else default."""
    if os.environ.get("DJANGO_SETTINGS_MODULE") or "django.conf" in sys.modules:
        try:
            from django.conf import settings

            value = getattr(settings, name, None)
        except Exception:  # Django absent or not configured: fall through to the environment.
            value = None
        if value:
            return value
    return os.environ.get(name) or default


def default_base_url() -> str:
    return setting("CURSOR_API_BASE_URL", DEFAULT_BASE_URL) or DEFAULT_BASE_URL


def default_redis_url() -> str | None:
    return setting("REDIS_URL")


def rate_limits_enabled() -> bool:
    """`CURSOR_RATE_LIMITS` from Django settings (a bool) or the environment; default on."""
    if os.environ.get("DJANGO_SETTINGS_MODULE") or "django.conf" in sys.modules:
        try:
            from django.conf import settings

            value = getattr(settings, "CURSOR_RATE_LIMITS", None)
        except Exception:  # Django absent or not configured
            value = None
        if isinstance(value, bool):
            return value
    value = os.environ.get("CURSOR_RATE_LIMITS", "true")
    return value.strip().lower() not in ("0", "false", "no", "off")
