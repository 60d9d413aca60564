"""Usage-event fingerprints keep the values earlier versions stored.

Cursor sends events without an id; the fingerprint is their identity, and re-syncs are
idempotent only if a new version of the code computes, for the same event, the fingerprint
an older one stored. The ingestion hot path was rewritten for speed (orjson decoding, a
faster number canonicalization, NamedTuple records), so these tests hold it to the original
implementation, copied here verbatim as the reference.
"""

import hashlib
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from analytics import services
from analytics.models import UsageEvent
from analytics.services import usage_events
from integrations.cursor.parsing import decode_json, parse_usage_event

from .records import at, event

DAY = date(2026, 8, 3)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# -- the reference: the fingerprint as first shipped ---------------------------------------------


def _reference_num(d) -> str:
    return format(d.normalize(), "f") if d else "0"


def _reference_content(e) -> str:
    return "\x1f".join(
        (
            str((e.timestamp - _EPOCH) // timedelta(milliseconds=1)),
            e.email,
            e.model,
            e.kind,
            "1" if e.max_mode else "0",
            _reference_num(e.requests_costs),
            "1" if e.is_token_based_call else "0",
            "1" if e.is_chargeable else "0",
            "1" if e.is_headless else "0",
            str(e.input_tokens),
            str(e.output_tokens),
            str(e.cache_write_tokens),
            str(e.cache_read_tokens),
            _reference_num(e.token_cents),
            _reference_num(e.charged_cents),
            _reference_num(e.cursor_token_fee),
            e.conversation_id,
        )
    )


class ReferenceFingerprinter:
    def __init__(self):
        self._seen = Counter()

    def __call__(self, e) -> str:
        digest = hashlib.sha256(_reference_content(e).encode()).digest()
        ordinal = self._seen[digest]
        self._seen[digest] = ordinal + 1
        return hashlib.sha256(digest + ordinal.to_bytes(4, "big")).hexdigest()


def _reference_decode(content: bytes):
    return json.loads(content, parse_float=Decimal)


# -- tests ----------------------------------------------------------------------------------------

AWKWARD_NUMBERS = [
    "0", "0.0", "-0.0", "1", "10", "100", "100.000", "2.50", "2.5", "0.1", "0.30000000000000004",
    "1e-7", "1.5E+3", "0.000001", "0.0000001", "123456.789012", "17.6978", "-4.4", "1e16", "7",
]  # fmt: skip


@pytest.mark.parametrize("text", AWKWARD_NUMBERS)
def test_number_text_is_the_reference_text(text):
    value = Decimal(text)
    assert usage_events._num(value) == _reference_num(value)


def _raw_event(i: int, money: str) -> str:
    ts, email, conversation = 1754222400000 + i * 1000, f"Dev{i % 3}@X.test", f"c{i % 2}"
    return (
        f'{{"timestamp":"{ts}","userEmail":"{email}","model":"claude-4.5-sonnet","kind":"Usage-based",'
        f'"maxMode":false,"requestsCosts":{money},"isTokenBasedCall":true,"isChargeable":true,'
        f'"isHeadless":false,"tokenUsage":{{"inputTokens":{i},"outputTokens":3,"cacheWriteTokens":0,'
        f'"cacheReadTokens":5,"totalCents":{money}}},"chargedCents":{money},"cursorTokenFee":{money},'
        f'"conversationId":"{conversation}"}}'
    )


@pytest.mark.parametrize("long_numbers", [False, True], ids=["orjson", "exact-decoder"])
def test_decoding_and_fingerprints_match_the_reference_path(long_numbers):
    """The same page through the new path (orjson, fast parse, fast fingerprint) and the
    reference path (json + Decimal, reference fingerprint) gives the same records' values and
    the same fingerprints, identical events included (their ordinals)."""
    numbers = [n for n in AWKWARD_NUMBERS if long_numbers or len(n) < 16]
    raws = [_raw_event(i, numbers[i % len(numbers)]) for i in range(60)]
    raws += raws[:5]  # genuinely identical events: ordinals 1
    body = ('{"usageEvents":[' + ",".join(raws) + "]}").encode()
    new = [parse_usage_event(r) for r in decode_json(body)["usageEvents"]]
    old = [parse_usage_event(r) for r in _reference_decode(body)["usageEvents"]]
    assert [tuple(e) for e in new] == [tuple(e) for e in old]
    fp_new, fp_old = usage_events.EventFingerprinter(), ReferenceFingerprinter()
    assert [fp_new(e) for e in new] == [fp_old(e) for e in old]


def test_long_numbers_take_the_exact_decoder():
    body = b'{"a": 0.10000000000000001, "b": 1.5}'
    values = decode_json(body)
    assert values["a"] == Decimal("0.10000000000000001")  # not the double's 0.1
    assert decode_json(b'{"a": 0.1}')["a"] == 0.1  # short: orjson's float, read exactly by the parsers


def test_resync_over_rows_stored_by_the_reference_keeps_them(org, monkeypatch):
    """Rows stored with the reference fingerprints (an older version of the code) are matched by
    a re-sync with the current code: nothing duplicated, nothing deleted."""
    directory = services.MemberDirectory(org.id)
    day_events = [event(f"dev{i % 4}@x.test", at(DAY, 9, i), token_cents=Decimal("2.50")) for i in range(30)]
    day_events += day_events[:3]  # identical events are kept, each once
    with monkeypatch.context() as patched:
        patched.setattr(usage_events, "EventFingerprinter", ReferenceFingerprinter)
        services.EventWriter(org.id, directory).write_day(DAY, day_events)
    stored = set(UsageEvent.objects.filter(organization=org).values_list("id", "fingerprint"))
    assert len(stored) == 33

    services.EventWriter(org.id, directory).write_day(DAY, day_events, reconcile=True)
    assert set(UsageEvent.objects.filter(organization=org).values_list("id", "fingerprint")) == stored
