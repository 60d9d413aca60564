"""Validating a Cursor API key before anything is stored, and the errors users read.

`check_key` is the one gate both the settings form and `manage.py connect_cursor` go
through. No message here quotes the key, including for a malformed one.
"""

import logging
from dataclasses import dataclass

from django.conf import settings

from .cursor.errors import CursorError, InvalidApiKey, PlanRequired

logger = logging.getLogger(__name__)

KEY_REJECTED_MESSAGE = "Cursor rejected this API key."
KEY_REJECTED_HINT = (
    "Check that it is an Admin API key with the admin scope (created under Dashboard → API Keys; "
    "it starts with crsr_ or key_) and that it has not been revoked."
)
UNREACHABLE_MESSAGE = "We couldn't reach Cursor right now. Nothing was saved — please try again in a minute."
ENTERPRISE_NOTE = (
    "Cursor's Analytics API and AI Code Tracking need an Enterprise plan, and this key does not "
    "have access to them. The dashboard derives what it can from the Admin API data "
    "(members, daily usage, usage events and spend)."
)

ADMIN_PLAN_NOTE = (
    "Cursor says this key's plan does not include its team APIs (Enterprise access required). "
    "The key is saved; syncs will show what Cursor allows, and you can replace the key at any time."
)


class IntegrationError(Exception):
    """Base for failures a user should read; `str()` is safe to show and to log (no secret)."""

    def __init__(self, user_message: str, hint: str = ""):
        self.user_message = user_message
        self.hint = hint
        super().__init__(user_message)


class KeyRejected(IntegrationError):
    def __init__(self):
        super().__init__(KEY_REJECTED_MESSAGE, KEY_REJECTED_HINT)


class CursorUnavailable(IntegrationError):
    def __init__(self):
        super().__init__(UNREACHABLE_MESSAGE)


class MalformedKey(IntegrationError):
    pass


NOT_CURSOR_MESSAGE = (
    "The server at the Cursor API address refused the request (HTTP 403), but not the way Cursor "
    "does, so the key was not checked. Nothing was saved."
)
NOT_CURSOR_HINT = (
    "A proxy or firewall between Koalr and api.cursor.com may be blocking it, or "
    "CURSOR_API_BASE_URL points somewhere else."
)
# Cursor's documented answer to a key whose plan lacks an API: 403 with
# {"error": "Forbidden", "message": "Enterprise access required"} (docs/cursor-api.md §1.2, §1.4).
CURSOR_PLAN_403_MESSAGE = "enterprise access required"


class NotCursor(IntegrationError):
    def __init__(self):
        super().__init__(NOT_CURSOR_MESSAGE, NOT_CURSOR_HINT)


def is_cursor_plan_refusal(exc: PlanRequired) -> bool:
    """Whether a 403 carried Cursor's documented plan-limit body. The client puts Cursor's own
    `message`/`error` text at the end of the exception message; any other 403 (a proxy's page,
    another service) is not a statement about the plan."""
    return exc.status == 403 and str(exc).lower().rstrip(". ").endswith(CURSOR_PLAN_403_MESSAGE)


MIN_KEY_LENGTH = 20  # real keys are a prefix plus 64 characters; this only catches paste slips
# Four times a real key: room for a new format, while a pasted file or a megabyte is refused
# before it reaches a form error page, an encryption call or Cursor.
MAX_KEY_LENGTH = 256


def key_format_problem(api_key: str) -> str:
    """Why `api_key` cannot be a Cursor key, or "" — checked before anything calls Cursor.

    The message never quotes the value: a wrong key can still be a secret.
    """
    if not api_key:
        return "Paste your Cursor Admin API key."
    if any(ch.isspace() for ch in api_key):
        return "An API key has no spaces inside. Copy it again from Cursor."
    if len(api_key) < MIN_KEY_LENGTH:
        return "That is too short to be a Cursor API key. Copy it again from Cursor."
    if len(api_key) > MAX_KEY_LENGTH:
        return (
            f"That is too long to be a Cursor API key (at most {MAX_KEY_LENGTH} characters). "
            "Copy only the key from Cursor."
        )
    return ""


@dataclass(frozen=True)
class KeyCheck:
    """What validation learned about a key: stored as `Connection.capabilities`."""

    capabilities: dict
    enterprise_note: str  # empty when every stream is available


# Someone is waiting on the form: one retry for a blip, then tell them to try again.
VALIDATION_TIMEOUT_SECONDS = 10.0
VALIDATION_RETRIES = 1


def make_client(api_key: str, base_url: str):
    """The one place a Cursor client is built for validation (tests replace it)."""
    from .cursor.client import CursorClient

    return CursorClient(
        api_key,
        base_url=base_url or settings.CURSOR_API_BASE_URL,
        timeout=VALIDATION_TIMEOUT_SECONDS,
        max_retries=VALIDATION_RETRIES,
    )


def check_key(api_key: str, base_url: str = "") -> KeyCheck:
    """Validate a key against Cursor; raise KeyRejected / CursorUnavailable. Nothing is written."""
    if problem := key_format_problem(api_key):
        raise MalformedKey(problem)
    try:
        with make_client(api_key, base_url) as client:
            caps = client.validate()
    except InvalidApiKey:
        raise KeyRejected() from None
    except PlanRequired as exc:
        # The client probes the Enterprise-only APIs itself, so this came from the Admin API.
        # Only Cursor's documented 403 means "Cursor knows the key but its plan refuses even
        # that": the key is then kept with a note; syncs report what Cursor allows.
        if not is_cursor_plan_refusal(exc):
            logger.warning("Cursor key validation got a 403 that is not Cursor's (status=%s)", exc.status)
            raise NotCursor() from None
        return KeyCheck({"admin": False, "analytics": False, "ai_code": False}, ADMIN_PLAN_NOTE)
    except CursorError as exc:
        # Rate limits, 5xx, malformed answers, timeouts and network errors are all worth a
        # retry by the user; `exc` never carries the key, so logging it is safe.
        logger.warning("Cursor key validation failed: %s (status=%s)", type(exc).__name__, exc.status)
        raise CursorUnavailable() from None
    capabilities = {
        "admin": bool(caps.admin),
        "analytics": bool(caps.analytics),
        "ai_code": bool(caps.ai_code),
        "member_count": caps.member_count,
    }
    note = "" if (caps.analytics and caps.ai_code) else ENTERPRISE_NOTE
    return KeyCheck(capabilities, note)
