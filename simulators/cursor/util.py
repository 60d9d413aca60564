"""Small shared helpers for the Cursor simulator: time arithmetic, number formatting, errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

DAY_MS = 86_400_000
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# Standard error bodies (docs/cursor-api.md §1.5).
ERROR_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
DEFAULT_MESSAGES = {
    400: "Bad Request",
    401: "Invalid API key",
    403: "Enterprise access required",
    404: "Resource not found",
    429: "Rate limit exceeded. Please try again later.",
    500: "An unexpected error occurred",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}


class ApiError(Exception):
    """Raised by endpoint code; the server turns it into the standard `{error, message}` body."""

    def __init__(self, status: int, message: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message or DEFAULT_MESSAGES.get(status, "Error")


def error_body(status: int, message: str | None = None) -> bytes:
    return json.dumps(
        {
            "error": ERROR_TITLES.get(status, "Error"),
            "message": message or DEFAULT_MESSAGES.get(status, "Error"),
        }
    ).encode()


def day_start_ms(day: date) -> int:
    return (day.toordinal() - EPOCH_ORDINAL) * DAY_MS


def ms_to_day(ms: int) -> date:
    return date.fromordinal(ms // DAY_MS + EPOCH_ORDINAL)


def dt_to_ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def ms_to_dt(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def iso_ms(ms: int) -> str:
    """ISO 8601 with milliseconds and a Z, the way Cursor writes timestamps."""
    return ms_to_dt(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def fmt_units(units: int, scale: int = 10_000) -> str:
    """Exact decimal text for an integer amount of 1/scale (cents are kept as 1e-4 cent units)."""
    if scale == 10_000:  # hot path (every event)
        frac = units % 10_000
        return f"{units // 10_000}.{frac:04d}".rstrip("0") if frac else str(units // 10_000)
    whole, frac = divmod(units, scale)
    if not frac:
        return str(whole)
    width = len(str(scale)) - 1
    return f"{whole}.{frac:0{width}d}".rstrip("0")


def units_to_number(units: int, scale: int = 10_000) -> int | float:
    """The same value as `fmt_units`, as a Python number (what json.loads would give)."""
    return json.loads(fmt_units(units, scale))


def daterange(start: date, end: date):
    day = start
    one = timedelta(days=1)
    while day <= end:
        yield day
        day += one


def parse_int(value, name: str, *, minimum: int | None = None) -> int:
    """An integer request parameter; booleans and non-integral numbers are a 400."""
    if isinstance(value, bool) or value is None:
        raise ApiError(400, f"{name} must be a number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ApiError(400, f"{name} must be an integer")
        value = int(value)
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ApiError(400, f"{name} must be an integer") from None
    elif not isinstance(value, int):
        raise ApiError(400, f"{name} must be a number")
    if minimum is not None and value < minimum:
        raise ApiError(400, f"{name} must be at least {minimum}")
    return value


class Reply:
    """A successful answer. Either `obj` (dumped as JSON) or raw JSON pieces `prefix + items + suffix`.

    `list_path` names the record list inside `obj` and `broken` is the record the
    malformed-record fault inserts at its head; for raw replies `broken` goes before `items`."""

    __slots__ = ("obj", "prefix", "items", "suffix", "list_path", "broken")

    def __init__(self, obj=None, *, prefix=b"", items=b"", suffix=b"", list_path=(), broken=None):
        self.obj = obj
        self.prefix = prefix
        self.items = items
        self.suffix = suffix
        self.list_path = list_path
        self.broken = broken

    def body(self, broken: bool = False) -> bytes:
        if self.obj is None:
            items = self.items
            if broken and self.broken is not None:
                extra = json.dumps(self.broken, separators=(",", ":")).encode()
                items = extra + (b"," + items if items else b"")
            return self.prefix + items + self.suffix
        obj = self.obj
        if broken and self.broken is not None and self.list_path:
            obj = json.loads(json.dumps(obj))  # deep copy; only on the fault path
            target = obj
            for key in self.list_path:
                target = target[key]
            target.insert(0, self.broken)
        return json.dumps(obj, separators=(",", ":")).encode()
