"""CursorClient HTTP behaviour against httpx.MockTransport: auth, errors, retries, secrets."""

from __future__ import annotations

import base64
import logging
import os
import pathlib
import pickle
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from integrations.cursor.client import (
    MAX_RETRY_WAIT,
    USER_AGENT,
    WAIT_CURSOR_429,
    WAIT_RETRY,
    CursorClient,
    retry_after_seconds,
)
from integrations.cursor.errors import (
    CursorError,
    CursorTimeout,
    CursorUnreachable,
    InvalidApiKey,
    PlanRequired,
    RateLimited,
    UpstreamError,
)
from integrations.cursor.ratelimit import team_id_for_key

from .fakes import API_KEY, FakeCursor, error, member, ok, raw

MEMBERS_OK = ok({"teamMembers": [member(1)]})


@pytest.fixture
def fake():
    return FakeCursor()


# -- request basics -----------------------------------------------------------------------------


def test_sends_basic_auth_with_empty_password_and_user_agent(fake):
    fake.route("GET", "/teams/members", MEMBERS_OK)
    with fake.client() as client:
        client.members()
    request = fake.requests[0]
    expected = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    assert request.headers["Authorization"] == expected
    assert request.headers["User-Agent"] == USER_AGENT
    assert str(request.url) == "https://cursor.test/teams/members"


def test_base_url_from_env_then_default_without_django(monkeypatch):
    # Simulate the pure-Python bench: no Django settings module, django.conf never imported.
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    monkeypatch.delitem(sys.modules, "django.conf", raising=False)
    monkeypatch.setenv("CURSOR_API_BASE_URL", "http://127.0.0.1:9999/")
    seen = []
    transport = httpx.MockTransport(lambda r: seen.append(str(r.url)) or MEMBERS_OK)
    with CursorClient(API_KEY, transport=transport, limiter=_no_limit()) as client:
        client.members()
    assert seen == ["http://127.0.0.1:9999/teams/members"]
    monkeypatch.delenv("CURSOR_API_BASE_URL")
    assert CursorClient(API_KEY, limiter=_no_limit()).base_url == "https://api.cursor.com"


def test_base_url_from_django_settings(settings):
    settings.CURSOR_API_BASE_URL = "http://sim.local:8123"
    assert CursorClient(API_KEY, limiter=_no_limit()).base_url == "http://sim.local:8123"
    assert CursorClient(API_KEY, base_url="http://arg", limiter=_no_limit()).base_url == "http://arg"


def test_importing_the_client_does_not_import_django():
    code = (
        "import sys, integrations.cursor.client, integrations.cursor.ratelimit;"
        "assert 'django' not in sys.modules, 'django imported'"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    root = pathlib.Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)


def test_empty_key_is_rejected():
    with pytest.raises(ValueError):
        CursorClient("  ", limiter=_no_limit())


def _no_limit():
    from integrations.cursor.ratelimit import NoRateLimit

    return NoRateLimit()


# -- status codes that must not be retried ---------------------------------------------------


def test_401_on_admin_endpoint_is_invalid_key_without_retry(fake):
    fake.route("GET", "/teams/members", error(401, "Unauthorized", "Invalid API key"))
    client = fake.client()
    with pytest.raises(InvalidApiKey) as info:
        client.members()
    assert len(fake.requests) == 1
    assert fake.sleeps == []
    assert info.value.status == 401
    assert "Invalid API key" in str(info.value)
    assert "Admin API key" in info.value.user_message


def test_403_is_plan_required_without_retry(fake):
    fake.route("POST", "/teams/spend", error(403, "Forbidden", "Enterprise access required"))
    with pytest.raises(PlanRequired) as info:
        fake.client().spend()
    assert len(fake.requests) == 1
    assert info.value.status == 403
    assert "Enterprise" in info.value.user_message


@pytest.mark.parametrize(
    "call, path",
    [
        (lambda c: c.analytics("dau", date(2026, 8, 1), date(2026, 8, 2)), "/analytics/team/dau"),
        (lambda c: c.leaderboard(date(2026, 8, 1), date(2026, 8, 2)), "/analytics/team/leaderboard"),
        (
            lambda c: list(c.ai_code_commits(date(2026, 8, 1), date(2026, 8, 2))),
            "/analytics/ai-code/commits",
        ),
        (
            lambda c: list(c.ai_code_changes(date(2026, 8, 1), date(2026, 8, 2))),
            "/analytics/ai-code/changes",
        ),
    ],
)
def test_401_on_enterprise_families_is_plan_required(fake, call, path):
    message = "You must be a member of an enterprise team to access this resource"
    fake.route("GET", path, error(401, "Unauthorized", message))
    with pytest.raises(PlanRequired) as info:
        call(fake.client())
    assert len(fake.requests) == 1
    assert info.value.status == 401


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_unexpected_4xx_is_upstream_error_with_cursor_message_and_no_retry(fake, status):
    fake.route("GET", "/teams/members", error(status, "Bad Request", "Some users are not in the team"))
    with pytest.raises(UpstreamError) as info:
        fake.client().members()
    assert len(fake.requests) == 1
    assert info.value.status == status
    assert "Some users are not in the team" in str(info.value)


# -- 429 ------------------------------------------------------------------------------------------


def test_429_then_success_honours_retry_after_seconds(fake):
    fake.route(
        "GET",
        "/teams/members",
        [
            error(429, "Too Many Requests", "Rate limit exceeded.", {"Retry-After": "7"}),
            MEMBERS_OK,
        ],
    )
    assert len(fake.client().members()) == 1
    assert len(fake.requests) == 2
    assert fake.sleeps == [7.0]
    assert fake.waits == [(7.0, WAIT_CURSOR_429)]


def test_429_retry_after_http_date(fake):
    when = datetime.now(UTC) + timedelta(seconds=30)
    fake.route(
        "GET",
        "/teams/members",
        [
            error(429, "Too Many Requests", "x", {"Retry-After": format_datetime(when, usegmt=True)}),
            MEMBERS_OK,
        ],
    )
    fake.client().members()
    assert 27 <= fake.sleeps[0] <= 30


def test_429_x_ratelimit_reset_epoch_and_delta(fake):
    reset = int(datetime.now(UTC).timestamp()) + 20
    fake.route(
        "GET",
        "/teams/members",
        [
            error(429, "Too Many Requests", "x", {"X-RateLimit-Reset": str(reset)}),
            error(429, "Too Many Requests", "x", {"X-RateLimit-Reset": "3"}),
            MEMBERS_OK,
        ],
    )
    fake.client().members()
    assert 18 <= fake.sleeps[0] <= 20
    assert fake.sleeps[1] == 3.0


def test_429_retry_after_is_capped(fake):
    fake.route(
        "GET",
        "/teams/members",
        [error(429, "Too Many Requests", "x", {"Retry-After": "3600"}), MEMBERS_OK],
    )
    fake.client().members()
    assert fake.sleeps == [MAX_RETRY_WAIT]


def test_429_without_hint_backs_off_exponentially_with_jitter(fake):
    fake.route(
        "GET",
        "/teams/members",
        [error(429, "Too Many Requests", "x")] * 4 + [MEMBERS_OK],
    )
    fake.client().members()
    assert len(fake.sleeps) == 4
    for attempt, slept in enumerate(fake.sleeps, start=1):
        assert 0 <= slept <= 4.0 * 2 ** (attempt - 1)
    assert {reason for _, reason in fake.waits} == {WAIT_CURSOR_429}


def test_429_exhausted_raises_rate_limited_with_retry_after(fake):
    fake.route("GET", "/teams/members", error(429, "Too Many Requests", "x", {"Retry-After": "12"}))
    with pytest.raises(RateLimited) as info:
        fake.client(max_retries=3).members()
    assert len(fake.requests) == 4  # 1 try + 3 retries
    assert fake.sleeps == [12.0, 12.0, 12.0]
    assert info.value.retry_after == 12.0
    assert info.value.status == 429


def test_429_exhausted_without_header_has_no_retry_after(fake):
    fake.route("GET", "/teams/members", error(429, "Too Many Requests", "x"))
    with pytest.raises(RateLimited) as info:
        fake.client(max_retries=2).members()
    assert info.value.retry_after is None
    assert len(fake.requests) == 3


# -- 5xx --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried_then_succeeds(fake, status):
    fake.route("GET", "/teams/members", [error(status, "Internal Server Error", "oops"), MEMBERS_OK])
    assert [m.user_id for m in fake.client().members()] == ["user_0001"]
    assert len(fake.requests) == 2
    assert len(fake.sleeps) == 1 and 0 <= fake.sleeps[0] <= 1.0
    assert fake.waits[0][1] == WAIT_RETRY


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_exhausted_is_upstream_error(fake, status):
    fake.route("GET", "/teams/members", error(status, "Internal Server Error", "An unexpected error"))
    with pytest.raises(UpstreamError) as info:
        fake.client().members()
    assert len(fake.requests) == 6  # default max_retries=5
    assert info.value.status == status
    assert len(fake.sleeps) == 5
    for attempt, slept in enumerate(fake.sleeps, start=1):
        assert 0 <= slept <= min(60.0, 2 ** (attempt - 1))


def test_max_retries_zero_means_one_attempt(fake):
    fake.route("GET", "/teams/members", error(503, "Service Unavailable", "x"))
    with pytest.raises(UpstreamError):
        fake.client(max_retries=0).members()
    assert len(fake.requests) == 1


# -- network failures ------------------------------------------------------------------------


def test_timeout_is_retried_then_succeeds(fake):
    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise httpx.ReadTimeout("timed out", request=request)
        return MEMBERS_OK

    fake.route("GET", "/teams/members", flaky)
    assert len(fake.client().members()) == 1
    assert calls["n"] == 3
    assert len(fake.sleeps) == 2


def test_timeout_exhausted_is_cursor_timeout(fake):
    def slow(request):
        raise httpx.ConnectTimeout("timed out", request=request)

    fake.route("GET", "/teams/members", slow)
    with pytest.raises(CursorTimeout) as info:
        fake.client(max_retries=2).members()
    assert isinstance(info.value, CursorUnreachable)
    assert len(fake.requests) == 3


def test_connection_error_exhausted_is_cursor_unreachable(fake):
    def refused(request):
        raise httpx.ConnectError("connection refused", request=request)

    fake.route("GET", "/teams/members", refused)
    with pytest.raises(CursorUnreachable) as info:
        fake.client(max_retries=1).members()
    assert not isinstance(info.value, CursorTimeout)
    assert len(fake.requests) == 2


def test_real_timeout_against_a_silent_socket():
    """A server that accepts but never answers trips the client's own timeout."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    try:
        client = CursorClient(
            API_KEY,
            base_url=f"http://127.0.0.1:{port}",
            timeout=0.2,
            max_retries=1,
            limiter=_no_limit(),
            sleep=lambda s: None,
        )
        with pytest.raises(CursorTimeout):
            client.members()
    finally:
        server.close()


# -- malformed responses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        raw(200, b'{"teamMembers": [', {"Content-Type": "application/json"}),
        raw(200, b"<html>Bad gateway</html>", {"Content-Type": "text/html"}),
        raw(200, b""),
        raw(200, b"\xff\xfe\x00"),
        ok([member(1)]),
        ok({"members": []}),
        ok({"teamMembers": {"a": 1}}),
    ],
)
def test_malformed_envelope_is_upstream_error_without_retry(fake, response):
    fake.route("GET", "/teams/members", response)
    with pytest.raises(UpstreamError):
        fake.client().members()
    assert len(fake.requests) == 1


def test_304_without_a_cached_etag_is_upstream_error(fake):
    fake.route("GET", "/teams/members", raw(304, b""))
    with pytest.raises(UpstreamError):
        fake.client().members()


# -- secrets ----------------------------------------------------------------------------------


def _all_failures():
    def timeout(request):
        raise httpx.ReadTimeout("timed out", request=request)

    def refused(request):
        raise httpx.ConnectError("refused", request=request)

    echo = error(400, "Bad Request", f"key {API_KEY} is not valid here")
    return [
        error(401, "Unauthorized", "Invalid API key"),
        error(403, "Forbidden", "Enterprise access required"),
        error(429, "Too Many Requests", "x", {"Retry-After": "1"}),
        error(500, "Internal Server Error", "oops"),
        echo,
        raw(200, b"not json"),
        timeout,
        refused,
    ]


@pytest.mark.parametrize("response", _all_failures())
def test_key_never_in_logs_messages_or_repr(fake, caplog, response):
    caplog.set_level(logging.DEBUG)  # include httpx/httpcore debug output too
    fake.route("GET", "/teams/members", response)
    client = fake.client(max_retries=1)
    with pytest.raises(CursorError) as info:
        client.members()
    exc = info.value
    texts = [str(exc), repr(exc), exc.user_message, repr(client), str(client)]
    texts += [str(e) for e in _exception_chain(exc)]
    texts += [r.getMessage() for r in caplog.records]
    texts += [str(r.__dict__) for r in caplog.records]
    encoded = base64.b64encode(f"{API_KEY}:".encode()).decode()
    for text in texts:
        assert API_KEY not in text
        assert encoded not in text
        assert "Authorization" not in text
    assert any(r.name == "integrations.cursor.client" for r in caplog.records)


def _exception_chain(exc):
    seen = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def test_one_structured_log_line_per_call(fake, caplog):
    caplog.set_level(logging.INFO, logger="integrations.cursor.client")
    fake.route("GET", "/teams/members", [error(503, "Service Unavailable", "x"), MEMBERS_OK])
    fake.client().members()
    lines = [r for r in caplog.records if r.name == "integrations.cursor.client"]
    assert [(r.cursor_method, r.cursor_path, r.cursor_status, r.cursor_attempt) for r in lines] == [
        ("GET", "/teams/members", 503, 1),
        ("GET", "/teams/members", 200, 2),
    ]
    assert all(r.cursor_duration_ms >= 0 for r in lines)
    assert lines[0].cursor_team == team_id_for_key(API_KEY)[:12]


def test_errors_pickle_with_their_attributes():
    exc = RateLimited("Cursor rate-limited GET /teams/members", retry_after=9.5, status=429)
    copy = pickle.loads(pickle.dumps(exc))
    assert (type(copy), copy.retry_after, copy.status, str(copy)) == (
        RateLimited,
        9.5,
        429,
        str(exc),
    )
    assert copy.user_message == exc.user_message


# -- retry_after_seconds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({}, None),
        ({"Retry-After": "5"}, 5.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": "garbage"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"X-RateLimit-Reset": "inf"}, None),
        ({"Retry-After": "-3"}, 0.0),
        ({"X-RateLimit-Reset": "42"}, 42.0),
        ({"X-RateLimit-Reset": "nope"}, None),
        ({"Retry-After": "2", "X-RateLimit-Reset": "42"}, 2.0),
    ],
)
def test_retry_after_seconds(headers, expected):
    assert retry_after_seconds(httpx.Headers(headers)) == expected


def test_retry_after_epoch_ms_reset_and_past_dates():
    future_ms = int((datetime.now(UTC).timestamp() + 10) * 1000)
    assert 8 <= retry_after_seconds(httpx.Headers({"X-RateLimit-Reset": str(future_ms)})) <= 10
    past = format_datetime(datetime.now(UTC) - timedelta(minutes=5), usegmt=True)
    assert retry_after_seconds(httpx.Headers({"Retry-After": past})) == 0.0


def test_default_limiter_paces_unless_rate_limits_are_switched_off(settings):
    from integrations.cursor.ratelimit import NoRateLimit, get_default_limiter

    settings.CURSOR_RATE_LIMITS = True
    assert not isinstance(get_default_limiter(), NoRateLimit)
    settings.CURSOR_RATE_LIMITS = False
    assert isinstance(get_default_limiter(), NoRateLimit)
