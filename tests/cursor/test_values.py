"""Scalar conversions used by every record parser."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from integrations.cursor.parsing import decode_json, has_next_page
from integrations.cursor.values import (
    to_bool,
    to_date,
    to_datetime,
    to_decimal,
    to_email,
    to_int,
    to_str,
    to_user_id,
)

MS = 1754040000123
AT = datetime(2025, 8, 1, 9, 20, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        str(MS),
        MS,
        Decimal(MS),
        Decimal("1754040000.123"),  # epoch seconds with a fraction
        "1754040000.123",
        "2025-08-01T09:20:00.123Z",
        "2025-08-01T11:20:00.123+02:00",
        "2025-08-01T09:20:00.123",  # naive: taken as UTC
        datetime(2025, 8, 1, 9, 20, 0, 123000),
    ],
)
def test_to_datetime_accepts_every_form_and_returns_aware_utc(value):
    result = to_datetime(value)
    assert result == AT
    assert result.utcoffset() == timedelta(0)


def test_to_datetime_epoch_seconds_and_offsets():
    assert to_datetime(1754040000) == datetime(2025, 8, 1, 9, 20, tzinfo=UTC)
    plus_two = datetime(2025, 8, 1, 11, 20, tzinfo=timezone(timedelta(hours=2)))
    assert to_datetime(plus_two).tzinfo is UTC


@pytest.mark.parametrize("value", [None, "", "  ", "not-a-number", {}, [], True])
def test_to_datetime_rejects_garbage(value):
    with pytest.raises((TypeError, ValueError)):
        to_datetime(value)


def test_to_date_forms():
    assert to_date("2026-08-03") == date(2026, 8, 3)
    assert to_date("2026-08-03T23:30:00-02:00") == date(2026, 8, 4)  # the UTC day
    assert to_date(1754006400000) == date(2025, 8, 1)
    assert to_date(date(2026, 1, 2)) == date(2026, 1, 2)
    with pytest.raises(ValueError):
        to_date("2026-13-01")


def test_decimals_stay_exact():
    values = decode_json(b'{"a": 0.1, "b": 1234.567891, "c": 2, "d": 1e-7}')
    assert to_decimal(values["a"]) * 3 == Decimal("0.3")
    assert to_decimal(values["b"]) == Decimal("1234.567891")
    assert to_decimal(values["c"]) == Decimal(2)
    assert to_decimal(values["d"]) == Decimal("1E-7")
    assert to_decimal(0.1) == Decimal("0.1")  # a stray float goes through its repr, not binary
    assert to_decimal(None) == 0 and to_decimal("") == 0
    assert to_decimal(" 8.40 ") == Decimal("8.40")
    for bad in ("NaN", "Infinity", "lots", [1]):
        with pytest.raises((ArithmeticError, ValueError, TypeError)):
            to_decimal(bad)


def test_ints():
    assert to_int(3) == 3
    assert to_int(None) == 0
    assert to_int(Decimal("4.0")) == 4
    assert to_int("12") == 12
    assert to_int(True) == 1
    with pytest.raises((ArithmeticError, ValueError, TypeError)):
        to_int("many")
    with pytest.raises(TypeError):
        to_int({})


def test_bools():
    assert to_bool(True) is True and to_bool(None) is False
    assert to_bool("true") is True and to_bool("FALSE") is False
    assert to_bool(0) is False and to_bool(1) is True
    with pytest.raises(ValueError):
        to_bool("perhaps")


def test_strings_emails_and_user_ids():
    assert to_str(None) == "" and to_str(5) == "5"
    with pytest.raises(TypeError):
        to_str({"a": 1})
    assert to_email("  Ada@Example.COM ") == "ada@example.com"
    assert to_email(None) == ""
    assert to_user_id(12345) == "12345"
    assert to_user_id(Decimal("12345.0")) == "12345"
    assert to_user_id(" user_abc ") == "user_abc"
    assert to_user_id(None) == ""
    with pytest.raises(TypeError):
        to_user_id(True)


@pytest.mark.parametrize(
    "envelope, page, expected",
    [
        ({"pagination": {"hasNextPage": True}}, 1, True),
        ({"pagination": {"hasNextPage": False, "totalPages": 9}}, 1, False),
        ({"pagination": {"numPages": 3, "currentPage": 2}}, 2, True),
        ({"pagination": {"numPages": 3, "currentPage": 3}}, 3, False),
        ({"totalPages": 2, "totalMembers": 150}, 1, True),  # spend: top-level only
        ({"totalPages": 2, "totalMembers": 150}, 2, False),
        ({"totalCount": 2500, "page": 2, "pageSize": 1000}, 2, True),  # AI code: fetched < total
        ({"pagination": {"totalItems": 10}}, 1, False),
        ({"pagination": {"totalUsers": 30, "pageSize": 10}}, 2, True),  # users, not rows
        ({"pagination": {"totalUsers": 30, "pageSize": 10}}, 3, False),
        ({}, 1, False),
    ],
)
def test_has_next_page_variants(envelope, page, expected):
    fetched = 1000 * page if "totalCount" in envelope else 10 * page
    assert has_next_page(envelope, page, 1000, 10, fetched) is expected
