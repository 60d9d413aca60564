"""Small shared helpers for the Copilot simulator: GitHub's error bodies, dates, JSON."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

DOCS_URL = "https://docs.github.com/rest"
# GitHub's error body (docs/copilot-api.md §1.5): {"message", "documentation_url", "status"}.
DEFAULT_MESSAGES = {
    400: "Bad Request",
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    422: "Validation Failed",
    429: "Too Many Requests",
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    """Raised by endpoint code; the server answers `status` with GitHub's error body."""

    def __init__(self, status: int, message: str | None = None, *, headers=None, extra=None):
        super().__init__(message)
        self.status = status
        self.message = message or DEFAULT_MESSAGES.get(status, "Error")
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def error_body(status: int, message: str | None = None, extra: dict | None = None) -> bytes:
    body = {"message": message or DEFAULT_MESSAGES.get(status, "Error"), "documentation_url": DOCS_URL}
    body.update(extra or {})
    body["status"] = str(status)
    return dumps(body)


def dumps(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def daterange(start: date, end: date):
    day = start
    one = timedelta(days=1)
    while day <= end:
        yield day
        day += one


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def iso_z(moment: datetime) -> str:
    """GitHub's timestamp form: `2026-11-18T16:02:11Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms_z(moment: datetime) -> str:
    """The metrics reports' form: `2026-11-18T16:02:11.000Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def credits_number(hundredths: int) -> int | float:
    """Hundredths of an AI credit as the JSON number the API writes (142.75, 3, 0.5)."""
    whole, frac = divmod(hundredths, 100)
    return whole if frac == 0 else round(hundredths / 100, 2)


def dollars(value_ten_thousandths: int) -> float:
    """An amount kept in 1/10,000 of a dollar, as a JSON number."""
    return round(value_ten_thousandths / 10_000, 4)
