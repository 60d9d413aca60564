"""Who may open what under Settings → Integrations: admins/owners, members, outsiders, anonymous."""

import pytest

from integrations.models import AuditLogEntry, SyncRun
from koalr.accounts.tenancy import SESSION_KEY

from .conftest import API_KEY, NEW_API_KEY
from .test_views import AUDIT, CONNECT, DETAIL, DISCONNECT, INDEX, MANAGE_GETS, PROGRESS, REPLACE, SYNC, text

pytestmark = pytest.mark.django_db


def test_paths_are_mounted_under_settings_integrations():
    assert INDEX == "/settings/integrations/"
    assert DETAIL == "/settings/integrations/cursor/"
    assert PROGRESS == "/settings/integrations/cursor/progress.json"


@pytest.mark.parametrize("persona", ["admin_client", "owner_client"])
@pytest.mark.parametrize("url", [DETAIL, REPLACE, DISCONNECT, AUDIT, PROGRESS])
def test_owners_and_admins_open_every_page(request, connection, persona, url):
    assert request.getfixturevalue(persona).get(url).status_code == 200


@pytest.mark.parametrize("url", MANAGE_GETS)
def test_members_are_forbidden_every_management_page(member_client, connection, url):
    assert member_client.get(url).status_code == 403


@pytest.mark.parametrize("url", [SYNC, REPLACE, DISCONNECT, CONNECT])
def test_members_cannot_change_the_integration(member_client, connection, fake_cursor, url):
    data = {"api_key": NEW_API_KEY, "history": "delete"}
    assert member_client.post(url, data).status_code == 403
    connection.refresh_from_db()
    assert connection.get_api_key() == API_KEY
    assert SyncRun.objects.count() == 0 and fake_cursor.calls == []
    assert not AuditLogEntry.objects.exists()


def test_member_sees_cursor_is_connected_without_any_way_in(member_client, connection):
    page = text(member_client.get(INDEX))
    assert "Cursor" in page and "Connected" in page
    assert DETAIL not in page and CONNECT not in page and AUDIT not in page
    assert f"••••{connection.api_key_last4}" not in page


def test_member_sees_not_connected_when_nothing_is_connected(member_client, org):
    page = text(member_client.get(INDEX))
    assert "Not connected" in page and CONNECT not in page


@pytest.mark.parametrize("url", [REPLACE, DISCONNECT, PROGRESS])
def test_outsiders_get_404_for_pages_about_a_connection(outsider_client, connection, url):
    # The outsider's own organization has no connection; Acme's is never reachable.
    assert outsider_client.get(url).status_code == 404


@pytest.mark.parametrize("url", [SYNC, REPLACE, DISCONNECT])
def test_outsiders_cannot_change_another_orgs_connection(outsider_client, connection, fake_cursor, url):
    response = outsider_client.post(url, {"api_key": NEW_API_KEY, "history": "delete"})
    assert response.status_code == 404
    connection.refresh_from_db()
    assert connection.get_api_key() == API_KEY
    assert not SyncRun.objects.exists() and fake_cursor.calls == []
    assert not AuditLogEntry.objects.exists()


def test_outsider_never_sees_acmes_connection(outsider_client, connection, org, admin_user):
    AuditLogEntry.objects.create(organization=org, actor=admin_user, action="connected", detail="acme-marker")
    for url in (INDEX, AUDIT):
        page = text(outsider_client.get(url))
        assert f"••••{connection.api_key_last4}" not in page and "acme-marker" not in page
    # Cursor is not connected for Globex: the outsider is sent to connect their own.
    assert outsider_client.get(DETAIL)["Location"] == CONNECT


def test_a_session_pointing_at_another_org_is_not_trusted(outsider_client, outsider, connection, org):
    session = outsider_client.session
    session[SESSION_KEY] = org.pk
    session.save()
    assert outsider_client.get(PROGRESS).status_code == 404
    assert "Healthy" not in text(outsider_client.get(INDEX))


def test_anonymous_users_are_sent_to_login(client, connection):
    response = client.get(DETAIL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
