"""connect_cursor, sync_cursor and rotate_encryption_keys, against the Cursor simulator."""

import io
import socket

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from analytics.models import CursorMember, DailyUsage, UsageEvent
from integrations.cursor.ratelimit import NoRateLimit
from integrations.cursor.sync import SyncOptions
from integrations.management.commands.sync_cursor import ProgressPrinter
from integrations.models import AuditLogEntry, Connection, SyncRun

from .conftest import API_KEY, make_connection

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


@pytest.fixture
def sim(cursor_sim, make_sim_team, settings):
    """A small simulated team, rate limits off, and syncs that never really sleep.

    `sync_cursor` takes no sync options, so they go in through the setting its run reads.
    """
    cursor_sim.rate_limits = False  # restored by make_sim_team's teardown
    settings.CURSOR_SYNC_OPTIONS = SyncOptions(sleep=lambda s: None, limiter=NoRateLimit(), timeout=5.0)
    return cursor_sim


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


# --- connect_cursor ---


def test_connect_cursor_validates_saves_and_prints_capabilities(org, sim, make_sim_team):
    team = make_sim_team(seats=4, days=5)
    output = run("connect_cursor", "--org", "acme", "--api-key", team.api_key, "--base-url", sim.base_url)
    conn = Connection.objects.get(organization=org)
    assert conn.get_api_key() == team.api_key and conn.base_url == sim.base_url
    assert f"••••{team.api_key[-4:]}" in output
    assert "Admin API: yes" in output and "Analytics API: yes" in output and "AI Code Tracking: yes" in output
    # The backfill is queued, not run: the command does not wait for it.
    queued = SyncRun.objects.get(organization=org)
    assert queued.status == SyncRun.Status.QUEUED and queued.trigger == SyncRun.Trigger.CONNECT
    assert f"sync run #{queued.pk}" in output
    assert team.api_key not in output
    entry = AuditLogEntry.objects.get(organization=org, action="connected")
    assert entry.actor is None


def test_connect_cursor_no_sync_enqueues_nothing(org, sim, make_sim_team):
    team = make_sim_team(seats=3, days=3)
    output = run(
        "connect_cursor", "--org", "acme", "--api-key", team.api_key, "--base-url", sim.base_url, "--no-sync"
    )
    assert Connection.objects.filter(organization=org).exists()
    assert not SyncRun.objects.filter(organization=org).exists()
    assert "sync_cursor --org acme" in output


def test_connect_cursor_team_plan_prints_the_enterprise_note(org, sim, make_sim_team):
    team = make_sim_team(seats=3, days=3, plan="team")
    output = run(
        "connect_cursor", "--org", "acme", "--api-key", team.api_key, "--base-url", sim.base_url, "--no-sync"
    )
    assert "Analytics API: no (needs Enterprise)" in output
    assert "need an Enterprise plan" in output


def test_connect_cursor_reads_the_key_from_stdin(org, sim, make_sim_team, monkeypatch):
    team = make_sim_team(seats=3, days=3)
    monkeypatch.setattr("sys.stdin", io.StringIO(team.api_key + "\n"))
    run("connect_cursor", "--org", "acme", "--api-key", "-", "--base-url", sim.base_url, "--no-sync")
    assert Connection.objects.get(organization=org).get_api_key() == team.api_key


@pytest.mark.parametrize(
    "key, base_url, reason",
    [
        ("crsr_" + "0" * 64, None, "Cursor rejected this API key."),
        ("crsr_" + "0" * 64, "closed", "We couldn't reach Cursor right now."),
        ("crsr_ 123", None, "no spaces inside"),
        ("crsr_abc", None, "too short"),
    ],
    ids=["rejected", "unreachable", "spaces", "short"],
)
def test_connect_cursor_fails_non_zero_with_the_reason(org, sim, key, base_url, reason):
    url = closed_port_url() if base_url == "closed" else sim.base_url
    with pytest.raises(CommandError) as excinfo:
        run("connect_cursor", "--org", "acme", "--api-key", key, "--base-url", url)
    assert reason in str(excinfo.value)
    assert key not in str(excinfo.value)
    assert not Connection.objects.exists()


def test_connect_cursor_refuses_a_base_url_that_is_not_http(org):
    with pytest.raises(CommandError, match="not an http"):
        run("connect_cursor", "--org", "acme", "--api-key", API_KEY, "--base-url", "ftp://x")
    assert not Connection.objects.exists()


def test_connect_cursor_unknown_org_and_existing_connection(org, sim):
    with pytest.raises(CommandError, match="No organization with slug 'nope'"):
        run("connect_cursor", "--org", "nope", "--api-key", API_KEY)
    make_connection(org)
    with pytest.raises(CommandError, match="already connected"):
        run("connect_cursor", "--org", "acme", "--api-key", API_KEY)


def test_connect_cursor_exit_status_is_non_zero_from_the_shell(org, sim, capsys):
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(
            [
                "manage.py",
                "connect_cursor",
                "--org",
                "acme",
                "--api-key",
                "crsr_" + "0" * 64,
                "--base-url",
                sim.base_url,
            ]
        ).execute()
    assert exited.value.code != 0
    assert "Cursor rejected this API key." in capsys.readouterr().err


# --- sync_cursor ---


@pytest.fixture
def sim_connection(org, sim, make_sim_team):
    team = make_sim_team(seats=4, days=8)
    conn = make_connection(org, key=team.api_key, base_url=sim.base_url, status=Connection.Status.PENDING)
    return conn, team


def test_sync_cursor_runs_in_the_foreground_and_prints_rows_per_stream(org, sim_connection):
    conn, team = sim_connection
    output = run("sync_cursor", "--org", "acme", "--days", "5")

    run_row = SyncRun.objects.get(organization=org)
    assert run_row.trigger == SyncRun.Trigger.COMMAND and run_row.status == SyncRun.Status.SUCCEEDED
    assert DailyUsage.objects.filter(organization=org).exists()
    assert "Rows stored per stream:" in output
    rows = run_row.rows_stored
    assert rows["members"] == CursorMember.objects.filter(organization=org).count() > 0
    assert rows["usage_events"] == UsageEvent.objects.filter(organization=org).count()
    assert f"Members            {rows['members']:>8}" in output
    assert f"Total              {sum(rows.values()):>8}" in output
    # Not a terminal: one line per progress change, never a carriage return.
    assert "\r" not in output and "[####" in output and "pending" not in output
    assert team.api_key not in output
    conn.refresh_from_db()
    assert conn.status == Connection.Status.HEALTHY
    assert AuditLogEntry.objects.filter(organization=org, action="sync_triggered", actor=None).exists()


def test_sync_cursor_fails_non_zero_with_the_runs_message(org, sim, sim_connection):
    conn, team = sim_connection
    sim.remove_team(team)  # the key is no longer known to Cursor: 401
    with pytest.raises(CommandError) as excinfo:
        run("sync_cursor", "--org", "acme", "--days", "2")
    run_row = SyncRun.objects.get(organization=org)
    assert run_row.status == SyncRun.Status.FAILED
    assert str(excinfo.value) == run_row.message and "rejected" in run_row.message
    assert team.api_key not in str(excinfo.value)


def test_sync_cursor_refuses_while_the_key_is_rejected(org, sim_connection):
    conn, team = sim_connection
    Connection.objects.filter(pk=conn.pk).update(status=Connection.Status.KEY_REJECTED)
    with pytest.raises(CommandError, match="replace it before syncing"):
        run("sync_cursor", "--org", "acme")
    assert not SyncRun.objects.exists()
    assert not team.request_log  # Cursor was never asked


def test_sync_cursor_refuses_bad_input(org, other_org):
    with pytest.raises(CommandError, match="not connected"):
        run("sync_cursor", "--org", "acme")
    make_connection(org)
    with pytest.raises(CommandError, match="at least 1"):
        run("sync_cursor", "--org", "acme", "--days", "0")
    assert not SyncRun.objects.exists()


def test_progress_printer_redraws_in_place_on_a_terminal():
    from django.core.management.base import OutputWrapper

    buf = io.StringIO()
    printer = ProgressPrinter(OutputWrapper(buf), is_tty=True)
    printer({"members": {"status": "pending"}, "spend": {"status": "pending"}})
    printer({"members": {"status": "running", "done": 0, "total": 1, "rows": 0}})
    printer({"members": {"status": "done", "done": 1, "total": 1, "rows": 12}})
    printer({"usage_events": {"status": "running", "done": 1, "total": 4, "rows": 40}})
    printer.finish()
    text = buf.getvalue()
    assert text.count("\r") == 3
    assert "[########################] 100%       12 rows  done" in text
    assert "[######------------------]  25%       40 rows  running" in text
    assert text.count("\n") == 2  # one to keep "members" on screen, one at the end


# --- rotate_encryption_keys ---

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def test_rotate_encryption_keys_command(org, other_org, settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    make_connection(org)
    make_connection(other_org, key="key_" + "b" * 64)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    assert "Re-encrypted 2 key(s)" in run("rotate_encryption_keys")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    assert Connection.objects.get(organization=org).get_api_key() == API_KEY
    assert Connection.objects.get(organization=other_org).get_api_key() == "key_" + "b" * 64


def test_rotate_encryption_keys_fails_when_a_key_is_unreadable(org, settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    conn = make_connection(org)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(CommandError, match=f"connection ids: {conn.pk}"):
        run("rotate_encryption_keys")
