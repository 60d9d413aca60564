"""Turn raw Cursor JSON records into the normalized records of ``records.py``.

JSON is decoded with ``parse_float=Decimal`` (see ``decode_json``), so money arrives here as
``Decimal`` built from the JSON text and never passes through a binary float.

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


def decode_json(content: bytes):
    """Decode a response body, keeping every JSON number with a fraction as an exact Decimal."""
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
