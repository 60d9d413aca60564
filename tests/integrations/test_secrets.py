"""The Cursor key never leaves the encrypted column: not in SQL, pages, admin, logs, JSON or errors."""

import logging

import pytest
from django.db import connection as db
from django.urls import reverse

from integrations import crypto, services
from integrations.cursor.errors import CursorUnreachable, InvalidApiKey
from integrations.models import AuditLogEntry, Connection, SyncRun
from tests.factories import UserFactory

from .conftest import API_KEY, NEW_API_KEY

pytestmark = pytest.mark.django_db


def assert_no_key(text: str, *keys: str):
    for key in keys or (API_KEY,):
        assert key not in text
        # A key split by markup or escaping would still be a leak; its middle is distinctive.
        assert key[8:40] not in text


@pytest.fixture
def connected(admin_client, org, fake_cursor):
    """Acme connected through the real form, so every code path the key travels is exercised."""
    response = admin_client.post(
        reverse("integrations:cursor_connect"), {"api_key": API_KEY, "team_id": "t1"}
    )
    assert response.status_code == 302
    conn = Connection.objects.get(organization=org)
    SyncRun.objects.filter(organization=org).update(
        status=SyncRun.Status.RUNNING, progress={"members": {"status": "running", "rows": 3}}
    )
    return conn


def test_database_holds_no_plaintext_key(connected):
    with db.cursor() as cur:
        cur.execute(
            "SELECT encrypted_api_key, t::text FROM integrations_connection t WHERE id = %s", [connected.pk]
        )
        token, whole_row = cur.fetchone()
    assert_no_key(token)
    assert_no_key(whole_row)
    assert API_KEY[-4:] in whole_row  # only the last four, kept in clear on purpose
    assert crypto.decrypt(token) == API_KEY  # and the column really is the key, encrypted


SHOWS_LAST4 = {
    "integrations:cursor_detail",
    "integrations:cursor_replace_key",
    "integrations:cursor_disconnect",
}


@pytest.mark.parametrize(
    "name",
    [
        "integrations:index",
        "integrations:cursor_detail",
        "integrations:cursor_replace_key",
        "integrations:cursor_disconnect",
        "integrations:audit",
        "integrations:cursor_progress",
    ],
)
def test_no_page_or_json_renders_the_key(admin_client, member_client, connected, name):
    response = admin_client.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert_no_key(body)
    if name in SHOWS_LAST4:
        assert f"••••{API_KEY[-4:]}" in body
    assert_no_key(member_client.get(reverse(name)).content.decode())


def test_failed_submissions_do_not_echo_the_key(admin_client, connected, fake_cursor):
    for error in (InvalidApiKey(status=401), CursorUnreachable("down")):
        fake_cursor.error = error
        body = admin_client.post(reverse("integrations:cursor_replace_key"), {"api_key": NEW_API_KEY}).content
        assert_no_key(body.decode(), NEW_API_KEY, API_KEY)
    # Malformed keys are secrets too: the form error never quotes them.
    body = admin_client.post(reverse("integrations:cursor_replace_key"), {"api_key": "crsr_ab cdef"}).content
    assert "crsr_ab" not in body.decode()


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "url",
    [
        lambda c: reverse("admin:integrations_connection_changelist"),
        lambda c: reverse("admin:integrations_connection_change", args=[c.pk]),
        lambda c: reverse("admin:integrations_connection_history", args=[c.pk]),
        lambda c: reverse("admin:integrations_syncrun_changelist"),
        lambda c: reverse("admin:integrations_auditlogentry_changelist"),
    ],
    ids=["changelist", "change", "history", "syncruns", "audit"],
)
def test_django_admin_never_shows_the_key_or_its_token(superuser_client, connected, url):
    response = superuser_client.get(url(connected))
    assert response.status_code == 200
    body = response.content.decode()
    assert_no_key(body)
    assert connected.encrypted_api_key[:40] not in body
    assert "encrypted_api_key" not in body


def test_django_admin_change_page_shows_last4_and_saving_keeps_the_key(superuser_client, connected):
    url = reverse("admin:integrations_connection_change", args=[connected.pk])
    assert f"••••{API_KEY[-4:]}" in superuser_client.get(url).content.decode()
    response = superuser_client.post(
        url, {"team_id": "t2", "base_url": "http://evil.test", "status": "healthy"}
    )
    assert response.status_code == 302
    connected.refresh_from_db()
    assert connected.team_id == "t2" and connected.get_api_key() == API_KEY
    assert connected.base_url == ""  # read-only: the key cannot be redirected to another host


def test_logs_never_contain_the_key(caplog, admin_client, org, fake_cursor):
    caplog.set_level(logging.DEBUG)
    admin_client.post(reverse("integrations:cursor_connect"), {"api_key": API_KEY})
    SyncRun.objects.update(status=SyncRun.Status.SUCCEEDED)
    admin_client.post(reverse("integrations:cursor_sync"))
    fake_cursor.error = CursorUnreachable("down")
    admin_client.post(reverse("integrations:cursor_replace_key"), {"api_key": NEW_API_KEY})
    fake_cursor.error = None
    admin_client.post(reverse("integrations:cursor_replace_key"), {"api_key": NEW_API_KEY})
    admin_client.post(reverse("integrations:cursor_disconnect"), {"history": "delete"})
    assert caplog.records, "the flows above are expected to log something"
    for record in caplog.records:
        assert_no_key(record.getMessage(), API_KEY, NEW_API_KEY)
        assert_no_key(repr(record.args), API_KEY, NEW_API_KEY)


def test_audit_entries_never_hold_the_key(connected, admin_user, fake_cursor):
    services.replace_key(connected, admin_user, NEW_API_KEY)
    SyncRun.objects.update(status=SyncRun.Status.SUCCEEDED)
    services.trigger_sync(connected, admin_user)
    services.disconnect(connected, admin_user, keep_history=False)
    entries = AuditLogEntry.objects.values_list("action", "detail")
    assert {a for a, _ in entries} == {"connected", "key_replaced", "sync_triggered", "disconnected"}
    for _, detail in entries:
        assert_no_key(detail, API_KEY, NEW_API_KEY)


def test_exception_messages_and_reprs_never_hold_the_key(org, admin_user, fake_cursor, settings):
    fake_cursor.error = InvalidApiKey(status=401)
    with pytest.raises(services.KeyRejected) as rejected:
        services.connect_cursor(org, admin_user, API_KEY)
    fake_cursor.error = CursorUnreachable("down")
    with pytest.raises(services.CursorUnavailable) as unreachable:
        services.connect_cursor(org, admin_user, API_KEY)
    for exc in (rejected.value, unreachable.value):
        assert_no_key(str(exc) + repr(exc) + repr(exc.__cause__) + repr(exc.__context__))
    assert rejected.value.__suppress_context__  # the client's exception is not chained in

    fake_cursor.error = None
    conn = services.connect_cursor(org, admin_user, API_KEY).connection
    assert_no_key(str(conn) + repr(conn))

    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the key it was stored under is lost
    with pytest.raises(crypto.SecretUnreadable) as unreadable:
        conn.get_api_key()
    assert_no_key(str(unreadable.value) + repr(unreadable.value))
