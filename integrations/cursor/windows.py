"""Date windows for Cursor's range-limited endpoints (at most 30 days per request)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

DAY_MS = 86_400_000
MAX_WINDOW_DAYS = 30


def day_windows(start: date, end: date, max_days: int = MAX_WINDOW_DAYS) -> list[tuple[date, date]]:
    """Split inclusive ``start..end`` into consecutive inclusive windows of ≤ ``max_days`` days."""
    windows = []
    first = start
    while first <= end:
        last = min(end, first + timedelta(days=max_days - 1))
        windows.append((first, last))
        first = last + timedelta(days=1)
    return windows


def ms_windows(start_ms: int, end_ms: int, max_days: int = MAX_WINDOW_DAYS) -> list[tuple[int, int]]:
    """Split inclusive epoch-ms ``start..end`` into windows within ``max_days`` UTC days.

    Each window ends at 23:59:59.999 UTC of its last day (or at ``end_ms``) and the next one
    starts 1 ms later, at midnight: no gap, no overlap, each window spans < ``max_days`` days.
    """
    windows = []
    first = start_ms
    while first <= end_ms:
        day_start = first - first % DAY_MS
        last = min(end_ms, day_start + max_days * DAY_MS - 1)
        windows.append((first, last))
        first = last + 1
    return windows


def as_date(value) -> date:
    if isinstance(value, datetime):
        return (value if value.tzinfo is None else value.astimezone(UTC)).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")


def day_start_ms(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY_MS


def to_ms(value, *, end_of_day: bool) -> int:
    """Aware/naive (UTC) datetime to epoch ms (floor); a date means its first or last ms."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        delta = value - datetime(1970, 1, 1, tzinfo=UTC)
        return delta // timedelta(milliseconds=1)
    if isinstance(value, date):
        return day_start_ms(value) + (DAY_MS - 1 if end_of_day else 0)
    raise TypeError(f"expected a datetime, got {type(value).__name__}")


def iso_ms(ms: int) -> str:
    dt = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
