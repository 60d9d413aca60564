"""The Claude Code clients against httpx.MockTransport: auth headers, one day per call, cursor
pagination, Enterprise windows and exact cents, and every failure path (401, 403 non-admin /
missing scope, wrong key type, 404, 410, 429 with retry-after, 529, 5xx, timeout, bad JSON,
malformed rows)."""

from __future__ import annotations

import logging
import pickle
from datetime import date
from decimal import Decimal

import httpx
import pytest

from integrations.claude_code.client import (
    CLAUDE_CODE_REPORT,
    CONSOLE,
    ENTERPRISE,
    USER_COST,
    USERS,
    make_client,
)
from integrations.claude_code.errors import (
    InvalidKey,
    MissingScope,
    NotAdminKey,
    NotAvailableYet,
    Overloaded,
    RateLimited,
    Timeout,
    Unreachable,
    UpstreamError,
    WrongKeyType,
)
from integrations.claude_code.http import WAIT_OVERLOADED, WAIT_RATE_LIMIT
from integrations.claude_code.records import API_ACTOR, parse_cents

from .fakes import ADMIN_KEY, ANALYTICS_KEY, FakeAnthropic, console_row, error, ok, page

DAY = date(2026, 11, 17)
ANALYTICS_USERS = "/v1/organizations/analytics/users"


@pytest.fixture
def fake():
    return FakeAnthropic()


def console(fake, **extra):
    return make_client(CONSOLE, ADMIN_KEY, **fake.client_options(**extra))


def enterprise(fake, **extra):
    return make_client(ENTERPRISE, ANALYTICS_KEY, **fake.client_options(**extra))


def test_requests_carry_the_key_the_version_and_one_day(fake):
    fake.route(CLAUDE_CODE_REPORT, ok(page([console_row()])))
    rows = console(fake).usage_day(DAY)
    request = fake.requests[0]
    assert request.headers["x-api-key"] == ADMIN_KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["User-Agent"].startswith("Koalr/")
    assert request.url.params["starting_at"] == "2026-11-17"
    assert "ending_at" not in request.url.params
    assert len(rows) == 1 and rows[0].email == "ada@example.com"


def test_console_rows_are_parsed_whole(fake):
    bot = console_row(api_key="ci-bot", remote=True, sessions=4, added=120, removed=33, commits=2, prs=1,
                      tool_actions={"edit_tool": {"accepted": 9, "rejected": 0}, "new_tool": {"accepted": 1, "rejected": 2}})  # fmt: skip
    fake.route(CLAUDE_CODE_REPORT, ok(page([console_row("Ada@Example.com"), bot])))
    ada, ci = console(fake).usage_day(DAY)
    assert ada.email == "ada@example.com" and ada.actor_key == "user:ada@example.com"
    assert ada.models[0].model == "claude-sonnet-5" and ada.models[0].cost_cents == Decimal(42)
    assert (ada.models[0].input_tokens, ada.models[0].cache_creation_tokens) == (1000, 10)
    assert ci.actor_type == API_ACTOR and ci.api_key_name == "ci-bot" and ci.is_remote
    assert (ci.sessions, ci.lines_added, ci.lines_removed, ci.commits, ci.pull_requests) == (4, 120, 33, 2, 1)
    assert ci.tool_actions == {"edit_tool": (9, 0), "new_tool": (1, 2)}  # open map: unknown tools kept


def test_pagination_follows_next_page_with_the_same_day(fake):
    fake.route(
        CLAUDE_CODE_REPORT,
        ok(page([console_row("a@x.io")], "page_2")),
        ok(page([console_row("b@x.io")], "page_3")),
        ok(page([console_row("c@x.io")])),
    )
    rows = console(fake).usage_day(DAY)
    assert [r.email for r in rows] == ["a@x.io", "b@x.io", "c@x.io"]
    assert [r.url.params.get("page") for r in fake.requests] == [None, "page_2", "page_3"]
    assert {r.url.params["starting_at"] for r in fake.requests} == {"2026-11-17"}


def test_a_repeated_cursor_is_an_error_not_a_loop(fake):
    fake.route(CLAUDE_CODE_REPORT, ok(page([console_row()], "page_2")))
    with pytest.raises(UpstreamError, match="without a new next_page"):
        console(fake).usage_day(DAY)


def test_malformed_rows_are_skipped_and_counted(fake):
    broken_count = console_row("x@x.io")
    broken_count["core_metrics"]["num_sessions"] = "many"
    wrong_day = console_row("y@x.io", day="2026-11-16")
    fake.route(
        CLAUDE_CODE_REPORT,
        ok(page([console_row(), {"actor": {"type": "martian"}}, broken_count, "junk", wrong_day])),
    )
    client = console(fake)
    rows = client.usage_day(DAY)
    assert [r.email for r in rows] == ["ada@example.com"]
    assert client.skipped_records == 4


def test_an_empty_day(fake):
    fake.route(CLAUDE_CODE_REPORT, ok({"data": [], "has_more": False, "next_page": None}))
    assert console(fake).usage_day(DAY) == []


def test_roster_follows_after_id(fake):
    user = lambda i: {"id": f"user_{i}", "email": f"U{i}@x.io", "name": f"U {i}", "role": "user", "type": "user",  # noqa: E731
                      "added_at": "2024-10-30T23:58:27.427722Z"}  # fmt: skip
    fake.route(
        USERS,
        ok({"data": [user(1), user(2)], "has_more": True, "first_id": "user_1", "last_id": "user_2"}),
        ok(
            {
                "data": [user(3), {"id": "user_4"}],
                "has_more": False,
                "first_id": "user_3",
                "last_id": "user_4",
            }
        ),
    )
    client = console(fake)
    users = client.users()
    assert [u.email for u in users] == ["u1@x.io", "u2@x.io", "u3@x.io"]
    assert fake.requests[1].url.params["after_id"] == "user_2"
    assert client.skipped_records == 1


@pytest.mark.parametrize(
    "status,kind,cls",
    [(401, "authentication_error", InvalidKey), (403, "permission_error", NotAdminKey), (404, "not_found_error", UpstreamError),
     (400, "invalid_request_error", UpstreamError), (402, "billing_error", UpstreamError)],
)  # fmt: skip
def test_client_errors_are_typed_and_never_retried(fake, status, kind, cls):
    fake.route(CLAUDE_CODE_REPORT, error(status, kind, "nope"))
    with pytest.raises(cls) as raised:
        console(fake).usage_day(DAY)
    assert len(fake.requests) == 1
    assert raised.value.status == status and kind in str(raised.value)


def test_a_403_on_the_admin_api_says_it_needs_an_admin_key(fake):
    fake.route(CLAUDE_CODE_REPORT, error(403, "permission_error", "Admin API access required"))
    with pytest.raises(NotAdminKey) as raised:
        console(fake).usage_day(DAY)
    assert "Admin API key" in raised.value.user_message and "admin role" in raised.value.user_message


def test_a_403_on_the_analytics_api_is_a_missing_scope_with_anthropics_scope_list(fake):
    text = "This key has scopes [read:members]; this endpoint needs [read:analytics]"
    fake.route(ANALYTICS_USERS, error(403, "permission_error", text))
    with pytest.raises(MissingScope) as raised:
        enterprise(fake).activity_day(DAY)
    assert "read:analytics" in raised.value.user_message and "Primary Owner" in raised.value.user_message
    assert raised.value.anthropic_message == text


@pytest.mark.parametrize(
    "source,key,cls,words",
    [(CONSOLE, ANALYTICS_KEY, NotAdminKey, "not an Admin API key"), (ENTERPRISE, ADMIN_KEY, WrongKeyType, "Analytics API key")],
)  # fmt: skip
def test_a_wrong_key_type_is_refused_before_any_request(fake, source, key, cls, words):
    with pytest.raises(cls) as raised:
        make_client(source, key, **fake.client_options())
    assert words in raised.value.user_message and "SEKRET" not in raised.value.user_message
    assert fake.requests == []


def test_429_waits_for_retry_after_then_succeeds(fake):
    waits = []
    fake.route(
        CLAUDE_CODE_REPORT,
        error(429, "rate_limit_error", headers={"retry-after": "7"}),
        ok(page([console_row()])),
    )
    rows = console(fake, on_wait=lambda s, r: waits.append((s, r))).usage_day(DAY)
    assert len(rows) == 1 and fake.sleeps == [7.0] and waits == [(7.0, WAIT_RATE_LIMIT)]


def test_529_overloaded_is_retried_with_backoff(fake):
    waits = []
    fake.route(
        CLAUDE_CODE_REPORT, error(529, "overloaded_error"), error(529, "overloaded_error"), ok(page([]))
    )
    console(fake, on_wait=lambda s, r: waits.append(r)).usage_day(DAY)
    assert len(fake.requests) == 3 and waits == [WAIT_OVERLOADED, WAIT_OVERLOADED]


def test_529_that_persists_raises_overloaded(fake):
    fake.route(CLAUDE_CODE_REPORT, error(529, "overloaded_error"))
    with pytest.raises(Overloaded):
        console(fake, max_retries=2).usage_day(DAY)
    assert len(fake.requests) == 3


def test_a_wait_longer_than_allowed_is_not_slept(fake):
    fake.route(CLAUDE_CODE_REPORT, error(429, "rate_limit_error", headers={"retry-after": "3600"}))
    with pytest.raises(RateLimited) as raised:
        console(fake, max_wait=60).usage_day(DAY)
    assert raised.value.retry_after == 3600 and fake.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_then_raised(fake, status):
    fake.route(CLAUDE_CODE_REPORT, error(status, "api_error"))
    with pytest.raises(UpstreamError) as raised:
        console(fake, max_retries=3).usage_day(DAY)
    assert len(fake.requests) == 4 and raised.value.status == status
    assert len(fake.sleeps) == 3 and all(0 <= s <= 8 for s in fake.sleeps)


def test_5xx_then_success(fake):
    fake.route(CLAUDE_CODE_REPORT, error(500, "api_error"), ok(page([console_row()])))
    assert len(console(fake).usage_day(DAY)) == 1


def test_timeouts_are_retried_then_raised(fake):
    fake.route(CLAUDE_CODE_REPORT, httpx.ReadTimeout("slow"))
    with pytest.raises(Timeout):
        console(fake, max_retries=2).usage_day(DAY)
    assert len(fake.requests) == 3


def test_connection_errors_raise_unreachable(fake):
    fake.route(CLAUDE_CODE_REPORT, httpx.ConnectError("refused"))
    with pytest.raises(Unreachable):
        console(fake, max_retries=1).usage_day(DAY)


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"[1, 2]", b'{"rows": []}'])
def test_malformed_bodies_raise_upstream_error(fake, body):
    fake.route(CLAUDE_CODE_REPORT, httpx.Response(200, content=body))
    with pytest.raises(UpstreamError):
        console(fake).usage_day(DAY)


def test_the_key_never_reaches_a_message_a_log_or_a_pickle(fake, caplog):
    fake.route(CLAUDE_CODE_REPORT, error(401, "authentication_error", f"invalid x-api-key {ADMIN_KEY}"))
    client = console(fake)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InvalidKey) as raised:
        client.usage_day(DAY)
    assert "SEKRET" not in str(raised.value) and "[key]" in str(raised.value)
    assert "SEKRET" not in caplog.text and "SEKRET" not in repr(client)
    again = pickle.loads(pickle.dumps(raised.value))
    assert type(again) is InvalidKey and again.status == 401


# -- Enterprise ------------------------------------------------------------------------------


def analytics_row(email, *, commits=4, sessions=6):
    return {
        "user": {"id": "user_01", "email_address": email, "type": "user"},
        "last_activity_date": "2026-11-17",
        "claude_code_metrics": {
            "core_metrics": {"commit_count": commits, "distinct_session_count": sessions,
                             "lines_of_code": {"added_count": 512, "removed_count": 140}, "pull_request_count": 1},
            "tool_actions": {"edit_tool": {"accepted_count": 31, "rejected_count": 2},
                             "write_tool": {"accepted_count": 5, "rejected_count": 1}},
        },
        "web_search_count": 0,
    }  # fmt: skip


def test_enterprise_activity_pages_by_next_page_only(fake):
    fake.route(
        ANALYTICS_USERS,
        ok({"data": [analytics_row("ada@x.io")], "next_page": "p2"}),
        ok({"data": [analytics_row("bob@x.io", sessions=None), {"user": {}}], "next_page": None}),
    )
    client = enterprise(fake)
    rows = client.activity_day(DAY)
    assert [r.email for r in rows] == ["ada@x.io", "bob@x.io"]
    assert rows[0].commits == 4 and rows[0].tool_actions == {"edit_tool": (31, 2), "write_tool": (5, 1)}
    assert rows[1].sessions is None  # distinct_session_count may be null: unknown, not 0
    assert fake.requests[0].url.params["date"] == "2026-11-17" and fake.requests[1].url.params["page"] == "p2"
    assert client.skipped_records == 1


def test_enterprise_too_recent_day_is_not_available_yet(fake):
    fake.route(
        ANALYTICS_USERS,
        error(
            400, "invalid_request_error", "Date is too recent; the most recent available day is 2026-11-16"
        ),
    )
    with pytest.raises(NotAvailableYet):
        enterprise(fake).activity_day(DAY)


def test_enterprise_expired_cursor_restarts_from_page_one(fake):
    fake.route(
        ANALYTICS_USERS,
        ok({"data": [analytics_row("ada@x.io")], "next_page": "p2"}),
        error(410, "invalid_request_error", "cursor expired"),
        ok({"data": [analytics_row("ada@x.io")], "next_page": None}),
    )
    # The restart re-reads page 1; the caller stores a day's rows only once it has all of them.
    rows = enterprise(fake).activity_day(DAY)
    assert [r.url.params.get("page") for r in fake.requests] == [None, "p2", None]
    assert len(rows) == 2  # the first page twice: activity_day callers key rows by actor


def cost_row(email, day, model, amount):
    return {"actor": {"type": "user_actor", "user_id": "user_1", "email": email, "name": "Ada", "deleted": False},
            "amount": amount, "list_amount": "51600.000000", "currency": "USD", "product": None, "model": model,
            "requests": 128, "starting_at": f"{day}T00:00:00Z", "ending_at": "x"}  # fmt: skip


def test_enterprise_costs_are_exact_decimal_cents_in_31_day_ranges(fake):
    fake.route(
        USER_COST,
        ok(page([cost_row("ada@x.io", "2026-09-01", "claude-opus-4-6", "41280.000000"),
                 cost_row("ada@x.io", "2026-09-01", "claude-sonnet-5", "0.1"),
                 cost_row("ada@x.io", "2026-09-02", "claude-sonnet-5", "not money")])),
        ok(page([cost_row("ada@x.io", "2026-10-15", "claude-sonnet-5", "0.2")])),
    )  # fmt: skip
    client = enterprise(fake)
    rows = client.user_costs(date(2026, 9, 1), date(2026, 10, 15))
    assert [r.cost_cents for r in rows] == [Decimal("41280.000000"), Decimal("0.1"), Decimal("0.2")]
    assert sum(r.cost_cents for r in rows) == Decimal("41280.3")  # no binary float on the way
    assert client.skipped_records == 1
    first, second = (r.url.params for r in fake.requests)
    assert (first["starting_at"], first["ending_at"]) == ("2026-09-01T00:00:00Z", "2026-10-02T00:00:00Z")
    assert (second["starting_at"], second["ending_at"]) == ("2026-10-02T00:00:00Z", "2026-10-16T00:00:00Z")
    assert fake.requests[0].url.params.get_list("products[]") == ["claude_code"]
    assert fake.requests[0].url.params.get_list("group_by[]") == ["model"]


@pytest.mark.parametrize(
    "value,cents", [(42, Decimal(42)), ("123.45", Decimal("123.45")), ("0.000001", Decimal("0.000001"))]
)
def test_parse_cents_is_exact(value, cents):
    assert parse_cents(value) == cents
