"""Settings → Integrations → GitHub Copilot with every persona: connect (validation messages for
401 / 403 scope / 403 policy / 404), the connection page, progress, replace, disconnect, sync."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from integrations.copilot import services
from integrations.copilot.client import CopilotClient
from integrations.models import AuditLogEntry, Connection, Provider, SyncRun
from integrations.ratelimit import NoRateLimit
from koalr.accounts.tenancy import SESSION_KEY

from .fakes import BASE_URL, TOKEN, FakeGitHub, gh_error, ok, seat

pytestmark = pytest.mark.django_db

ROOT = "/settings/integrations/copilot/"
CONNECT, DETAIL, REPLACE = ROOT + "connect/", ROOT, ROOT + "replace-token/"
DISCONNECT, SYNC, PROGRESS = ROOT + "disconnect/", ROOT + "sync/", ROOT + "progress.json"
INDEX = "/settings/integrations/"
NEW_TOKEN = "github_pat_" + "N3wT0ken" * 8
SEATS = "/orgs/acme/copilot/billing/seats"
LATEST = "/orgs/acme/copilot/metrics/reports/users-28-day/latest"


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def github(monkeypatch):
    fake = FakeGitHub()
    fake.route(SEATS, ok({"total_seats": 7, "seats": [seat("ada")]}))
    fake.route(
        LATEST, ok({"download_links": [], "report_start_day": "2026-10-22", "report_end_day": "2026-11-18"})
    )

    def make_client(token, scope, slug, base_url):
        return CopilotClient(
            token, scope=scope, slug=slug, base_url=BASE_URL, limiter=NoRateLimit(), sleep=lambda s: None,
            transport=httpx.MockTransport(fake.api), max_retries=0,
        )  # fmt: skip

    monkeypatch.setattr(services, "make_client", make_client)
    monkeypatch.setattr("integrations.tasks.sync_copilot_connection.delay", lambda run_id: None)
    return fake


@pytest.fixture
def connection(org):
    conn = Connection(organization=org, provider=Provider.COPILOT, config={"scope": "org", "slug": "acme"})
    conn.set_api_key(TOKEN)
    conn.capabilities = {"seat_count": 7}
    conn.save()
    return conn


FORM = {"scope": "org", "slug": "acme", "token": TOKEN}


# -- connect ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin_client", "owner_client"])
def test_connect_validates_saves_encrypted_and_starts_the_backfill(
    request, org, github, persona, django_capture_on_commit_callbacks
):
    client = request.getfixturevalue(persona)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CONNECT, FORM)
    assert response.status_code == 302 and response["Location"] == DETAIL
    conn = Connection.objects.get(organization=org, provider=Provider.COPILOT)
    assert conn.config == {"scope": "org", "slug": "acme"} and conn.get_api_key() == TOKEN
    assert TOKEN not in conn.encrypted_api_key and TOKEN not in str(conn.config)
    run = SyncRun.objects.get(organization=org, provider=Provider.COPILOT)
    assert run.trigger == "connect"
    assert AuditLogEntry.objects.filter(
        organization=org, provider=Provider.COPILOT, action="connected"
    ).exists()
    assert all(TOKEN not in e.detail for e in AuditLogEntry.objects.all())
    page = text(client.get(DETAIL))
    assert "Organization acme" in page and f"••••{TOKEN[-4:]}" in page and TOKEN not in page
    assert "The last 90 days are syncing now" in page


@pytest.mark.parametrize(
    ("path", "response", "expected"),
    [
        (SEATS, gh_error(401, "Bad credentials"), "GitHub rejected this token (401"),
        (SEATS, gh_error(403, "Resource not accessible by personal access token"), "GitHub Copilot Business"),
        (
            LATEST,
            gh_error(403, "Resource not accessible by personal access token"),
            "Organization Copilot metrics",
        ),
        (
            LATEST,
            gh_error(403, "Copilot Usage Metrics API access is disabled for this organization."),
            "Enabled everywhere",
        ),
        (SEATS, gh_error(404, "Not Found"), "GitHub found no organization “acme”"),
        (SEATS, gh_error(503, "unavailable"), "couldn't reach GitHub"),
    ],
)
def test_connect_explains_what_is_missing_and_saves_nothing(
    admin_client, org, github, path, response, expected
):
    github.route(path, response)
    page = admin_client.post(CONNECT, FORM)
    assert page.status_code == 200
    assert expected in text(page)
    assert TOKEN not in page.content.decode()  # the token is never rendered back
    assert not Connection.objects.filter(organization=org).exists()
    assert not AuditLogEntry.objects.exists()


def test_no_report_yet_is_saved_with_a_note(admin_client, org, github):
    github.route(LATEST, httpx.Response(204))
    response = admin_client.post(CONNECT, FORM, follow=True)
    assert "no usage report for this organization yet" in text(response)
    assert Connection.objects.filter(organization=org, provider=Provider.COPILOT).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"scope": "org", "slug": "", "token": TOKEN}, "Enter the organization's or enterprise's slug"),
        ({"scope": "org", "slug": "ac me", "token": TOKEN}, "as it appears in its GitHub URL"),
        ({"scope": "org", "slug": "acme", "token": "short"}, "too short"),
        ({"scope": "org", "slug": "acme", "token": ""}, "Paste a GitHub token"),
        ({"scope": "team", "slug": "acme", "token": TOKEN}, "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message_and_calls_nobody(admin_client, org, github, data, message):
    page = admin_client.post(CONNECT, data)
    assert page.status_code == 200 and message in text(page)
    assert github.requests == []


def test_connect_when_connected_redirects(admin_client, connection):
    assert admin_client.get(CONNECT)["Location"] == DETAIL


# -- pages and personas -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin_client", "owner_client"])
@pytest.mark.parametrize("url", [DETAIL, REPLACE, DISCONNECT, PROGRESS])
def test_owners_and_admins_open_every_page(request, connection, persona, url):
    assert request.getfixturevalue(persona).get(url).status_code == 200


@pytest.mark.parametrize("url", [DETAIL, REPLACE, DISCONNECT, PROGRESS, CONNECT])
def test_members_are_forbidden(member_client, connection, url):
    assert member_client.get(url).status_code == 403


@pytest.mark.parametrize("url", [SYNC, REPLACE, DISCONNECT, CONNECT])
def test_members_cannot_change_anything(member_client, connection, github, url):
    assert member_client.post(url, {**FORM, "token": NEW_TOKEN, "history": "delete"}).status_code == 403
    connection.refresh_from_db()
    assert connection.get_api_key() == TOKEN and not SyncRun.objects.exists() and github.requests == []


@pytest.mark.parametrize("url", [REPLACE, DISCONNECT, PROGRESS])
def test_outsiders_get_404(outsider_client, connection, url):
    assert outsider_client.get(url).status_code == 404


@pytest.mark.parametrize("url", [SYNC, REPLACE, DISCONNECT])
def test_outsiders_cannot_change_another_orgs_connection(outsider_client, connection, github, url):
    assert outsider_client.post(url, {"token": NEW_TOKEN, "history": "delete"}).status_code == 404
    connection.refresh_from_db()
    assert connection.get_api_key() == TOKEN and not SyncRun.objects.exists()


def test_a_session_pointing_at_another_org_is_not_trusted(outsider_client, connection, org):
    session = outsider_client.session
    session[SESSION_KEY] = org.pk
    session.save()
    assert outsider_client.get(PROGRESS).status_code == 404
    assert outsider_client.get(DETAIL)["Location"] == CONNECT


def test_index_lists_copilot_for_everyone_and_links_admins(admin_client, member_client, connection):
    admin_page = text(admin_client.get(INDEX))
    assert "GitHub Copilot" in admin_page and 'href="/settings/integrations/copilot/"' in admin_page
    member_page = text(member_client.get(INDEX))
    assert "GitHub Copilot" in member_page and "/settings/integrations/copilot/" not in member_page


def test_index_offers_to_connect(admin_client, org):
    assert 'href="/settings/integrations/copilot/connect/"' in text(admin_client.get(INDEX))


def test_anonymous_users_are_sent_to_login(client, connection):
    response = client.get(DETAIL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# -- progress, sync now, replace, disconnect ----------------------------------------------------


def test_progress_reports_the_latest_copilot_run_only(admin_client, connection, org):
    SyncRun.objects.create(organization=org, provider=Provider.CURSOR, status="running")
    run = services.create_foreground_run(connection)
    SyncRun.objects.filter(pk=run.pk).update(status="running")
    data = admin_client.get(PROGRESS).json()
    assert data["run"]["id"] == run.pk and data["run"]["active"] is True
    assert [s["key"] for s in data["run"]["streams"]] == ["seats", "user_reports", "org_reports", "billing"]
    assert TOKEN not in str(data)
    page = text(admin_client.get(DETAIL))
    assert 'data-active-run="' + str(run.pk) in admin_client.get(DETAIL).content.decode()
    assert "Per-user daily reports" in page


def test_sync_now_queues_once(admin_client, connection, github, org):
    admin_client.post(SYNC)
    admin_client.post(SYNC)
    assert SyncRun.objects.filter(organization=org, provider=Provider.COPILOT).count() == 1
    assert "A sync is already running" in text(admin_client.get(DETAIL))


def test_sync_now_is_refused_while_the_token_is_rejected(admin_client, connection, org):
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.KEY_REJECTED)
    response = admin_client.post(SYNC, follow=True)
    assert "GitHub rejected the stored token" in text(response)
    assert not SyncRun.objects.exists()


def test_replace_token(admin_client, connection, github, org):
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.KEY_REJECTED)
    response = admin_client.post(REPLACE, {"token": NEW_TOKEN})
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.get_api_key() == NEW_TOKEN and connection.status == Connection.Status.PENDING
    assert github.requests[0].headers["Authorization"] == f"Bearer {NEW_TOKEN}"
    assert AuditLogEntry.objects.filter(
        organization=org, provider=Provider.COPILOT, action="key_replaced"
    ).exists()


def test_a_rejected_replacement_keeps_the_old_token(admin_client, connection, github):
    github.route(SEATS, gh_error(401, "Bad credentials"))
    page = admin_client.post(REPLACE, {"token": NEW_TOKEN})
    assert page.status_code == 200 and "GitHub rejected this token" in text(page)
    connection.refresh_from_db()
    assert connection.get_api_key() == TOKEN


@pytest.mark.parametrize("history", ["keep", "delete"])
def test_disconnect(admin_client, connection, org, history):
    response = admin_client.post(DISCONNECT, {"history": history}, follow=True)
    assert "GitHub Copilot is disconnected" in text(response)
    assert not Connection.objects.filter(organization=org, provider=Provider.COPILOT).exists()
    assert AuditLogEntry.objects.filter(
        organization=org, provider=Provider.COPILOT, action="disconnected"
    ).exists()


def test_disconnect_without_a_choice_changes_nothing(admin_client, connection, org):
    assert admin_client.post(DISCONNECT, {}).status_code == 200
    assert Connection.objects.filter(organization=org, provider=Provider.COPILOT).exists()
