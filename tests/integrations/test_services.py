"""Services: validation before storage, audit entries, disconnect, Sync now, rotation."""

from datetime import date

import pytest
from django.db import connection as db

from analytics.models import CursorMember, DailyUsage, UsageEvent
from integrations import crypto, services
from integrations.cursor.errors import (
    CursorTimeout,
    CursorUnreachable,
    InvalidApiKey,
    PlanRequired,
    RateLimited,
    UpstreamError,
)
from integrations.locks import org_sync_lock
from integrations.models import AuditLogEntry, Connection, SyncRun

from .conftest import API_KEY, NEW_API_KEY, TEAM_PLAN, make_connection, seed_history

pytestmark = pytest.mark.django_db


def test_connect_validates_then_saves_encrypted_key_audits_and_enqueues_backfill(
    org, admin_user, fake_cursor
):
    result = services.connect_cursor(org, admin_user, f"  {API_KEY}\n", team_id=" team-42 ")

    assert fake_cursor.calls == [(API_KEY, "")]  # stripped before it reached Cursor
    conn = Connection.objects.get(organization=org)
    assert conn.get_api_key() == API_KEY
    assert conn.api_key_last4 == API_KEY[-4:]
    assert conn.team_id == "team-42"
    assert conn.status == Connection.Status.PENDING
    assert conn.capabilities == {"admin": True, "analytics": True, "ai_code": True, "member_count": 12}
    assert conn.created_by == admin_user
    assert result.enterprise_note == ""
    assert SyncRun.objects.get(organization=org) == result.sync_run
    assert result.sync_run.connection == conn and result.sync_run.trigger == SyncRun.Trigger.CONNECT
    assert result.sync_run.status == SyncRun.Status.QUEUED and result.sync_run.window_start is None
    entry = AuditLogEntry.objects.get(organization=org, action=AuditLogEntry.Action.CONNECTED)
    assert entry.actor == admin_user
    assert API_KEY not in entry.detail
    # The engine records who started the backfill.
    assert AuditLogEntry.objects.filter(organization=org, action="sync_triggered", actor=admin_user).exists()


def test_rejected_key_saves_nothing(org, admin_user, fake_cursor):
    fake_cursor.error = InvalidApiKey("401 on /teams/members", status=401)
    with pytest.raises(services.KeyRejected) as excinfo:
        services.connect_cursor(org, admin_user, API_KEY)
    assert str(excinfo.value) == "Cursor rejected this API key."
    assert "admin scope" in excinfo.value.hint
    assert API_KEY not in str(excinfo.value) and API_KEY not in excinfo.value.hint
    assert not Connection.objects.exists()
    assert not AuditLogEntry.objects.exists()
    assert not SyncRun.objects.exists()


@pytest.mark.parametrize(
    "error",
    [
        CursorUnreachable("connect failed"),
        CursorTimeout("read timeout"),
        UpstreamError("500 on /teams/members", status=500),
        UpstreamError("invalid JSON", status=200),
        RateLimited("429", status=429, retry_after=30),
    ],
    ids=["unreachable", "timeout", "5xx", "malformed", "429"],
)
def test_unreachable_cursor_is_retryable_and_saves_nothing(org, admin_user, fake_cursor, error):
    fake_cursor.error = error
    with pytest.raises(services.CursorUnavailable) as excinfo:
        services.connect_cursor(org, admin_user, API_KEY)
    assert excinfo.value.user_message == (
        "We couldn't reach Cursor right now. Nothing was saved — please try again in a minute."
    )
    assert not Connection.objects.exists()
    assert not SyncRun.objects.exists()


def test_key_without_enterprise_is_saved_with_a_note(org, admin_user, fake_cursor):
    fake_cursor.capabilities = TEAM_PLAN
    result = services.connect_cursor(org, admin_user, API_KEY)
    assert "Enterprise" in result.enterprise_note
    assert "Admin API data" in result.enterprise_note
    conn = Connection.objects.get(organization=org)
    assert conn.capabilities["analytics"] is False and conn.capabilities["ai_code"] is False
    assert SyncRun.objects.filter(organization=org).get() == result.sync_run


def test_plan_refusing_even_the_admin_api_still_saves_with_a_note(org, admin_user, fake_cursor):
    fake_cursor.error = PlanRequired(
        "Cursor answered HTTP 403 to GET /teams/members: Enterprise access required", status=403
    )
    result = services.connect_cursor(org, admin_user, API_KEY)
    assert "Enterprise access required" in result.enterprise_note
    assert Connection.objects.get(organization=org).capabilities == {
        "admin": False,
        "analytics": False,
        "ai_code": False,
    }


def test_second_connect_for_the_same_org_is_refused(org, admin_user, fake_cursor, connection):
    with pytest.raises(services.AlreadyConnected):
        services.connect_cursor(org, admin_user, NEW_API_KEY)
    assert fake_cursor.calls == []  # refused before the key travels anywhere
    assert Connection.objects.get(organization=org).get_api_key() == API_KEY


def test_connect_with_start_backfill_false_enqueues_nothing(org, fake_cursor):
    result = services.connect_cursor(org, None, API_KEY, start_backfill=False)
    assert result.sync_run is None and not SyncRun.objects.exists()


def test_replace_key_revalidates_resumes_syncing_and_audits(org, admin_user, fake_cursor):
    conn = make_connection(org, status=Connection.Status.KEY_REJECTED, last_error="Cursor rejected the key.")
    result = services.replace_key(conn, admin_user, NEW_API_KEY, team_id="t-2")
    conn.refresh_from_db()
    assert fake_cursor.calls == [(NEW_API_KEY, "")]
    assert conn.get_api_key() == NEW_API_KEY and conn.api_key_last4 == NEW_API_KEY[-4:]
    assert conn.status == Connection.Status.PENDING and not conn.syncs_paused
    assert conn.last_error == "" and conn.team_id == "t-2"
    assert SyncRun.objects.filter(organization=org).get() == result.sync_run
    assert result.sync_run.trigger == SyncRun.Trigger.CONNECT
    entry = AuditLogEntry.objects.get(organization=org, action=AuditLogEntry.Action.KEY_REPLACED)
    assert NEW_API_KEY not in entry.detail and API_KEY not in entry.detail


def test_replace_key_rejected_keeps_the_old_key(org, admin_user, fake_cursor):
    conn = make_connection(org)
    fake_cursor.error = InvalidApiKey(status=401)
    with pytest.raises(services.KeyRejected):
        services.replace_key(conn, admin_user, NEW_API_KEY)
    conn.refresh_from_db()
    assert conn.get_api_key() == API_KEY
    assert not AuditLogEntry.objects.filter(action=AuditLogEntry.Action.KEY_REPLACED).exists()


def test_disconnect_keep_history_deletes_key_but_keeps_rows(org, other_org, admin_user):
    conn = make_connection(org)
    rows = seed_history(org, date(2026, 10, 1), days=3)
    seed_history(other_org, date(2026, 10, 1), days=2)
    run = SyncRun.objects.create(organization=org, connection=conn, status=SyncRun.Status.SUCCEEDED)

    deleted = services.disconnect(conn, admin_user, keep_history=True)

    assert deleted == 0
    assert not Connection.objects.filter(organization=org).exists()
    with db.cursor() as cur:  # the Fernet token itself is gone from the database
        cur.execute("SELECT count(*) FROM integrations_connection WHERE organization_id = %s", [org.pk])
        assert cur.fetchone()[0] == 0
    counts = (
        CursorMember.objects.filter(organization=org).count()
        + DailyUsage.objects.filter(organization=org).count()
        + UsageEvent.objects.filter(organization=org).count()
    )
    assert counts == rows
    run.refresh_from_db()
    assert run.connection is None  # run history survives, detached
    entry = AuditLogEntry.objects.get(organization=org, action=AuditLogEntry.Action.DISCONNECTED)
    assert entry.actor == admin_user and "Kept" in entry.detail


def test_disconnect_delete_history_removes_only_this_orgs_rows(org, other_org, admin_user):
    conn = make_connection(org)
    rows = seed_history(org, date(2026, 10, 1), days=3)
    other_rows = seed_history(other_org, date(2026, 10, 1), days=2)

    deleted = services.disconnect(conn, admin_user, keep_history=False)

    assert deleted == rows
    assert not CursorMember.objects.filter(organization=org).exists()
    assert not DailyUsage.objects.filter(organization=org).exists()
    assert not UsageEvent.objects.filter(organization=org).exists()
    other_now = (
        CursorMember.objects.filter(organization=other_org).count()
        + DailyUsage.objects.filter(organization=other_org).count()
        + UsageEvent.objects.filter(organization=other_org).count()
    )
    assert other_now == other_rows
    entry = AuditLogEntry.objects.get(organization=org, action=AuditLogEntry.Action.DISCONNECTED)
    assert f"({rows} rows)" in entry.detail


def test_disconnect_cancels_active_runs_so_a_reconnect_can_sync(org, admin_user):
    conn = make_connection(org)
    run = SyncRun.objects.create(organization=org, connection=conn, status=SyncRun.Status.RUNNING)
    services.disconnect(conn, admin_user, keep_history=True)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED and "disconnected" in run.message


def test_trigger_sync_starts_a_run_and_audits(org, admin_user):
    conn = make_connection(org)
    run = services.trigger_sync(conn, admin_user)
    assert run.trigger == SyncRun.Trigger.MANUAL and run.status == SyncRun.Status.QUEUED
    assert SyncRun.objects.filter(organization=org).get() == run
    entries = AuditLogEntry.objects.filter(organization=org, action=AuditLogEntry.Action.SYNC_TRIGGERED)
    assert [e.actor for e in entries] == [admin_user]


def test_trigger_sync_while_a_run_is_queued_starts_nothing(org, admin_user):
    conn = make_connection(org)
    queued = SyncRun.objects.create(organization=org, connection=conn, status=SyncRun.Status.QUEUED)
    with pytest.raises(services.SyncNotAllowed, match="A sync is already running") as refused:
        services.trigger_sync(conn, admin_user)
    assert refused.value.run == queued  # what the API and connect report instead
    assert SyncRun.objects.filter(organization=org).count() == 1
    assert not AuditLogEntry.objects.filter(action=AuditLogEntry.Action.SYNC_TRIGGERED).exists()


def test_trigger_sync_while_a_worker_holds_the_run_starts_nothing(org, admin_user):
    conn = make_connection(org)
    SyncRun.objects.create(organization=org, connection=conn, status=SyncRun.Status.RUNNING)
    with org_sync_lock(org.pk) as acquired:  # a live worker holds the organization's lock
        assert acquired
        with pytest.raises(services.SyncNotAllowed, match="A sync is already running"):
            services.trigger_sync(conn, admin_user)
    assert SyncRun.objects.filter(organization=org).count() == 1


def test_a_run_whose_worker_died_does_not_block_sync_now(org, admin_user):
    conn = make_connection(org)
    dead = SyncRun.objects.create(organization=org, connection=conn, status=SyncRun.Status.RUNNING)
    run = services.trigger_sync(conn, admin_user)  # nobody holds the lock: the engine takes over
    assert run.pk != dead.pk
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED


def test_another_orgs_active_run_does_not_block_sync_now(org, other_org, admin_user):
    conn = make_connection(org)
    other = make_connection(other_org)
    SyncRun.objects.create(organization=other_org, connection=other, status=SyncRun.Status.RUNNING)
    run = services.trigger_sync(conn, admin_user)
    assert SyncRun.objects.filter(organization=org).get() == run


def test_trigger_sync_refused_while_the_key_is_rejected(org, admin_user):
    conn = make_connection(org, status=Connection.Status.KEY_REJECTED)
    for trigger in SyncRun.Trigger.values:  # Sync now, the hourly beat, the API alike
        with pytest.raises(services.SyncNotAllowed, match="replace it"):
            services.trigger_sync(conn, admin_user, trigger=trigger)
    assert not SyncRun.objects.exists()
    assert not AuditLogEntry.objects.filter(action=AuditLogEntry.Action.SYNC_TRIGGERED).exists()


def test_replace_key_while_a_sync_is_queued_reports_that_sync(org, admin_user, fake_cursor):
    conn = make_connection(org)
    queued = SyncRun.objects.create(organization=org, connection=conn, status=SyncRun.Status.QUEUED)
    result = services.replace_key(conn, admin_user, NEW_API_KEY)
    assert result.sync_run == queued
    assert SyncRun.objects.filter(organization=org).count() == 1


# --- key rotation ---

KEY_A = "uX2zkBtTmH73IDWwR4Ksws7Goo41OClAEbgzz6L5iws="


@pytest.fixture
def key_b():
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def test_rotation_then_dropping_the_old_key_still_decrypts(org, other_org, settings, key_b):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    first = make_connection(org, key=API_KEY)
    second = make_connection(other_org, key=NEW_API_KEY)
    old_token = Connection.objects.get(pk=first.pk).encrypted_api_key

    settings.FIELD_ENCRYPTION_KEYS = [key_b, KEY_A]
    rotated, unreadable = services.rotate_all_keys()
    assert (rotated, unreadable) == (2, [])

    settings.FIELD_ENCRYPTION_KEYS = [key_b]  # the old key is gone
    assert Connection.objects.get(pk=first.pk).get_api_key() == API_KEY
    assert Connection.objects.get(pk=second.pk).get_api_key() == NEW_API_KEY
    assert Connection.objects.get(pk=first.pk).encrypted_api_key != old_token
    with pytest.raises(crypto.SecretUnreadable):
        crypto.decrypt(old_token)  # proves the old token really needed key A


def test_rotation_reports_tokens_no_key_can_read(org, settings, key_b):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    conn = make_connection(org)
    settings.FIELD_ENCRYPTION_KEYS = [key_b]  # key A lost before rotating
    assert services.rotate_all_keys() == (0, [conn.pk])
