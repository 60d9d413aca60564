"""Settings → Integrations pages, with the three personas and the messages users read."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import DailyUsage
from integrations.cursor.errors import CursorUnreachable, InvalidApiKey, UpstreamError
from integrations.models import AuditLogEntry, Connection, SyncRun

from .conftest import API_KEY, NEW_API_KEY, TEAM_PLAN, make_connection, seed_history

pytestmark = pytest.mark.django_db

INDEX = reverse("integrations:index")
DETAIL = reverse("integrations:cursor_detail")
CONNECT = reverse("integrations:cursor_connect")
REPLACE = reverse("integrations:cursor_replace_key")
DISCONNECT = reverse("integrations:cursor_disconnect")
SYNC = reverse("integrations:cursor_sync")
AUDIT = reverse("integrations:audit")
PROGRESS = reverse("integrations:cursor_progress")

MANAGE_GETS = [DETAIL, CONNECT, REPLACE, DISCONNECT, AUDIT, PROGRESS]


def text(response) -> str:
    return response.content.decode()


# --- index ---


def test_index_lists_ai_tools_with_coming_soon_providers(admin_client, org):
    page = text(admin_client.get(INDEX))
    assert "AI Tools" in page
    assert CONNECT in page and "Connect</a>" in page
    assert "GitHub Copilot" in page and "Claude Code" in page
    assert page.count("coming soon") == 0  # every AI tool can be connected now


def test_index_offers_manage_once_connected(admin_client, connection):
    page = text(admin_client.get(INDEX))
    assert DETAIL in page and "Manage" in page and CONNECT not in page


# --- connect form ---


def test_connect_form_key_is_a_password_input_without_autocomplete(admin_client, org):
    page = text(admin_client.get(CONNECT))
    assert 'type="password"' in page and 'name="api_key"' in page and 'autocomplete="off"' in page
    assert 'name="team_id"' in page


def test_connect_success_saves_enqueues_and_lands_on_the_connection_page(
    admin_client, org, admin_user, fake_cursor
):
    response = admin_client.post(CONNECT, {"api_key": f" {API_KEY} ", "team_id": "team-7"})
    assert response.status_code == 302 and response["Location"] == DETAIL
    conn = Connection.objects.get(organization=org)
    assert conn.get_api_key() == API_KEY and conn.team_id == "team-7" and conn.created_by == admin_user
    assert SyncRun.objects.filter(organization=org, trigger="connect").count() == 1
    page = text(admin_client.get(DETAIL))
    assert "Cursor is connected" in page and "team-7" in page


def test_rejected_key_shows_the_message_keeps_team_id_and_not_the_key(admin_client, org, fake_cursor):
    fake_cursor.error = InvalidApiKey(status=401)
    response = admin_client.post(CONNECT, {"api_key": API_KEY, "team_id": "team-7"})
    assert response.status_code == 200
    page = text(response)
    assert "Cursor rejected this API key." in page
    assert "admin scope" in page
    assert API_KEY not in page
    assert 'value="team-7"' in page
    assert not Connection.objects.exists() and not SyncRun.objects.exists()


@pytest.mark.parametrize("error", [CursorUnreachable("down"), UpstreamError("502", status=502)])
def test_unreachable_cursor_shows_a_retryable_message(admin_client, org, fake_cursor, error):
    fake_cursor.error = error
    page = text(admin_client.post(CONNECT, {"api_key": API_KEY}))
    assert (
        "We couldn&#x27;t reach Cursor right now. Nothing was saved — please try again in a minute." in page
    )
    assert API_KEY not in page
    assert not Connection.objects.exists()


def test_team_plan_key_is_saved_with_the_enterprise_note(admin_client, org, fake_cursor):
    fake_cursor.capabilities = TEAM_PLAN
    response = admin_client.post(CONNECT, {"api_key": API_KEY}, follow=True)
    assert response.redirect_chain[-1][0] == DETAIL
    page = text(response)
    assert "Analytics API and AI Code Tracking need an Enterprise plan" in page
    assert "derives what it can from the Admin API data" in page
    assert Connection.objects.filter(organization=org).exists()
    # The note stays on the connection page, not just in the one-off message.
    assert 'id="enterprise-note"' in text(admin_client.get(DETAIL))


@pytest.mark.parametrize(
    "bad_key, message",
    [
        ("", "Paste your Cursor Admin API key."),
        ("   ", "Paste your Cursor Admin API key."),
        ("crsr_abc def0123456789abcdef0123", "no spaces inside"),
        ("crsr_short", "too short"),
    ],
)
def test_malformed_keys_are_refused_before_calling_cursor(admin_client, org, fake_cursor, bad_key, message):
    page = text(admin_client.post(CONNECT, {"api_key": bad_key, "team_id": "t1"}))
    assert message in page
    assert fake_cursor.calls == []
    assert not Connection.objects.exists()


def test_connect_page_redirects_once_connected(admin_client, connection, fake_cursor):
    assert admin_client.get(CONNECT)["Location"] == DETAIL
    admin_client.post(CONNECT, {"api_key": NEW_API_KEY})
    assert fake_cursor.calls == []


# --- connection page ---


def test_connection_page_shows_health_last_sync_coverage_capabilities_and_key(admin_client, org, connection):
    seed_history(org, date(2026, 10, 3), days=5, members=1)
    page = text(admin_client.get(DETAIL))
    assert "Healthy" in page
    assert "2\xa0hours ago" in page
    assert connection.last_synced_at.strftime("%Y-%m-%d %H:%M") + " UTC" in page
    assert "2026-10-03 – 2026-10-07" in page and "5 days" in page
    assert f"••••{API_KEY[-4:]}" in page
    for label in ("Admin API", "Analytics API", "AI Code Tracking"):
        assert label in page
    assert "needs Enterprise" not in page
    assert "Sync now" in page and REPLACE in page and DISCONNECT in page


def test_coverage_ignores_other_orgs_data(admin_client, org, other_org, connection):
    seed_history(other_org, date(2026, 1, 1), days=2, members=1)
    page = text(admin_client.get(DETAIL))
    assert "No data yet" in page and "2026-01-01" not in page


def test_capabilities_show_needs_enterprise(admin_client, org):
    make_connection(org)
    Connection.objects.filter(organization=org).update(
        capabilities={"admin": True, "analytics": False, "ai_code": False}
    )
    page = text(admin_client.get(DETAIL))
    assert page.count("needs Enterprise") == 2


def test_syncing_shows_progress_bar_percent_and_per_stream_rows(admin_client, org, connection):
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.SYNCING)
    SyncRun.objects.create(
        organization=org,
        connection=connection,
        status=SyncRun.Status.RUNNING,
        progress={
            "members": {"status": "done", "rows": 52, "done": 1, "total": 1},
            "usage_events": {"status": "running", "rows": 1234, "done": 0, "total": 2},
        },
    )
    page = text(admin_client.get(DETAIL))
    assert 'class="progress-bar" style="width:50%"' in page
    assert '<span id="sync-percent">50</span>% complete' in page
    assert 'data-stream="members"' in page and ">52<" in page and ">1234<" in page
    assert "js/connection.js" in page
    assert 'disabled aria-disabled="true">Sync now' in page


def test_failing_shows_the_last_error_in_plain_words(admin_client, connection):
    Connection.objects.filter(pk=connection.pk).update(
        status=Connection.Status.FAILING, last_error="Cursor's API did not answer in time."
    )
    page = text(admin_client.get(DETAIL))
    assert "Failing" in page and "Cursor&#x27;s API did not answer in time." in page


def test_rejected_stored_key_shows_the_pause_banner(admin_client, connection):
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.KEY_REJECTED)
    page = text(admin_client.get(DETAIL))
    assert "Cursor rejected the stored key; hourly syncs are paused until you" in page
    assert "replace it</a>" in page


def test_recent_runs_lists_the_last_ten_with_rows_and_duration(admin_client, org, connection):
    start = timezone.now() - timedelta(hours=1)
    for i in range(12):
        SyncRun.objects.create(
            organization=org,
            connection=connection,
            status=SyncRun.Status.SUCCEEDED,
            trigger=SyncRun.Trigger.HOURLY,
            started_at=start,
            finished_at=start + timedelta(seconds=40 + i),
            progress={"members": {"rows": 3}, "daily_usage": {"rows": 100 + i}},
            message=f"run-{i}",
        )
    page = text(admin_client.get(DETAIL))
    assert "run-11" in page and "run-2" in page and "run-1<" not in page and "run-0" not in page
    assert "114" in page and "51 s" in page and "Hourly schedule" in page


def test_connection_page_redirects_to_connect_when_not_connected(admin_client, org):
    assert admin_client.get(DETAIL)["Location"] == CONNECT


# --- Sync now ---


def test_sync_now_starts_a_run_and_audits(admin_client, org, admin_user, connection):
    response = admin_client.post(SYNC, follow=True)
    assert "Sync started." in text(response)
    assert SyncRun.objects.filter(organization=org, trigger="manual").count() == 1
    assert AuditLogEntry.objects.filter(organization=org, action="sync_triggered", actor=admin_user).exists()


def test_sync_now_while_running_says_so_and_starts_nothing(admin_client, org, connection):
    SyncRun.objects.create(organization=org, connection=connection, status=SyncRun.Status.QUEUED)
    response = admin_client.post(SYNC, follow=True)
    assert "A sync is already running" in text(response)
    assert SyncRun.objects.filter(organization=org).count() == 1
    assert not AuditLogEntry.objects.filter(organization=org, action="sync_triggered").exists()


def test_sync_now_while_the_key_is_rejected_asks_for_a_new_key(admin_client, org, connection):
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.KEY_REJECTED)
    response = admin_client.post(SYNC, follow=True)
    assert "Cursor rejected the stored key; replace it before syncing." in text(response)
    assert not SyncRun.objects.exists()


def test_sync_now_is_post_only(admin_client, connection):
    assert admin_client.get(SYNC).status_code == 405
    assert not SyncRun.objects.exists()


# --- replace key ---


def test_replace_key_validates_resumes_and_audits(admin_client, org, fake_cursor):
    make_connection(org, status=Connection.Status.KEY_REJECTED, team_id="old")
    page = text(admin_client.get(REPLACE))
    assert 'value="old"' in page and 'type="password"' in page
    response = admin_client.post(REPLACE, {"api_key": NEW_API_KEY, "team_id": "old"})
    assert response["Location"] == DETAIL
    conn = Connection.objects.get(organization=org)
    assert conn.get_api_key() == NEW_API_KEY and conn.status == Connection.Status.PENDING
    assert AuditLogEntry.objects.filter(organization=org, action="key_replaced").count() == 1
    assert SyncRun.objects.filter(organization=org, trigger=SyncRun.Trigger.CONNECT).count() == 1


def test_replace_key_rejected_keeps_the_old_key_and_shows_the_message(admin_client, org, fake_cursor):
    make_connection(org)
    fake_cursor.error = InvalidApiKey(status=401)
    page = text(admin_client.post(REPLACE, {"api_key": NEW_API_KEY, "team_id": ""}))
    assert "Cursor rejected this API key." in page and NEW_API_KEY not in page
    assert Connection.objects.get(organization=org).get_api_key() == API_KEY


# --- disconnect ---


def test_disconnect_get_only_asks_for_confirmation(admin_client, org, connection):
    seed_history(org, date(2026, 10, 1), days=2, members=1)
    page = text(admin_client.get(DISCONNECT))
    assert "Disconnect Cursor?" in page and 'value="keep"' in page and 'value="delete"' in page
    assert "2026-10-01" in page
    assert Connection.objects.filter(organization=org).exists()


def test_disconnect_keep_history(admin_client, org, connection):
    seed_history(org, date(2026, 10, 1), days=2, members=1)
    response = admin_client.post(DISCONNECT, {"history": "keep"}, follow=True)
    assert response.redirect_chain[-1][0] == INDEX
    assert "history was kept" in text(response)
    assert not Connection.objects.filter(organization=org).exists()
    assert DailyUsage.objects.filter(organization=org).count() == 2
    assert AuditLogEntry.objects.filter(organization=org, action="disconnected").count() == 1


def test_disconnect_delete_history(admin_client, org, other_org, connection):
    rows = seed_history(org, date(2026, 10, 1), days=2, members=1)
    seed_history(other_org, date(2026, 10, 1), days=2, members=1)
    response = admin_client.post(DISCONNECT, {"history": "delete"}, follow=True)
    assert f"{rows} synced rows were deleted" in text(response)
    assert not DailyUsage.objects.filter(organization=org).exists()
    assert DailyUsage.objects.filter(organization=other_org).count() == 2


def test_disconnect_without_a_choice_changes_nothing(admin_client, org, connection):
    response = admin_client.post(DISCONNECT, {})
    assert response.status_code == 200 and "This field is required" in text(response)
    assert Connection.objects.filter(organization=org).exists()


# --- audit log ---


def test_audit_log_lists_who_when_what(admin_client, org, admin_user, fake_cursor):
    admin_client.post(CONNECT, {"api_key": API_KEY})
    SyncRun.objects.filter(organization=org).update(status=SyncRun.Status.SUCCEEDED)
    admin_client.post(SYNC)
    admin_client.post(REPLACE, {"api_key": NEW_API_KEY})
    admin_client.post(DISCONNECT, {"history": "keep"})
    actions = list(AuditLogEntry.objects.filter(organization=org).values_list("action", "actor"))
    # Newest first. Each sync start is recorded too (backfill, Sync now); the new key reuses
    # the still-queued Sync now run, which reads the key when it starts.
    assert actions == [
        ("disconnected", admin_user.pk),
        ("key_replaced", admin_user.pk),
        ("sync_triggered", admin_user.pk),
        ("sync_triggered", admin_user.pk),
        ("connected", admin_user.pk),
    ]
    page = text(admin_client.get(AUDIT))
    for label in ("Connected", "Replaced the API key", "Started a sync", "Disconnected", admin_user.email):
        assert label in page
    assert API_KEY not in page and NEW_API_KEY not in page


# --- progress.json ---


def test_progress_json_reports_the_latest_run(admin_client, org, connection):
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.SYNCING)
    run = SyncRun.objects.create(
        organization=org,
        connection=connection,
        status=SyncRun.Status.RUNNING,
        message="Fetching usage events",
        progress={
            "usage_events": {"status": "running", "rows": 300, "done": 3, "total": 4},
            "members": {"status": "done", "rows": 52, "done": 1, "total": 1},
        },
    )
    response = admin_client.get(PROGRESS)
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    data = response.json()
    assert data["connection"]["status"] == "syncing"
    assert data["run"]["id"] == run.pk and data["run"]["active"] is True
    assert data["run"]["percent"] == 87  # (1 + 3/4) / 2
    assert data["run"]["message"] == "Fetching usage events"
    assert [(s["key"], s["rows"]) for s in data["run"]["streams"]] == [("members", 52), ("usage_events", 300)]
    assert API_KEY not in response.content.decode()


def test_progress_json_without_runs(admin_client, connection):
    data = admin_client.get(PROGRESS).json()
    assert data["run"] is None and data["connection"]["status"] == "healthy"


def test_percent_counts_streams_that_have_not_started(admin_client, org, connection):
    progress = {s: {"status": "pending", "rows": 0, "done": 0, "total": 0} for s in ("a", "b", "c", "d")}
    progress["a"] = {"status": "done", "rows": 5, "done": 1, "total": 1}
    progress["b"] = {"status": "unavailable", "rows": 0, "done": 0, "total": 0, "note": "needs Enterprise"}
    SyncRun.objects.create(organization=org, connection=connection, status="running", progress=progress)
    assert admin_client.get(PROGRESS).json()["run"]["percent"] == 50  # not 100: c and d have not started
    assert '<span id="sync-percent">50</span>' in text(admin_client.get(DETAIL))


def test_a_key_refused_even_the_admin_api_says_so_on_the_page(admin_client, org):
    conn = make_connection(org)
    Connection.objects.filter(pk=conn.pk).update(
        capabilities={"admin": False, "analytics": False, "ai_code": False}
    )
    page = text(admin_client.get(DETAIL))
    assert "does not include its team APIs" in page
    assert "derives what it can from the Admin API data" not in page
