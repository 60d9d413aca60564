"""Limits on guessing and flooding: log-in lockout (django-axes) and rate limits (django-ratelimit).

- Log-in: after `AXES_FAILURE_LIMIT` failures for one email or from one client address, every
  attempt, the right password included, answers 429 with the same page for the cool-off time.
  Unknown emails count like real ones, so neither the failure nor the lockout message says
  whether an account exists.
- Sign-up and password reset: `SIGNUP_RATE` / `PASSWORD_RESET_RATE` per client address and per
  email entered, so nobody can flood an inbox or enumerate by volume.

Counters of django-ratelimit live in the default cache (Redis in production).
"""

import logging

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage

from .client_ip import ratelimit_key

logger = logging.getLogger(__name__)

LOCKED_OUT = (
    "Too many failed log-ins. For your security, logging in is paused for {minutes} minutes. "
    "If you forgot your password, reset it."
)
RATE_LIMITED = "Too many attempts from here. Wait a while and try again."


def login_username(request, credentials=None) -> str:
    """The email a log-in attempt is counted under: lower-cased and trimmed, like logins, and
    cut to axes' column (varchar 255): the admin's log-in form does not bound it."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username", "")
    return str(raw or "").strip().lower()[:254]


def lockout_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_response(request, original_response=None, credentials=None):
    """The log-in page again, with one message for every locked-out attempt, as a 429."""
    from .forms import LoginForm  # axes imports this module at start-up; forms need the app registry

    email = login_username(request, credentials)[:254]
    context = {
        "form": LoginForm(request, initial={"username": email}),
        "next": request.POST.get("next", "") if request is not None else "",
        "refusal": LOCKED_OUT.format(minutes=lockout_minutes()),
    }
    return render(request, "registration/login.html", context, status=429)


def _email_key(group, request) -> str:
    return (request.POST.get("email") or "").strip().lower()[:254]


def usage(request, *, group: str, key, rate: str, increment: bool) -> dict | None:
    """django-ratelimit's counter for (group, key), or None when the cache cannot be reached.

    A limit that cannot be counted lets the request through with a warning: an unreachable
    Redis must not turn every sign-up or API call into a 500 (the lockout of log-ins is kept
    in the database by axes and does not depend on it).
    """
    try:
        return get_usage(request, group=group, key=key, rate=rate, increment=increment)
    except Exception as exc:  # any cache backend error: redis.ConnectionError, OSError, …
        logger.warning("Rate limit %s not counted, the cache failed: %s", group, type(exc).__name__)
        return None


def _limited(found: dict | None) -> bool:
    return bool(found and found["should_limit"])


def over_limit(request, *, group: str, rate: str) -> bool:
    """Count this POST against `rate` per client address and per email; True once over either."""
    by_ip = _limited(usage(request, group=f"{group}:ip", key=ratelimit_key, rate=rate, increment=True))
    by_email = False
    if _email_key(group, request):
        by_email = _limited(usage(request, group=f"{group}:email", key=_email_key, rate=rate, increment=True))
    return by_ip or by_email


def client_str(username, ip_address, user_agent, path_info, request) -> str:
    """How axes names a client in its log lines: the address only. Never the path (an invite
    link's path is its secret token) nor the email someone typed."""
    return f"{{ip_address: {ip_address}}}"
