"""Each CursorClient endpoint against httpx.MockTransport: shapes, windows, pagination, legacy."""

from __future__ import annotations

import logging
import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from integrations.cursor.client import ANALYTICS_TEAM_METRICS, day_windows, ms_windows
from integrations.cursor.errors import InvalidApiKey, PlanRequired, RateLimited, UpstreamError
from integrations.cursor.records import (
    AnalyticsRow,
    Capabilities,
    DailyUsageRow,
    Member,
    MemberSpend,
    UsageEvent,
)

from .fakes import (
    API_KEY,
    FakeCursor,
    ai_change,
    ai_commit,
    body_of,
    daily_row,
    error,
    member,
    ok,
    raw,
    spend_row,
    usage_event,
)

DAY = 86_400_000


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def fake():
    return FakeCursor()


# -- members ------------------------------------------------------------------------------------


def test_members_d4_shape(fake):
    fake.route(
        "GET",
        "/teams/members",
        ok({"teamMembers": [member(1, role="owner"), member(2, isRemoved=True, extra="ignored")]}),
    )
    assert fake.client().members() == [
        Member("user_0001", "user1@example.com", "User 1", "owner", False),
        Member("user_0002", "user2@example.com", "User 2", "member", True),
    ]


def test_members_legacy_numeric_and_missing_ids(fake):
    legacy = {"name": "Old", "email": "OLD@example.com", "role": "free-owner"}
    fake.route("GET", "/teams/members", ok({"teamMembers": [member(1, id=12345), legacy]}))
    members = fake.client().members()
    assert members[0].user_id == "12345"
    assert members[1] == Member("", "old@example.com", "Old", "free-owner", False)


def test_members_malformed_record_is_skipped_and_logged(fake, caplog):
    caplog.set_level(logging.WARNING)
    records = [member(1), {"name": "no email"}, "not an object", member(2, isRemoved="maybe")]
    records.append(member(3))
    fake.route("GET", "/teams/members", ok({"teamMembers": records}))
    client = fake.client()
    assert [m.user_id for m in client.members()] == ["user_0001", "user_0003"]
    assert client.skipped_records == 3
    skipped = [r for r in caplog.records if "skipped malformed member" in r.getMessage()]
    assert len(skipped) == 3
    assert all("/teams/members" in r.getMessage() for r in skipped)
    assert "#1" in skipped[0].getMessage() and "email" in skipped[0].getMessage()
    assert all(API_KEY not in r.getMessage() for r in caplog.records)


# -- daily usage --------------------------------------------------------------------------------


def test_daily_usage_windows_are_30_day_aligned_without_gap_or_overlap(fake):
    fake.route("POST", "/teams/daily-usage-data", ok({"data": [], "pagination": {}}))
    list(fake.client().daily_usage(date(2026, 1, 1), date(2026, 3, 15)))
    assert fake.bodies() == [
        {
            "startDate": ms(utc(2026, 1, 1)),
            "endDate": ms(utc(2026, 1, 30)) + DAY - 1,
            "page": 1,
            "pageSize": 500,
        },
        {
            "startDate": ms(utc(2026, 1, 31)),
            "endDate": ms(utc(2026, 3, 1)) + DAY - 1,
            "page": 1,
            "pageSize": 500,
        },
        {
            "startDate": ms(utc(2026, 3, 2)),
            "endDate": ms(utc(2026, 3, 15)) + DAY - 1,
            "page": 1,
            "pageSize": 500,
        },
    ]
    bodies = fake.bodies()
    for prev, nxt in zip(bodies, bodies[1:], strict=False):
        assert nxt["startDate"] == prev["endDate"] + 1
    assert all(b["endDate"] - b["startDate"] < 30 * DAY for b in bodies)


def test_daily_usage_single_day_and_empty_range(fake):
    fake.route("POST", "/teams/daily-usage-data", ok({"data": []}))
    client = fake.client()
    list(client.daily_usage(date(2026, 8, 3), date(2026, 8, 3)))
    assert fake.bodies()[0]["startDate"] == ms(utc(2026, 8, 3))
    assert fake.bodies()[0]["endDate"] == ms(utc(2026, 8, 4)) - 1
    assert list(client.daily_usage(date(2026, 8, 4), date(2026, 8, 3))) == []
    assert len(fake.requests) == 1


def test_daily_usage_pages_by_users_and_parses_rows(fake):
    # 3 users per page of the request's pageSize; totalUsers counts users, not rows.
    pages = {
        1: [daily_row(1, "2026-08-01"), daily_row(1, "2026-08-02"), daily_row(2, "2026-08-01")],
        2: [
            daily_row(
                3,
                "2026-08-01",
                userId="user_abc",
                isActive=False,
                totalLinesAdded=0,
                mostUsedModel=None,
                clientVersion=None,
            )
        ],
    }

    def handler(request):
        page = body_of(request)["page"]
        pagination = {"page": page, "pageSize": 2, "totalUsers": 3, "totalPages": 2}
        return ok({"data": pages[page], "pagination": pagination})

    fake.route("POST", "/teams/daily-usage-data", handler)
    rows = list(fake.client().daily_usage(date(2026, 8, 1), date(2026, 8, 2)))
    assert len(rows) == 4
    assert [b["page"] for b in fake.bodies()] == [1, 2]
    first = rows[0]
    assert isinstance(first, DailyUsageRow)
    assert (first.user_id, first.email, first.day, first.is_active) == (
        "1",
        "user1@example.com",
        date(2026, 8, 1),
        True,
    )
    assert (first.total_lines_added, first.cmdk_usages, first.tab_most_used_extension) == (
        10,
        4,
        ".tsx",
    )
    inactive = rows[3]
    assert (inactive.user_id, inactive.is_active, inactive.total_lines_added) == (
        "user_abc",
        False,
        0,
    )
    assert (inactive.most_used_model, inactive.client_version) == ("", "")


def test_daily_usage_legacy_rows_without_day_user_id_or_is_active(fake):
    legacy = daily_row(1, "x", date=ms(utc(2026, 8, 2)))
    for key in ("day", "userId", "isActive"):
        del legacy[key]
    idle = dict(legacy, email="idle@example.com")
    for key in list(idle):
        if key not in ("date", "email"):
            idle[key] = 0 if key != "mostUsedModel" else None
    fake.route("POST", "/teams/daily-usage-data", ok({"data": [legacy, idle]}))
    rows = list(fake.client().daily_usage(date(2026, 8, 2), date(2026, 8, 2)))
    assert [(r.user_id, r.day, r.is_active) for r in rows] == [
        (None, date(2026, 8, 2), True),
        (None, date(2026, 8, 2), False),
    ]


def test_daily_usage_skips_malformed_rows(fake):
    no_day = daily_row(1, "2026-08-01")
    del no_day["day"], no_day["date"]
    no_email = daily_row(3, "2026-08-01")
    del no_email["email"]
    # The simulator's broken row: a user id and day, a garbage epoch date and no email.
    garbage = {"userId": "user_broken", "day": "2026-08-01", "date": "not-a-number"}
    disagree = daily_row(4, "2026-08-01", date=ms(utc(2026, 8, 2)))
    rows = [no_day, no_email, garbage, disagree, daily_row(2, "2026-08-01")]
    fake.route("POST", "/teams/daily-usage-data", ok({"data": rows}))
    client = fake.client()
    assert [r.user_id for r in client.daily_usage(date(2026, 8, 1), date(2026, 8, 1))] == ["2"]
    assert client.skipped_records == 4


# -- usage events -----------------------------------------------------------------------------


def test_usage_event_d4_fields_are_normalized_exactly(fake):
    plain = usage_event(2, ts_ms=1754039000456, model="composer-1", kind="Included in Business")
    for key in ("tokenUsage", "cursorTokenFee", "conversationId"):
        del plain[key]
    plain.update(isTokenBasedCall=False, isChargeable=False, chargedCents=0, requestsCosts=1.4)
    fake.route(
        "POST",
        "/teams/filtered-usage-events",
        ok({"usageEvents": [usage_event(1, userEmail=" Ada@Example.COM"), plain]}),
    )
    events = list(fake.client().usage_events(utc(2025, 8, 1), utc(2025, 8, 1, 23, 59)))
    assert events[0] == UsageEvent(
        timestamp=utc(2025, 8, 1, 9, 20, 0, 123000),
        email="ada@example.com",
        model="claude-4.5-sonnet",
        kind="Usage-based",
        max_mode=False,
        requests_costs=Decimal("2"),
        is_token_based_call=True,
        is_chargeable=True,
        is_headless=False,
        input_tokens=900,
        output_tokens=210,
        cache_write_tokens=4000,
        cache_read_tokens=12000,
        token_cents=Decimal("7.91"),
        charged_cents=Decimal("8.4"),
        cursor_token_fee=Decimal("0.49"),
        conversation_id="conv-1",
    )
    second = events[1]
    assert second.timestamp == utc(2025, 8, 1, 9, 3, 20, 456000)
    assert (second.input_tokens, second.token_cents, second.cursor_token_fee) == (0, 0, 0)
    assert second.requests_costs == Decimal("1.4")  # exact, not 1.399999…
    assert second.conversation_id == ""


def test_usage_events_sum_of_fractional_cents_is_exact(fake):
    events = [usage_event(i, chargedCents=0.1) for i in range(10)]
    fake.route("POST", "/teams/filtered-usage-events", ok({"usageEvents": events}))
    got = fake.client().usage_events(utc(2026, 8, 1), utc(2026, 8, 2))
    assert sum(e.charged_cents for e in got) == Decimal("1.0")


def test_usage_events_windows_end_at_last_millisecond_of_day(fake):
    fake.route("POST", "/teams/filtered-usage-events", ok({"usageEvents": []}))
    start = utc(2026, 1, 10, 15, 30)
    end = utc(2026, 3, 1, 12, 0, 0, 250000)
    list(fake.client().usage_events(start, end))
    assert fake.bodies() == [
        {"startDate": ms(start), "endDate": ms(utc(2026, 2, 9)) - 1, "page": 1, "pageSize": 1000},
        {
            "startDate": ms(utc(2026, 2, 9)),
            "endDate": ms(end),
            "page": 1,
            "pageSize": 1000,
        },
    ]
    assert fake.bodies()[0]["endDate"] % DAY == DAY - 1


def test_usage_events_naive_datetimes_and_dates_are_utc(fake):
    fake.route("POST", "/teams/filtered-usage-events", ok({"usageEvents": []}))
    client = fake.client()
    list(client.usage_events(datetime(2026, 8, 1, 6), datetime(2026, 8, 1, 7)))
    list(client.usage_events(date(2026, 8, 1), date(2026, 8, 2)))
    bodies = fake.bodies()
    assert (bodies[0]["startDate"], bodies[0]["endDate"]) == (
        ms(utc(2026, 8, 1, 6)),
        ms(utc(2026, 8, 1, 7)),
    )
    assert (bodies[1]["startDate"], bodies[1]["endDate"]) == (
        ms(utc(2026, 8, 1)),
        ms(utc(2026, 8, 3)) - 1,
    )


def test_usage_events_many_pages(fake):
    total = 4321

    def handler(request):
        body = body_of(request)
        size = body["pageSize"]
        page = body["page"]
        first = (page - 1) * size
        items = [usage_event(i, ts_ms=1754040000000 - i) for i in range(first, min(total, first + size))]
        return ok(
            {
                "totalUsageEventsCount": total,
                "pagination": {
                    "numPages": math.ceil(total / size),
                    "currentPage": page,
                    "pageSize": size,
                    "hasNextPage": page * size < total,
                    "hasPreviousPage": page > 1,
                },
                "usageEvents": items,
            }
        )

    fake.route("POST", "/teams/filtered-usage-events", handler)
    events = list(fake.client().usage_events(utc(2025, 7, 1), utc(2025, 7, 30)))
    assert len(events) == total
    assert [b["page"] for b in fake.bodies()] == [1, 2, 3, 4, 5]
    assert len({e.conversation_id for e in events}) == total


def test_usage_events_legacy_page_size_10_and_old_envelope(fake):
    """A server as the older docs describe it (D1–D3 in docs/cursor-api.md §0) ignores
    pageSize=1000, serves 10 per page and reports numPages only."""
    total = 113

    def handler(request):
        page = body_of(request)["page"]
        items = [usage_event(i) for i in range((page - 1) * 10, min(total, page * 10))]
        return ok(
            {
                "totalUsageEventsCount": total,
                "pagination": {"numPages": 12, "currentPage": page, "pageSize": 10},
                "usageEvents": items,
            }
        )

    fake.route("POST", "/teams/filtered-usage-events", handler)
    events = list(fake.client().usage_events(utc(2025, 7, 1), utc(2025, 7, 2)))
    assert len(events) == total
    assert len(fake.requests) == 12


def test_usage_events_legacy_field_names(fake):
    label = usage_event(1, kindLabel="Included in Pro", isFreeBugbot=False)
    del label["kind"]
    snake_kind = usage_event(2, kind_label="Usage-based")
    del snake_kind["kind"]
    no_d3_fields = usage_event(3)
    for key in ("chargedCents", "isChargeable", "isHeadless", "conversationId"):
        del no_d3_fields[key]
    snake = {
        "timestamp": "1754040000123",
        "user_email": "SNAKE@example.com",
        "model": "gpt-5",
        "kind": "Usage-based",
        "max_mode": True,
        "requests_costs": 1,
        "is_token_based_call": True,
        "token_usage": {"input_tokens": 5, "output_tokens": 6, "total_cents": 0.5},
        "charged_cents": 0.5,
    }
    iso = usage_event(4, timestamp="2026-08-01T10:00:00.5+02:00")
    numeric = usage_event(5, timestamp=1754040000123)
    fake.route(
        "POST",
        "/teams/filtered-usage-events",
        ok({"usageEvents": [label, snake_kind, no_d3_fields, snake, iso, numeric]}),
    )
    events = list(fake.client().usage_events(utc(2025, 8, 1), utc(2025, 8, 2)))
    assert [e.kind for e in events[:3]] == ["Included in Pro", "Usage-based", "Usage-based"]
    # Without D3's chargedCents and isChargeable: charged = model cost + token fee, and
    # chargeable when something was charged.
    assert events[2].charged_cents == Decimal("8.40")
    assert events[2].is_chargeable is True
    assert events[2].is_headless is False
    assert (events[3].email, events[3].max_mode, events[3].input_tokens) == (
        "snake@example.com",
        True,
        5,
    )
    assert events[3].token_cents == Decimal("0.5")
    assert events[4].timestamp == utc(2026, 8, 1, 8, 0, 0, 500000)
    assert events[4].timestamp.tzinfo is UTC
    assert events[5].timestamp == utc(2025, 8, 1, 9, 20, 0, 123000)


@pytest.mark.parametrize(
    "bad",
    [
        {"timestamp": None},
        {"timestamp": "yesterday-ish"},
        {"requestsCosts": "lots"},
        {"tokenUsage": "none"},
        {"tokenUsage": {"inputTokens": "many"}},
        {"maxMode": "perhaps"},
        {"chargedCents": "NaN"},
        {"userEmail": ["a@b"]},
    ],
)
def test_usage_events_malformed_record_is_skipped(fake, bad):
    fake.route(
        "POST",
        "/teams/filtered-usage-events",
        ok({"usageEvents": [usage_event(1), usage_event(2, **bad), usage_event(3)]}),
    )
    client = fake.client()
    events = list(client.usage_events(utc(2025, 8, 1), utc(2025, 8, 2)))
    assert [e.conversation_id for e in events] == ["conv-1", "conv-3"]
    assert client.skipped_records == 1


def test_usage_events_missing_timestamp_key_is_skipped(fake):
    broken = usage_event(2)
    del broken["timestamp"]
    fake.route("POST", "/teams/filtered-usage-events", ok({"usageEvents": [broken]}))
    client = fake.client()
    assert list(client.usage_events(utc(2025, 8, 1), utc(2025, 8, 2))) == []
    assert client.skipped_records == 1


def test_pagination_hard_cap(fake):
    fake.route(
        "POST",
        "/teams/filtered-usage-events",
        ok({"usageEvents": [usage_event(1)], "pagination": {"hasNextPage": True}}),
    )
    client = fake.client()
    client.max_pages = 7
    with pytest.raises(UpstreamError, match="past 7 pages"):
        list(client.usage_events(utc(2025, 8, 1), utc(2025, 8, 2)))
    assert len(fake.requests) == 7


def test_has_next_page_true_with_empty_page_stops(fake):
    fake.route(
        "POST",
        "/teams/filtered-usage-events",
        ok({"usageEvents": [], "pagination": {"hasNextPage": True, "numPages": 99}}),
    )
    assert list(fake.client().usage_events(utc(2025, 8, 1), utc(2025, 8, 2))) == []
    assert len(fake.requests) == 1


def test_malformed_pagination_is_upstream_error(fake):
    fake.route(
        "POST",
        "/teams/filtered-usage-events",
        ok({"usageEvents": [usage_event(1)], "pagination": {"numPages": "many"}}),
    )
    with pytest.raises(UpstreamError, match="pagination"):
        list(fake.client().usage_events(utc(2025, 8, 1), utc(2025, 8, 2)))


def test_error_on_a_later_page_propagates(fake):
    fake.route(
        "POST",
        "/teams/filtered-usage-events",
        [
            ok({"usageEvents": [usage_event(1)], "pagination": {"hasNextPage": True}}),
            error(429, "Too Many Requests", "x", {"Retry-After": "2"}),
        ],
    )
    client = fake.client(max_retries=1)
    seen = []
    with pytest.raises(RateLimited):
        for event in client.usage_events(utc(2025, 8, 1), utc(2025, 8, 2)):
            seen.append(event)
    assert len(seen) == 1


# -- spend --------------------------------------------------------------------------------------


def test_spend_d4_all_pages(fake):
    def handler(request):
        page = body_of(request)["page"]
        rows = [spend_row(page * 10 + i) for i in range(2 if page < 3 else 1)]
        return ok(
            {
                "teamMemberSpend": rows,
                "subscriptionCycleStart": 1754006400000,
                "totalMembers": 5,
                "totalPages": 3,
            }
        )

    fake.route("POST", "/teams/spend", handler)
    report = fake.client().spend()
    assert report.cycle_start == utc(2025, 8, 1)
    assert len(report.members) == 5
    assert [b["page"] for b in fake.bodies()] == [1, 2, 3]
    assert report.members[0] == MemberSpend(
        user_id="user_0010",
        email="user10@example.com",
        name="User 10",
        role="member",
        spend_cents=Decimal("1234.567891"),
        overall_spend_cents=Decimal("5234.567891"),
        fast_premium_requests=310,
        hard_limit_override_dollars=Decimal(0),
        monthly_limit_dollars=None,
        effective_per_user_limit_dollars=Decimal(200),
    )


def test_spend_legacy_shape(fake):
    legacy = spend_row(1, userId=98765, spendCents=5000.25, includedSpendCents=2000, monthlyLimitDollars=50)
    del legacy["overallSpendCents"], legacy["effectivePerUserLimitDollars"]
    under = spend_row(2, spendCents=100, includedSpendCents=2000)
    del under["overallSpendCents"], under["userId"]
    fake.route(
        "POST",
        "/teams/spend",
        ok({"teamMemberSpend": [legacy, under], "subscriptionCycleStart": "1754006400000"}),
    )
    report = fake.client().spend()
    first, second = report.members
    assert (first.user_id, first.overall_spend_cents, first.spend_cents) == (
        "98765",
        Decimal("5000.25"),
        Decimal("3000.25"),
    )
    assert first.monthly_limit_dollars == Decimal(50)
    assert first.effective_per_user_limit_dollars is None
    assert (second.user_id, second.overall_spend_cents, second.spend_cents) == (
        "",
        Decimal(100),
        Decimal(0),
    )
    assert len(fake.requests) == 1  # no pagination info at all: one page


def test_spend_without_cycle_start_uses_calendar_month(fake):
    fake.route("POST", "/teams/spend", ok({"teamMemberSpend": []}))
    now = datetime.now(UTC)
    assert fake.client().spend().cycle_start == utc(now.year, now.month, 1)


def test_spend_bad_cycle_start_is_upstream_error(fake):
    fake.route("POST", "/teams/spend", ok({"teamMemberSpend": [], "subscriptionCycleStart": {}}))
    with pytest.raises(UpstreamError):
        fake.client().spend()


# -- audit logs ---------------------------------------------------------------------------------


def test_audit_logs_parse_window_and_paginate(fake):
    event = {
        "event_id": "evt_1a2b",
        "timestamp": "2026-08-01T09:15:00.000Z",
        "ip_address": "198.51.100.7",
        "user_email": "Ada@example.com",
        "event_type": "login",
        "event_data": {"user_agent": "Cursor/1.6.0"},
    }
    legacy = {
        "timestamp": 1754040000,
        "user_email": "ben@example.com",
        "event_type": "settings_changed",
        "event_data": {"ip_address": "203.0.113.9"},
    }

    def handler(request):
        page = int(request.url.params["page"])
        return ok(
            {
                "events": [event] if page == 1 else [legacy],
                "pagination": {"page": page, "pageSize": 500, "totalCount": 2, "totalPages": 2},
            }
        )

    fake.route("GET", "/teams/audit-logs", handler)
    events = list(fake.client().audit_logs(utc(2026, 7, 1), utc(2026, 8, 5, 12)))
    # Two 30-day windows, two pages each.
    assert fake.params() == [
        {
            "startTime": "2026-07-01T00:00:00.000Z",
            "endTime": "2026-07-30T23:59:59.999Z",
            "page": "1",
            "pageSize": "500",
        },
        {
            "startTime": "2026-07-01T00:00:00.000Z",
            "endTime": "2026-07-30T23:59:59.999Z",
            "page": "2",
            "pageSize": "500",
        },
        {
            "startTime": "2026-07-31T00:00:00.000Z",
            "endTime": "2026-08-05T12:00:00.000Z",
            "page": "1",
            "pageSize": "500",
        },
        {
            "startTime": "2026-07-31T00:00:00.000Z",
            "endTime": "2026-08-05T12:00:00.000Z",
            "page": "2",
            "pageSize": "500",
        },
    ]
    first, second = events[0], events[1]
    assert (first.event_id, first.timestamp, first.email, first.ip_address) == (
        "evt_1a2b",
        utc(2026, 8, 1, 9, 15),
        "ada@example.com",
        "198.51.100.7",
    )
    assert first.data == {"user_agent": "Cursor/1.6.0"}
    assert second.timestamp == utc(2025, 8, 1, 9, 20)  # Unix seconds
    assert second.ip_address == "203.0.113.9"
    assert second.event_id.startswith("sha1_")
    assert events[3].event_id == second.event_id  # derived ids are stable


# -- analytics ----------------------------------------------------------------------------------

ANALYTICS_SAMPLES = {
    "dau": (
        {"date": "2026-08-03", "dau": 17, "cli_dau": 2, "cloud_agent_dau": 5, "bugbot_dau": 3},
        [("", {"dau": 17, "cli_dau": 2, "cloud_agent_dau": 5, "bugbot_dau": 3})],
    ),
    "models": (
        {
            "date": "2026-08-03",
            "model_breakdown": {
                "gpt-5": {"messages": 40, "users": 6},
                "default": {"messages": 3, "users": 1},
            },
        },
        [("gpt-5", {"messages": 40, "users": 6}), ("default", {"messages": 3, "users": 1})],
    ),
    "agent-edits": (
        {"event_date": "2026-08-03", "total_suggested_diffs": 9, "total_lines_accepted": 120},
        [("", {"total_suggested_diffs": 9, "total_lines_accepted": 120})],
    ),
    "tabs": (
        {"event_date": "2026-08-03", "total_suggestions": 50, "total_accepts": 20},
        [("", {"total_suggestions": 50, "total_accepts": 20})],
    ),
    "client-versions": (
        {"event_date": "2026-08-03", "client_version": "1.6.0", "user_count": 5, "percentage": 0.833},
        [("1.6.0", {"user_count": 5, "percentage": Decimal("0.833")})],
    ),
    "top-file-extensions": (
        {"event_date": "2026-08-03", "file_extension": "tsx", "total_files": 4, "total_accepts": 2},
        [("tsx", {"total_files": 4, "total_accepts": 2})],
    ),
    "mcp": (
        {"event_date": "2026-08-03", "tool_name": "search", "mcp_server_name": "github", "usage": 7},
        [("github/search", {"usage": 7})],
    ),
    "commands": (
        {"event_date": "2026-08-03", "command_name": "review", "usage": 4},
        [("review", {"usage": 4})],
    ),
    "plans": (
        {"event_date": "2026-08-03", "model": "default", "usage": 2},
        [("default", {"usage": 2})],
    ),
    "ask-mode": (
        {"event_date": "2026-08-03", "model": "gpt-5", "usage": 1},
        [("gpt-5", {"usage": 1})],
    ),
}


def test_every_metric_has_a_sample():
    assert set(ANALYTICS_SAMPLES) == set(ANALYTICS_TEAM_METRICS)


@pytest.mark.parametrize("metric", ANALYTICS_TEAM_METRICS)
def test_analytics_rows_per_metric(fake, metric):
    sample, expected = ANALYTICS_SAMPLES[metric]
    fake.route(
        "GET",
        f"/analytics/team/{metric}",
        ok({"data": [sample], "params": {"metric": metric, "teamId": 4242}}),
    )
    rows = fake.client().analytics(metric, date(2026, 8, 3), date(2026, 8, 3))
    assert rows == [AnalyticsRow(metric, date(2026, 8, 3), key, values) for key, values in expected]
    assert fake.params() == [{"startDate": "2026-08-03", "endDate": "2026-08-03"}]


def test_analytics_rejects_unknown_metric(fake):
    with pytest.raises(ValueError):
        fake.client().analytics("conversation-insights", date(2026, 8, 1), date(2026, 8, 2))
    assert fake.requests == []


def test_analytics_windows_and_rows_without_a_day_are_skipped(fake):
    fake.route(
        "GET",
        "/analytics/team/commands",
        ok(
            {
                "data": [
                    {"command_name": "review", "usage": 1},
                    {"event_date": None, "date": None},
                    {"event_date": "2026-01-05", "command_name": "explain", "usage": "x"},
                ]
            }
        ),
    )
    client = fake.client()
    rows = client.analytics("commands", date(2026, 1, 1), date(2026, 2, 15))
    assert fake.params() == [
        {"startDate": "2026-01-01", "endDate": "2026-01-30"},
        {"startDate": "2026-01-31", "endDate": "2026-02-15"},
    ]
    # One good row per window; "usage": "x" is not numeric, so it is left out of values.
    assert rows == [AnalyticsRow("commands", date(2026, 1, 5), "explain", {})] * 2
    assert client.skipped_records == 4


def test_analytics_malformed_models_row_is_skipped(fake):
    good = ANALYTICS_SAMPLES["models"][0]
    fake.route(
        "GET",
        "/analytics/team/models",
        ok({"data": [{"date": "2026-08-03", "model_breakdown": [1, 2]}, {"date": "nope"}, good]}),
    )
    client = fake.client()
    rows = client.analytics("models", date(2026, 8, 3), date(2026, 8, 3))
    assert len(rows) == 2
    assert client.skipped_records == 2


def test_analytics_etag_cache_returns_cached_rows_on_304(fake):
    sample = ANALYTICS_SAMPLES["dau"][0]

    def handler(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return raw(304, b"", {"ETag": '"v1"'})
        return ok({"data": [sample]}, headers={"ETag": '"v1"', "Cache-Control": "public, max-age=900"})

    fake.route("GET", "/analytics/team/dau", handler)
    client = fake.client()
    first = client.analytics("dau", date(2026, 8, 3), date(2026, 8, 3))
    second = client.analytics("dau", date(2026, 8, 3), date(2026, 8, 3))
    assert first == second and len(first) == 1
    assert [r.headers.get("If-None-Match") for r in fake.requests] == [None, '"v1"']
    # Another range is another cache entry.
    client.analytics("dau", date(2026, 8, 2), date(2026, 8, 3))
    assert fake.requests[2].headers.get("If-None-Match") is None


def test_analytics_new_etag_replaces_cached_rows(fake):
    responses = [
        ok({"data": [{"date": "2026-08-03", "dau": 1}]}, headers={"ETag": '"a"'}),
        ok({"data": [{"date": "2026-08-03", "dau": 2}]}, headers={"ETag": '"b"'}),
        raw(304, b""),
    ]
    fake.route("GET", "/analytics/team/dau", responses)
    client = fake.client()
    values = [client.analytics("dau", date(2026, 8, 3), date(2026, 8, 3))[0].values["dau"] for _ in range(3)]
    assert values == [1, 2, 2]
    assert [r.headers.get("If-None-Match") for r in fake.requests] == [None, '"a"', '"b"']


def test_analytics_403_is_plan_required(fake):
    fake.route("GET", "/analytics/team/dau", error(403, "Forbidden", "Enterprise access required"))
    with pytest.raises(PlanRequired):
        fake.client().analytics("dau", date(2026, 8, 1), date(2026, 8, 1))


# -- leaderboard --------------------------------------------------------------------------------


def _board_entry(i: int, **extra) -> dict:
    return {
        "email": f"User{i}@example.com",
        "user_id": f"user_{i:04d}",
        "profile_picture_url": "https://example.com/p.png",
        "total_accepts": 10 * i,
        "total_lines_accepted": 100 * i,
        "total_lines_suggested": 150 * i,
        "line_acceptance_ratio": 0.6666666667,
        "rank": i,
        **extra,
    }


def test_leaderboard_pages_and_boards(fake):
    def handler(request):
        page = int(request.url.params["page"])
        tab = [_board_entry(page * 2 - 1, accept_ratio=0.5), _board_entry(page * 2, accept_ratio=1.2)]
        agent = [_board_entry(page, favorite_model="gpt-5")] if page == 1 else []
        return ok(
            {
                "data": {
                    "tab_leaderboard": {"data": tab, "total_users": 4},
                    "agent_leaderboard": {"data": agent, "total_users": 1},
                },
                "pagination": {
                    "page": page,
                    "pageSize": 2,
                    "totalUsers": 4,
                    "totalPages": 2,
                    "hasNextPage": page < 2,
                },
            }
        )

    fake.route("GET", "/analytics/team/leaderboard", handler)
    entries = fake.client().leaderboard(date(2026, 8, 1), date(2026, 8, 30))
    assert [(e.board, e.rank) for e in entries] == [
        ("tab", 1),
        ("tab", 2),
        ("agent", 1),
        ("tab", 3),
        ("tab", 4),
    ]
    assert entries[0].email == "user1@example.com"
    assert entries[0].values["line_acceptance_ratio"] == Decimal("0.6666666667")
    assert entries[1].values["accept_ratio"] == Decimal("1.2")
    assert "profile_picture_url" not in entries[0].values
    assert fake.params()[0] == {
        "startDate": "2026-08-01",
        "endDate": "2026-08-30",
        "page": "1",
        "pageSize": "500",
    }


def test_leaderboard_longer_than_30_days_is_refused(fake):
    with pytest.raises(ValueError):
        fake.client().leaderboard(date(2026, 8, 1), date(2026, 8, 31))


def test_leaderboard_bad_shape_is_upstream_error(fake):
    fake.route("GET", "/analytics/team/leaderboard", ok({"data": [1, 2]}))
    with pytest.raises(UpstreamError):
        fake.client().leaderboard(date(2026, 8, 1), date(2026, 8, 2))


# -- AI code tracking ---------------------------------------------------------------------------


def _ai_handler(make, total):
    def handler(request):
        page = int(request.url.params["page"])
        size = int(request.url.params["pageSize"])
        items = [make(i) for i in range((page - 1) * size, min(total, page * size))]
        return ok({"items": items, "totalCount": total, "page": page, "pageSize": size})

    return handler


def test_ai_code_commits_paged_by_total_count_and_windowed(fake):
    fake.route("GET", "/analytics/ai-code/commits", _ai_handler(ai_commit, 2345))
    commits = list(fake.client().ai_code_commits(date(2026, 7, 1), date(2026, 8, 5)))
    assert len(commits) == 2 * 2345  # two windows, same fake data each
    assert fake.params() == [
        {"startDate": "2026-07-01", "endDate": "2026-07-30", "page": "1", "pageSize": "1000"},
        {"startDate": "2026-07-01", "endDate": "2026-07-30", "page": "2", "pageSize": "1000"},
        {"startDate": "2026-07-01", "endDate": "2026-07-30", "page": "3", "pageSize": "1000"},
        {"startDate": "2026-07-31", "endDate": "2026-08-05", "page": "1", "pageSize": "1000"},
        {"startDate": "2026-07-31", "endDate": "2026-08-05", "page": "2", "pageSize": "1000"},
        {"startDate": "2026-07-31", "endDate": "2026-08-05", "page": "3", "pageSize": "1000"},
    ]
    first = commits[0]
    assert (first.email, first.is_primary_branch, first.commit_source, first.non_ai_lines_added) == (
        "user0@example.com",
        True,
        "ide",
        10,
    )
    assert first.commit_ts == utc(2026, 8, 1, 10)
    assert first.created_at == utc(2026, 8, 1, 10, 5)


def test_ai_code_commits_legacy_and_nulls(fake):
    legacy = ai_commit(1, repoName=None, branchName=None, message=None, commitTs=None)
    for key in ("isPrimaryBranch", "commitSource", "nonAiLinesAdded"):
        del legacy[key]
    legacy["nonAiLinesDeleted"] = None
    bad = ai_commit(2)
    del bad["createdAt"]
    fake.route("GET", "/analytics/ai-code/commits", ok({"items": [legacy, bad], "totalCount": 2}))
    client = fake.client()
    commits = list(client.ai_code_commits(date(2026, 8, 1), date(2026, 8, 1)))
    assert client.skipped_records == 1
    c = commits[0]
    assert (c.repo_name, c.branch_name, c.message, c.commit_ts, c.commit_source) == ("", "", "", None, "")
    assert (c.is_primary_branch, c.non_ai_lines_added, c.non_ai_lines_deleted) == (None, None, None)


def test_ai_code_changes(fake):
    fake.route(
        "GET",
        "/analytics/ai-code/changes",
        _ai_handler(lambda i: ai_change(i, model=None if i else "gpt-5"), 3),
    )
    changes = list(fake.client().ai_code_changes(date(2026, 8, 1), date(2026, 8, 2)))
    assert [c.change_id for c in changes] == ["749356201", "749356202", "749356203"]
    assert changes[0].model == "gpt-5" and changes[1].model == ""
    assert changes[0].metadata == [{"fileExtension": "py", "linesAdded": 12, "linesDeleted": 3}]
    assert changes[0].created_at == utc(2026, 8, 1, 10, 5)


# -- validate -----------------------------------------------------------------------------------


def _route_validate(fake, analytics, ai_code):
    fake.route(
        "GET", "/teams/members", ok({"teamMembers": [member(1), member(2), member(3, isRemoved=True)]})
    )
    fake.route("GET", "/analytics/team/dau", analytics)
    fake.route("GET", "/analytics/ai-code/commits", ai_code)


def test_validate_enterprise_team(fake):
    _route_validate(fake, ok({"data": []}), ok({"items": [], "totalCount": 0}))
    assert fake.client().validate() == Capabilities(True, True, True, 2, "")
    dau, commits = fake.requests[1], fake.requests[2]
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    assert dict(dau.url.params) == {"startDate": yesterday, "endDate": yesterday}
    assert dict(commits.url.params) == {
        "startDate": yesterday,
        "endDate": yesterday,
        "page": "1",
        "pageSize": "1",
    }


def test_validate_team_plan(fake):
    _route_validate(
        fake,
        error(403, "Forbidden", "Enterprise access required"),
        error(401, "Unauthorized", "You must be a member of an enterprise team"),
    )
    caps = fake.client().validate()
    assert (caps.admin, caps.analytics, caps.ai_code, caps.member_count) == (True, False, False, 2)
    assert "Enterprise" in caps.plan_note and "Analytics and AI Code Tracking" in caps.plan_note


def test_validate_only_ai_code_missing(fake):
    _route_validate(fake, ok({"data": []}), error(403, "Forbidden", "Enterprise access required"))
    caps = fake.client().validate()
    assert (caps.analytics, caps.ai_code) == (True, False)
    assert caps.plan_note.startswith("AI Code Tracking needs")


def test_validate_bad_key_propagates(fake):
    fake.route("GET", "/teams/members", error(401, "Unauthorized", "Invalid API key"))
    with pytest.raises(InvalidApiKey):
        fake.client().validate()
    assert len(fake.requests) == 1


def test_validate_probe_failure_other_than_plan_propagates(fake):
    _route_validate(fake, error(500, "Internal Server Error", "x"), ok({"items": []}))
    with pytest.raises(UpstreamError):
        fake.client(max_retries=0).validate()


# -- window helpers -----------------------------------------------------------------------------


def test_day_windows_cover_range_exactly():
    start, end = date(2025, 12, 15), date(2026, 6, 30)
    windows = day_windows(start, end)
    assert windows[0][0] == start and windows[-1][1] == end
    for (_, b), (c, _) in zip(windows, windows[1:], strict=False):
        assert c == b + timedelta(days=1)
    assert all((b - a).days + 1 <= 30 for a, b in windows)


def test_ms_windows_cover_range_exactly():
    start = ms(utc(2026, 1, 1, 13, 7, 5)) + 17
    end = ms(utc(2026, 5, 2, 1, 2, 3)) + 999
    windows = ms_windows(start, end)
    assert windows[0][0] == start and windows[-1][1] == end
    for (_, b), (c, _) in zip(windows, windows[1:], strict=False):
        assert c == b + 1 and c % DAY == 0
    assert all(b - a < 30 * DAY for a, b in windows)


def test_transport_is_closed_by_context_manager():
    closed = []

    class Transport(httpx.MockTransport):
        def close(self):
            closed.append(True)

    fake = FakeCursor()
    with fake.client(transport=Transport(fake)):
        pass
    assert closed == [True]
