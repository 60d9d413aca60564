"""Date parameter parsing, one function per API family (docs/cursor-api.md §1.6)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from .util import ApiError, dt_to_ms

_RELATIVE = re.compile(r"^(\d+)([dhs])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_iso(text: str) -> datetime:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_audit_time(value, now: datetime, name: str) -> int:
    """Audit-log `startTime`/`endTime`: now, today, yesterday, Nd/Nh/Ns, ISO (Z or offset),
    YYYY-MM-DD (midnight UTC), or Unix seconds / milliseconds. Returns epoch ms."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value)
        return number * 1000 if abs(number) < 100_000_000_000 else number
    text = str(value).strip().lower()
    if text == "now":
        return dt_to_ms(now)
    if text == "today":
        return dt_to_ms(_midnight(now.date()))
    if text == "yesterday":
        return dt_to_ms(_midnight(now.date() - timedelta(days=1)))
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = {
            "d": timedelta(days=amount),
            "h": timedelta(hours=amount),
            "s": timedelta(seconds=amount),
        }
        return dt_to_ms(now - delta[unit])
    if re.fullmatch(r"-?\d+", text):
        return parse_audit_time(int(text), now, name)
    try:
        if _DATE.match(text):
            return dt_to_ms(_midnight(date.fromisoformat(text)))
        return dt_to_ms(_parse_iso(str(value)))
    except ValueError:
        raise ApiError(400, f"Invalid {name}: {value}") from None


def parse_analytics_date(value: str, now: datetime, name: str) -> date:
    """Analytics `startDate`/`endDate`: YYYY-MM-DD, ISO (time ignored), now/today, yesterday, Nd."""
    text = value.strip().lower()
    today = now.date()
    if text in ("now", "today"):
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    match = re.fullmatch(r"(\d+)d", text)
    if match:
        return today - timedelta(days=int(match.group(1)))
    try:
        if _DATE.match(text):
            return date.fromisoformat(text)
        return _parse_iso(value).date()
    except ValueError:
        raise ApiError(400, f"Invalid {name}: {value}") from None


def analytics_range(query: dict, now: datetime, max_days: int = 30) -> tuple[date, date]:
    """Resolved (start, end) days, default the last 7 days; ranges over `max_days` are a 400."""
    today = now.date()
    start = parse_analytics_date(query["startDate"], now, "startDate") if query.get("startDate") else None
    end = parse_analytics_date(query["endDate"], now, "endDate") if query.get("endDate") else today
    if start is None:
        start = end - timedelta(days=7)
    if start > end:
        raise ApiError(400, "startDate must be before endDate")
    if (end - start).days > max_days:
        raise ApiError(400, f"Date range cannot exceed {max_days} days")
    return start, end


def parse_ai_code_time(value: str, now: datetime, name: str, *, end: bool) -> int:
    """AI Code Tracking `startDate`/`endDate`: ISO date or datetime, "now", or "Nd" (now - N days).
    A bare YYYY-MM-DD end date covers that whole day. Returns epoch ms."""
    text = value.strip().lower()
    if text == "now":
        return dt_to_ms(now)
    match = re.fullmatch(r"(\d+)d", text)
    if match:
        return dt_to_ms(now - timedelta(days=int(match.group(1))))
    try:
        if _DATE.match(text):
            day = date.fromisoformat(text)
            start_ms = dt_to_ms(_midnight(day))
            return start_ms + 86_400_000 - 1 if end else start_ms
        return dt_to_ms(_parse_iso(value))
    except ValueError:
        raise ApiError(400, f"Invalid {name}: {value}") from None
