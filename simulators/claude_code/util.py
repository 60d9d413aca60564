"""Shared helpers: Anthropic error bodies, request ids, opaque page cursors, dates, money text."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
from datetime import UTC, date, datetime, timedelta

_ALNUM = string.ascii_letters + string.digits
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# docs/claude-code-api.md §2.2: status -> error.type.
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    410: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
DEFAULT_MESSAGES = {
    400: "Invalid request.",
    401: "invalid x-api-key",
    403: "Your API key does not have permission to use the specified resource.",
    404: "The requested resource could not be found.",
    410: "The page cursor has expired; restart from the first page.",
    429: "Number of requests has exceeded your rate limit. Please try again later.",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Request timed out",
    529: "Overloaded",
}


class ApiError(Exception):
    """Raised by endpoint code; the server answers it with the standard Anthropic error body."""

    def __init__(self, status: int, message: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message or DEFAULT_MESSAGES.get(status, "Error")


def request_id() -> str:
    return "req_011" + "".join(secrets.choice(_ALNUM) for _ in range(21))


def error_body(status: int, message: str | None, req_id: str) -> bytes:
    """`{"type":"error","error":{"type":…,"message":…},"request_id":…}` (docs/claude-code-api.md §2.2)."""
    error_type = ERROR_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")
    body = {
        "type": "error",
        "error": {"type": error_type, "message": message or DEFAULT_MESSAGES.get(status, "Error")},
        "request_id": req_id,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


# -- cursors ----------------------------------------------------------------------------------------


def encode_cursor(state: dict) -> str:
    """An opaque `page_…` cursor (the shape of the docs' `page_MjAyNS0wNS0xNFQwMDowMDowMFo=`)."""
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return "page_" + base64.urlsafe_b64encode(raw).decode()


def decode_cursor(value: str) -> dict:
    if not value.startswith("page_"):
        raise ApiError(400, "Invalid page cursor.")
    try:
        state = json.loads(base64.urlsafe_b64decode(value[5:].encode()))
    except (ValueError, TypeError):
        raise ApiError(400, "Invalid page cursor.") from None
    if not isinstance(state, dict):
        raise ApiError(400, "Invalid page cursor.")
    return state


def query_fingerprint(query: list[tuple[str, str]], ignore=("page",)) -> str:
    """A short hash of the query without its cursor: Enterprise cursors are bound to it."""
    items = sorted((k, v) for k, v in query if k not in ignore)
    return hashlib.sha1(json.dumps(items).encode(), usedforsecurity=False).hexdigest()[:16]


# -- parameters -------------------------------------------------------------------------------------


def parse_limit(value: str | None, *, default: int, maximum: int = 1000) -> int:
    if value is None:
        return default
    try:
        limit = int(value)
    except ValueError:
        raise ApiError(400, f"limit: Input should be a valid integer, got {value!r}") from None
    if not 1 <= limit <= maximum:
        raise ApiError(400, f"limit: Input should be between 1 and {maximum}")
    return limit


def parse_day(value: str | None, name: str) -> date:
    """A strict `YYYY-MM-DD` UTC date."""
    if not value:
        raise ApiError(400, f"{name}: Field required")
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name}: Input should be a valid date in the format YYYY-MM-DD") from None


def parse_timestamp(value: str | None, name: str) -> datetime:
    """An RFC 3339 timestamp (a bare date is taken as midnight UTC)."""
    if not value:
        raise ApiError(400, f"{name}: Field required")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"{name}: Input should be a valid RFC 3339 datetime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def epoch_s(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds())


def day_start_s(day: date) -> int:
    return epoch_s(midnight(day))


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_timestamp(day: date) -> str:
    """The Claude Code report's `date`: RFC 3339 at midnight UTC (docs/claude-code-api.md §3.2)."""
    return f"{day.isoformat()}T00:00:00Z"


def daterange(start: date, end: date):
    """Days start..end inclusive."""
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def micro_cents_text(micro: int) -> str:
    """Decimal string in cents with six places, like the docs' `"41280.000000"` (§5.5)."""
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"


def micro_to_cents_rounded(micro: int) -> int:
    """Whole cents, half up: the Claude Code report's integer `estimated_cost.amount`."""
    return (micro + 500_000) // 1_000_000
