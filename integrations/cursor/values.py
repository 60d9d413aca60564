"""Scalar conversions shared by the record parsers: tolerant of every shape Cursor has sent.

Each function accepts the JSON value as decoded by ``parsing.decode_json`` (so fractional
numbers are ``Decimal``) and raises TypeError/ValueError/ArithmeticError on a value that cannot
mean what the field means; the caller then skips the record.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

ZERO = Decimal(0)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECONDS_CUTOFF = 100_000_000_000  # below this an epoch number is seconds (year < 5138), else ms


def epoch_to_datetime(n: int | Decimal | float) -> datetime:
    """Epoch milliseconds (or seconds, for small values) to an aware UTC datetime."""
    if n.__class__ is not int:
        n = Decimal(str(n)) if n.__class__ is float else Decimal(n)
        if abs(n) < SECONDS_CUTOFF:
            n *= 1000
        return EPOCH + timedelta(microseconds=int(n * 1000))
    if -SECONDS_CUTOFF < n < SECONDS_CUTOFF:
        return EPOCH + timedelta(seconds=n)
    return EPOCH + timedelta(milliseconds=n)


def to_datetime(v) -> datetime:
    """Epoch ms/s (number or digit string) or ISO 8601 to an aware UTC datetime."""
    cls = v.__class__
    if cls is str:
        if v[-1:] == "Z" and v[:1].isdigit():
            # Cursor's usual ISO text ("2026-08-03T09:15:00.123Z"): nothing to strip, and
            # fromisoformat reads the Z as UTC itself (the general path below gives the same).
            dt = datetime.fromisoformat(v)
            return dt if dt.tzinfo is UTC else dt.astimezone(UTC)
        if v.isdigit():
            return epoch_to_datetime(int(v))
        s = v.strip()
        if not s:
            raise ValueError("empty datetime")
        if s.lstrip("-").replace(".", "", 1).isdigit():
            return epoch_to_datetime(Decimal(s))
        dt = datetime.fromisoformat(s)
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    if cls is int or cls is Decimal or cls is float:
        return epoch_to_datetime(v)
    if cls is datetime:
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    raise TypeError(f"expected a timestamp, got {cls.__name__}")


def to_optional_datetime(v) -> datetime | None:
    return None if v is None or v == "" else to_datetime(v)


def to_date(v) -> date:
    """``"YYYY-MM-DD"``, an ISO datetime, or an epoch number to a UTC date."""
    if v.__class__ is str and len(v) >= 10 and v[4:5] == "-" and (len(v) == 10 or v[10] in "T "):
        if len(v) == 10:
            return date.fromisoformat(v)
        return to_datetime(v).date()
    if isinstance(v, date) and not isinstance(v, datetime):
        return v
    return to_datetime(v).date()


def to_int(v) -> int:
    cls = v.__class__
    if cls is int:
        return v
    if v is None or v == "":
        return 0
    if cls is bool:
        return int(v)
    if cls is str:
        v = Decimal(v.strip())
    elif cls is float:
        v = Decimal(str(v))
    elif cls is not Decimal:
        raise TypeError(f"expected a number, got {cls.__name__}")
    if not v.is_finite():
        raise ValueError("non-finite number")
    return int(v)


def to_optional_int(v) -> int | None:
    return None if v is None or v == "" else to_int(v)


def to_decimal(v) -> Decimal:
    cls = v.__class__
    if cls is Decimal:
        if not v.is_finite():
            raise ValueError("non-finite number")
        return v
    if cls is int:
        return Decimal(v)
    if v is None or v == "":
        return ZERO
    if cls is str:
        d = Decimal(v.strip())
    elif cls is float:
        d = Decimal(str(v))
    else:
        raise TypeError(f"expected a number, got {cls.__name__}")
    if not d.is_finite():
        raise ValueError("non-finite number")
    return d


def to_optional_decimal(v) -> Decimal | None:
    return None if v is None or v == "" else to_decimal(v)


def to_bool(v) -> bool:
    if v is True or v is False:
        return v
    if v is None:
        return False
    cls = v.__class__
    if cls is int:
        return v != 0
    if cls is str:
        s = v.strip().lower()
        if s in ("true", "1", "yes"):
            return True
        if s in ("false", "0", "no", ""):
            return False
    raise ValueError(f"expected a boolean, got {cls.__name__}")


def to_optional_bool(v) -> bool | None:
    return None if v is None else to_bool(v)


def to_str(v) -> str:
    cls = v.__class__
    if cls is str:
        return v
    if v is None:
        return ""
    if cls is int or cls is Decimal or cls is float or cls is bool:
        return str(v)
    raise TypeError(f"expected a string, got {cls.__name__}")


def to_email(v) -> str:
    if v.__class__ is str:
        return v.strip().lower()
    if v is None:
        return ""
    raise TypeError(f"expected an email string, got {v.__class__.__name__}")


def to_user_id(v) -> str:
    """``"user_…"`` or a numeric id to ``str``; absent -> ``""``.

    Numeric ids are the shape of Cursor's first-half-2026 docs (D3 in docs/cursor-api.md §0).
    """
    cls = v.__class__
    if cls is str:
        return v.strip()
    if cls is int:
        return str(v)
    if v is None:
        return ""
    if cls is Decimal and v == v.to_integral_value():
        return str(int(v))
    raise TypeError(f"expected a user id, got {cls.__name__}")


def require_email(v) -> str:
    email = to_email(v)
    if not email:
        raise KeyError("email")
    return email
