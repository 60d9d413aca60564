"""Settings → Integrations → Claude Code with every persona: connect (choosing the source, the
precise messages for a rejected key, a non-admin key, a wrong key type and a missing scope), the
connection page with progress and the roster-gap caveat, replace, disconnect, sync now, and the
key never rendered."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest

from analytics.models import ClaudeCodeActorDay, ToolDay
from analytics.services.claude_code import store_console_day, upsert_claude_code_users
from integrations.claude_code.options import ClaudeCodeSyncOptions
from integrations.claude_code.records import parse_console_row, parse_roster_user
from integrations.models import AuditLogEntry, Connection, Provider, SyncRun

from .fakes import ADMIN_KEY, ANALYTICS_KEY, BASE_URL, FakeAnthropic, console_row, error, ok, page

pytestmark = pytest.mark.django_db

ROOT = "/settings/integrations/claude-code/"
CONNECT, DETAIL, REPLACE = ROOT + "connect/", ROOT, ROOT + "replace-key/"
DISCONNECT, SYNC, PROGRESS = ROOT + "disconnect/", ROOT + "sync/", ROOT + "progress.json"
INDEX = "/settings/integrations/"
USERS = "/v1/organizations/users"
REPORT = "/v1/organizations/usage_report/claude_code"
ANALYTICS = "/v1/organizations/analytics/users"
NEW_KEY = "sk-ant-admin01-" + "N3wK3y" * 8


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def anthropic(settings, monkeypatch):
    fake = FakeAnthropic()
    fake.route(USERS, ok({"data": [], "has_more": False}))
    fake.route(REPORT, ok(page([])))
    fake.route(ANALYTICS, ok({"data": [], "next_page": None}))
    settings.CLAUDE_CODE_API_BASE_URL = BASE_URL
    settings.CLAUDE_CODE_SYNC_OPTIONS = ClaudeCodeSyncOptions(
        sleep=lambda s: None, transport=fake.transport()
    )
    monkeypatch.setattr("integrations.tasks.sync_claude_code_connection.delay", lambda run_id: None)
    return fake


@pytest.fixture
def connection(org):
    conn = Connection(organization=org, provider=Provider.CLAUDE_CODE, config={"source": "console"})
    conn.set_api_key(ADMIN_KEY)
    conn.save()
    return conn


# -- connect ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin_client", "owner_client"])
@pytest.mark.parametrize("source,key", [("console", ADMIN_KEY), ("enterprise", ANALYTICS_KEY)])
def test_connect_validates_saves_encrypted_and_starts_the_backfill(
    request, org, anthropic, persona, source, key, django_capture_on_commit_callbacks
):
    client = request.getfixturevalue(persona)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CONNECT, {"source": source, "api_key": key})
    assert response.status_code == 302 and response["Location"] == DETAIL
    conn = Connection.objects.get(organization=org, provider=Provider.CLAUDE_CODE)
    assert conn.config == {"source": source} and conn.get_api_key() == key
    assert key not in conn.encrypted_api_key and conn.api_key_last4 == "KRET"
    assert (
        SyncRun.objects.get(organization=org, provider=Provider.CLAUDE_CODE).trigger
        == SyncRun.Trigger.CONNECT
    )
    assert AuditLogEntry.objects.filter(
        organization=org, provider=Provider.CLAUDE_CODE, action="connected"
    ).exists()
    assert anthropic.requests and all(r.headers["x-api-key"] == key for r in anthropic.requests)


def test_the_form_says_only_the_primary_owner_can_create_an_analytics_key(admin_client, anthropic):
    page_text = text(admin_client.get(CONNECT))
    assert "Only the organization's Primary Owner can create it" in page_text
    assert "Claude Console organization" in page_text and "Claude Enterprise" in page_text


@pytest.mark.parametrize(
    "source,key,route,response,words",
    [
        ("console", ADMIN_KEY, USERS, error(401, "authentication_error", "invalid x-api-key"), "Anthropic rejected this key (401)"),
        ("console", ADMIN_KEY, USERS, error(403, "permission_error", "admin required"), "it is not an Admin API key"),
        ("console", ANALYTICS_KEY, None, None, "not an Admin API key"),
        ("enterprise", ADMIN_KEY, None, None, "Claude Enterprise needs an Analytics API key"),
        ("enterprise", ANALYTICS_KEY, ANALYTICS, error(403, "permission_error", "key has [read:members]; needs [read:analytics]"),
         "lacks the read:analytics scope"),
        ("console", ADMIN_KEY, USERS, error(500, "api_error"), "couldn't reach Anthropic"),
        ("console", "not-a-key-at-all-really", None, None, "not an Anthropic API key"),
    ],
)  # fmt: skip
def test_connect_failures_say_what_is_wrong_and_save_nothing(
    org, admin_client, anthropic, source, key, route, response, words
):
    if route:
        anthropic.routes[route] = [response]
    result = admin_client.post(CONNECT, {"source": source, "api_key": key})
    assert result.status_code == 200
    body = text(result)
    assert words in body
    assert key not in body and "SEKRET" not in body  # the key is never rendered back
    assert not Connection.objects.filter(organization=org, provider=Provider.CLAUDE_CODE).exists()


def test_missing_scope_quotes_anthropics_scope_list(admin_client, anthropic):
    anthropic.routes[ANALYTICS] = [
        error(403, "permission_error", "key has [read:members]; needs [read:analytics]")
    ]
    body = text(admin_client.post(CONNECT, {"source": "enterprise", "api_key": ANALYTICS_KEY}))
    assert "key has [read:members]; needs [read:analytics]" in body and "Primary Owner" in body


def test_members_cannot_manage(member_client, connection, anthropic):
    for url in (CONNECT, DETAIL, REPLACE, DISCONNECT, PROGRESS):
        assert member_client.get(url).status_code == 403
    assert member_client.post(SYNC).status_code == 403
    assert member_client.post(DISCONNECT, {"history": "delete"}).status_code == 403
    assert Connection.objects.filter(pk=connection.pk).exists()


def test_an_outsider_never_reaches_our_connection(outsider_client, connection, anthropic):
    """The owner of another organization manages their own (unconnected) organization only."""
    assert outsider_client.get(DETAIL)["Location"] == CONNECT
    for url in (REPLACE, DISCONNECT, PROGRESS):
        assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(DISCONNECT, {"history": "delete"}).status_code == 404
    assert outsider_client.post(SYNC).status_code == 404
    assert Connection.objects.filter(pk=connection.pk).exists()
    assert not SyncRun.objects.filter(connection=connection).exists()


def test_not_connected_pages(admin_client, anthropic):
    assert admin_client.get(DETAIL)["Location"] == CONNECT
    assert admin_client.get(PROGRESS).status_code == 404
    assert admin_client.get(REPLACE).status_code == 404


# -- the connection page ----------------------------------------------------------------------------


def test_the_page_shows_status_progress_and_the_roster_gap(org, admin_client, connection, anthropic):
    now = datetime(2026, 11, 25, tzinfo=UTC)
    users = [
        parse_roster_user({"id": f"u{i}", "email": f"{n}@x.io"})
        for i, n in enumerate(("ada", "bob", "cy", "dee"))
    ]
    upsert_claude_code_users(org.pk, users, now)
    store_console_day(
        org.pk, date(2026, 11, 24), [parse_console_row(console_row("ada@x.io", "2026-11-24"))], now
    )
    SyncRun.objects.create(organization=org, connection=connection, provider=Provider.CLAUDE_CODE,
                           status=SyncRun.Status.RUNNING, progress={"roster": {"status": "done", "rows": 4, "done": 1, "total": 1},
                           "usage": {"status": "running", "rows": 9, "done": 3, "total": 10}})  # fmt: skip
    body = text(admin_client.get(DETAIL))
    assert "Known gap" in body and "3 of 4" in body
    assert "Claude Console organization" in body and "••••KRET" in body and ADMIN_KEY not in body
    assert "Claude Code usage report, per day" in body and "(3/10)" in body
    payload = admin_client.get(PROGRESS).json()
    assert payload["run"]["percent"] == 65 and payload["connection"]["status"] == "pending"
    assert ADMIN_KEY not in str(payload)


def test_the_index_offers_claude_code(admin_client, connection, anthropic):
    body = text(admin_client.get(INDEX))
    assert "Claude Code" in body and DETAIL in body


# -- replace, disconnect, sync ------------------------------------------------------------------


def test_replace_key_validates_then_swaps_and_resumes(org, admin_client, connection, anthropic):
    connection.status = Connection.Status.KEY_REJECTED
    connection.save()
    anthropic.routes[USERS] = [error(401, "authentication_error")]
    assert "rejected" in text(admin_client.post(REPLACE, {"api_key": NEW_KEY}))
    connection.refresh_from_db()
    assert connection.get_api_key() == ADMIN_KEY  # the old key stays until the new one is accepted
    anthropic.routes[USERS] = [ok({"data": [], "has_more": False})]
    assert admin_client.post(REPLACE, {"api_key": NEW_KEY}).status_code == 302
    connection.refresh_from_db()
    assert connection.get_api_key() == NEW_KEY and connection.status == Connection.Status.PENDING
    assert AuditLogEntry.objects.filter(
        organization=org, action="key_replaced", provider=Provider.CLAUDE_CODE
    ).exists()


def test_disconnect_deletes_claude_code_history_only(org, admin_client, connection, anthropic):
    from analytics.models import Tool
    from analytics.services import refresh_after_sync

    day = date(2026, 11, 24)
    store_console_day(
        org.pk,
        day,
        [parse_console_row(console_row("ada@x.io", "2026-11-24"))],
        datetime(2026, 11, 25, tzinfo=UTC),
    )
    refresh_after_sync(org.pk, Tool.CLAUDE_CODE, day, day)
    cursor_fact = ToolDay.objects.create(organization=org, tool=Tool.CURSOR, day=day,
                                         person=ToolDay.objects.get(organization=org).person)  # fmt: skip
    response = admin_client.post(DISCONNECT, {"history": "delete"})
    assert response.status_code == 302
    assert not Connection.objects.filter(organization=org, provider=Provider.CLAUDE_CODE).exists()
    assert not ClaudeCodeActorDay.objects.filter(organization=org).exists()
    assert list(ToolDay.objects.filter(organization=org)) == [cursor_fact]


def test_disconnect_can_keep_history(org, admin_client, connection, anthropic):
    store_console_day(
        org.pk,
        date(2026, 11, 24),
        [parse_console_row(console_row("ada@x.io", "2026-11-24"))],
        datetime(2026, 11, 25, tzinfo=UTC),
    )
    admin_client.post(DISCONNECT, {"history": "keep"})
    assert ClaudeCodeActorDay.objects.filter(organization=org).count() == 1


def test_sync_now_queues_once(org, admin_client, connection, anthropic):
    admin_client.post(SYNC)
    admin_client.post(SYNC)
    assert SyncRun.objects.filter(organization=org, provider=Provider.CLAUDE_CODE).count() == 1


def test_disconnecting_cursor_keeps_claude_codes_history(org, connection, anthropic):
    from integrations.services import disconnect

    store_console_day(
        org.pk,
        date(2026, 11, 24),
        [parse_console_row(console_row("ada@x.io", "2026-11-24"))],
        datetime(2026, 11, 25, tzinfo=UTC),
    )
    cursor = Connection(organization=org, provider=Provider.CURSOR)
    cursor.set_api_key("key_" + "c" * 40)
    cursor.save()
    disconnect(cursor, None, keep_history=False)
    assert ClaudeCodeActorDay.objects.filter(organization=org).count() == 1
