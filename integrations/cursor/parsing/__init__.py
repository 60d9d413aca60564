"""Turn raw Cursor JSON records into the normalized records of ``records.py``.

JSON is decoded by orjson (see ``decode_json``); money is turned into ``Decimal`` by the parsers
from the shortest text of the decoded float, which is exactly the JSON text whenever that text
has at most 15 significant digits. A body holding a longer number is decoded by the standard
library with ``parse_float=Decimal`` instead, so money never loses a digit either way.

Each ``parse_*`` function takes one raw record and either returns a record or raises one of
``RECORD_ERRORS``; the client then skips that record. One module per API family:

- ``admin``: members, daily usage rows, member spend and audit events;
- ``usage_events``: usage events, the hot path (they are parsed in bulk);
- ``analytics``: team analytics rows and leaderboard entries;
- ``ai_code``: AI Code Tracking commits and changes;
- ``envelopes``: ``has_next_page``, for every pagination envelope variant.

Callers import from this package, not from its modules.
"""

from __future__ import annotations

import json
from decimal import Decimal

import orjson

from ..values import to_datetime  # re-exported: callers read timestamps as the parsers do
from .admin import (
    UNASSIGNED_GROUP_ID,
    parse_audit_event,
    parse_billing_group,
    parse_daily_row,
    parse_member,
    parse_member_spend,
)
from .ai_code import parse_ai_change, parse_ai_commit
from .analytics import ANALYTICS_KEY_FIELDS, parse_analytics_record, parse_leaderboard_entry
from .envelopes import has_next_page
from .usage_events import parse_usage_event

# What a malformed record can raise while being parsed. Decimal's InvalidOperation is an
# ArithmeticError; a non-dict record raises AttributeError on ``.get``.
RECORD_ERRORS = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError)


# A run of 16 or more digits and dots: a number a double may not hold exactly (a decimal of
# at most 15 significant digits always survives the round trip through a double and ``repr``),
# or a long integer. Found by mapping digits and dots to "0" and the rest to " " (two C-speed
# passes: a regular expression would cost more than orjson's whole decode).
_NUMBER_CHARS = bytes(ord("0") if chr(c) in "0123456789." else ord(" ") for c in range(256))
_LONG_RUN = b"0" * 16


def decode_json(content: bytes):
    """Decode a response body; every fractional number keeps its exact decimal value.

    orjson decodes several times faster than the standard library, the largest single cost of a
    backfill (a page of 1,000 usage events). It gives fractions as floats: for text of at most
    15 significant digits ``Decimal(repr(f))`` is exactly the text's value, and how the
    parsers read them (``values.to_decimal``). A body with a longer run of digits (rare: no
    money Cursor sends has 16 digits) takes the exact path, ``parse_float=Decimal``.
    """
    if _LONG_RUN not in content.translate(_NUMBER_CHARS):
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass  # what orjson refuses but the standard library reads (a BOM, NaN) decodes as before
    return json.loads(content, parse_float=Decimal)


__all__ = [
    "ANALYTICS_KEY_FIELDS",
    "UNASSIGNED_GROUP_ID",
    "RECORD_ERRORS",
    "decode_json",
    "has_next_page",
    "parse_ai_change",
    "parse_ai_commit",
    "parse_analytics_record",
    "parse_audit_event",
    "parse_billing_group",
    "parse_daily_row",
    "parse_leaderboard_entry",
    "parse_member",
    "parse_member_spend",
    "parse_usage_event",
    "to_datetime",
]
