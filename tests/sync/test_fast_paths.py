"""The ingestion fast paths give exactly what the general paths give.

- AI Code Tracking rows are COPied straight in; a re-fetch (rows already stored) falls back
  to the upsert and updates them, on both write paths;
- the text COPY encodes only the JSON column; a batch whose values are not of their columns'
  exact types goes as text and is stored the same;
- the parsers' shortcuts (epoch milliseconds, Cursor's ISO text, repeated request costs) give
  the datetimes and Decimals of the general conversions.
"""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from analytics import services
from analytics.models import AiChange, CursorMember, UsageEvent
from analytics.services import bulk
from analytics.services.usage_events import EVENT_COLUMNS, USAGE_EVENT_CONFLICT
from integrations.cursor import records
from integrations.cursor.parsing import parse_ai_change, parse_usage_event
from integrations.cursor.values import EPOCH, to_datetime

DAY = date(2026, 8, 3)
CREATED = datetime(2026, 8, 3, 10, tzinfo=UTC)


@pytest.fixture(params=["copy", "orm"])
def write_path(request, monkeypatch):
    if request.param == "orm":
        monkeypatch.setattr(bulk, "_is_postgresql", lambda: False)
    return request.param


def _change(change_id: str, *, model: str = "gpt-5", added: int = 3) -> records.AiChange:
    return records.AiChange(
        change_id=change_id, user_id="user_ada", email="ada@x.test", source="COMPOSER", model=model,
        total_lines_added=added, total_lines_deleted=1, created_at=CREATED,
        metadata=[{"fileExtension": "py", "linesAdded": added, "linesDeleted": 1}],
    )  # fmt: skip


def test_ai_changes_refetched_with_new_values_are_updated(org, write_path):
    directory = services.MemberDirectory(org.id)
    assert services.upsert_ai_changes(org.id, [_change("1"), _change("2")], directory) == 2
    # Cursor re-serves change 1 revised, with a new change 3: one batch, partly stored already.
    assert (
        services.upsert_ai_changes(org.id, [_change("1", model="claude", added=9), _change("3")], directory)
        == 2
    )
    stored = {c.change_id: c for c in AiChange.objects.filter(organization=org)}
    assert sorted(stored) == ["1", "2", "3"]
    assert (stored["1"].model, stored["1"].total_lines_added) == ("claude", 9)
    assert stored["1"].metadata == [{"fileExtension": "py", "linesAdded": 9, "linesDeleted": 1}]
    assert stored["2"].model == "gpt-5"
    assert stored["1"].member_id == CursorMember.objects.get(organization=org, email="ada@x.test").id


def test_rows_of_inexact_types_go_as_text_and_are_stored_the_same(org):
    member = CursorMember.objects.create(organization=org, email="ada@x.test")
    ts = datetime(2026, 8, 3, 9, 30, 0, 123000, tzinfo=UTC)

    def row(fp: str, costs) -> tuple:
        return (
            org.id, member.id, fp, ts, DAY, "gpt-5", "Usage-based", False, costs, True, 10, 20, 0,
            5, Decimal("1.25"), Decimal("1.5"), Decimal("0.25"), False, True, "conv",
        )  # fmt: skip

    # An int in a numeric column: not binary-COPY-able, so the batch goes as text.
    bulk.insert_new(
        UsageEvent, EVENT_COLUMNS, [row("a", 2), row("b", Decimal("2"))], conflict=USAGE_EVENT_CONFLICT
    )
    stored = dict(UsageEvent.objects.filter(organization=org).values_list("fingerprint", "requests_costs"))
    assert stored == {"a": Decimal("2"), "b": Decimal("2")}
    assert {e.timestamp for e in UsageEvent.objects.filter(organization=org)} == {ts}


def _raw_event(timestamp, costs=1.5) -> dict:
    return {
        "timestamp": timestamp, "userEmail": "Ada@X.test", "model": "gpt-5", "kind": "Usage-based",
        "maxMode": False, "requestsCosts": costs, "isTokenBasedCall": True, "isChargeable": True,
        "isHeadless": False, "chargedCents": 1.25, "cursorTokenFee": 0.0,
        "tokenUsage": {"inputTokens": 1, "outputTokens": 2, "totalCents": 1.25},
    }  # fmt: skip


def test_epoch_millisecond_timestamps_are_exact():
    rng = random.Random(7)
    samples = [0, 1, 999, 1754222400123, 4102444799999, 7_999_999_999_999, 8_000_000_000_001]
    samples += [rng.randrange(10**11, 8 * 10**12) for _ in range(2000)]
    for ms in samples:
        parsed = parse_usage_event(_raw_event(str(ms).zfill(12)))
        assert parsed.timestamp == EPOCH + timedelta(milliseconds=ms), ms
        assert parsed.timestamp.tzinfo is UTC


def test_repeated_request_costs_are_the_general_decimals():
    for costs in [0.5, 1.5, 0.5, 2.0, 0.1, 1e-05, -0.0, 0.0, 1.5]:
        parsed = parse_usage_event(_raw_event("1754222400123", costs))
        assert parsed.requests_costs == Decimal(repr(costs))
        assert str(parsed.requests_costs) == str(Decimal(repr(costs)))  # the same digits, too


@pytest.mark.parametrize(
    "text",
    [
        "2026-08-03T10:00:00.000Z",
        "2026-08-03T10:00:00Z",
        "2026-08-03T23:59:59.999Z",
        "2026-08-03T10:00:00+02:00",
    ],
)
def test_iso_text_with_z_reads_as_the_general_path(text):
    general = datetime.fromisoformat(text.strip())
    general = general.replace(tzinfo=UTC) if general.tzinfo is None else general.astimezone(UTC)
    assert to_datetime(text) == general
    assert to_datetime(text).utcoffset() == timedelta(0)
    change = parse_ai_change(
        {"changeId": "7", "userEmail": " Ada@X.test ", "createdAt": text, "metadata": None}
    )
    assert (change.created_at, change.email, change.metadata, change.model) == (general, "ada@x.test", [], "")
