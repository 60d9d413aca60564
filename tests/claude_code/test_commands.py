"""connect_claude_code and sync_claude_code against a scripted Anthropic (MockTransport)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.models import ClaudeCodeActorDay
from integrations.claude_code.options import ClaudeCodeSyncOptions
from integrations.models import AuditLogEntry, Connection, Provider

from .fakes import ADMIN_KEY, ANALYTICS_KEY, BASE_URL, error
from .scripted import ScriptedAnthropic

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.fixture
def anthropic(settings, monkeypatch):
    fake = ScriptedAnthropic()
    for i in range(5):
        fake.add_console_day((NOW.date() - timedelta(days=i)).isoformat(), "ada@x.io", api_keys=("ci-bot",))
    settings.CLAUDE_CODE_API_BASE_URL = BASE_URL
    settings.CLAUDE_CODE_BACKFILL_DAYS = 5
    settings.CLAUDE_CODE_SYNC_OPTIONS = ClaudeCodeSyncOptions(
        sleep=lambda s: None, transport=fake.transport()
    )
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    monkeypatch.setattr("integrations.tasks.sync_claude_code_connection.delay", lambda run_id: None)
    return fake


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_connect_then_sync_from_the_command_line(org, anthropic):
    out = run("connect_claude_code", "--org", org.slug, "--api-key", ADMIN_KEY, "--no-sync")
    assert (
        "Connected Claude Code (Claude Console organization)" in out
        and "••••KRET" in out
        and ADMIN_KEY not in out
    )
    assert AuditLogEntry.objects.filter(
        organization=org, provider=Provider.CLAUDE_CODE, action="connected"
    ).exists()
    out = run("sync_claude_code", "--org", org.slug)
    assert "Sync succeeded" in out and ADMIN_KEY not in out
    assert ClaudeCodeActorDay.objects.filter(organization=org).count() == 10


def test_connect_reads_the_key_from_stdin(org, anthropic, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(ADMIN_KEY + "\n"))
    run("connect_claude_code", "--org", org.slug, "--api-key", "-", "--no-sync")
    assert Connection.objects.get(organization=org, provider=Provider.CLAUDE_CODE).get_api_key() == ADMIN_KEY


@pytest.mark.parametrize(
    "args,words",
    [
        (["--source", "enterprise", "--api-key", ADMIN_KEY], "Analytics API key"),
        (["--api-key", ANALYTICS_KEY], "not an Admin API key"),
        (["--api-key", ADMIN_KEY, "--base-url", "ftp://x"], r"not an http\(s\) URL"),
    ],
)
def test_connect_refuses_with_a_clear_message(org, anthropic, args, words):
    with pytest.raises(CommandError, match=words) as raised:
        run("connect_claude_code", "--org", org.slug, *args)
    assert "SEKRET" not in str(raised.value)
    assert not Connection.objects.filter(organization=org, provider=Provider.CLAUDE_CODE).exists()


def test_connect_a_rejected_key(org, anthropic):
    anthropic.fail_next("/users", error(401, "authentication_error"))
    with pytest.raises(CommandError, match="rejected this key"):
        run("connect_claude_code", "--org", org.slug, "--api-key", ADMIN_KEY)


def test_sync_errors(org, anthropic):
    with pytest.raises(CommandError, match="No organization"):
        run("sync_claude_code", "--org", "nope")
    with pytest.raises(CommandError, match="not connected"):
        run("sync_claude_code", "--org", org.slug)
    run("connect_claude_code", "--org", org.slug, "--api-key", ADMIN_KEY, "--no-sync")
    with pytest.raises(CommandError, match="at least 1"):
        run("sync_claude_code", "--org", org.slug, "--days", "0")
    anthropic.fail_next("/users", error(403, "permission_error"))
    with pytest.raises(CommandError, match="Admin API key"):
        run("sync_claude_code", "--org", org.slug)
