"""Finding 6: an API key field capped at a sane length, and a 403 read as a plan limit only when
it is Cursor's documented one. Cursor is faked at the network boundary (httpx.MockTransport)."""

import json

import httpx
import pytest
from django.test import Client

from integrations import key_check
from integrations.cursor.client import CursorClient
from integrations.models import Connection

from .conftest import API_KEY

pytestmark = pytest.mark.django_db


def _transport(status, body, content_type="application/json"):
    def handler(request):
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=payload, headers={"Content-Type": content_type})

    return httpx.MockTransport(handler)


@pytest.fixture
def answer(monkeypatch):
    """answer(status, body): every request of key validation gets that response."""

    def set_answer(status, body, content_type="application/json"):
        transport = _transport(status, body, content_type)

        def make(api_key, base_url):
            return CursorClient(
                api_key, base_url="https://api.cursor.com", max_retries=0, transport=transport
            )

        monkeypatch.setattr(key_check, "make_client", make)

    return set_answer


def _connect(client, key=API_KEY):
    return client.post("/settings/integrations/cursor/connect/", {"api_key": key})


def test_cursors_documented_403_keeps_the_key_with_the_plan_note(org, admin_client, answer):
    answer(403, {"error": "Forbidden", "message": "Enterprise access required"})
    response = _connect(admin_client)
    assert response.status_code == 302
    conn = Connection.objects.get(organization=org)
    assert conn.capabilities["admin"] is False


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body><h1>403 Forbidden</h1>nginx</body></html>", "text/html"),
        ({"message": "Request blocked by corporate proxy"}, "application/json"),
        ({"error": "Forbidden"}, "application/json"),
        (b"", "text/plain"),
    ],
)
def test_any_other_403_is_not_cursor_and_saves_nothing(org, admin_client, answer, body, content_type):
    answer(403, body, content_type)
    response = _connect(admin_client)
    assert response.status_code == 200
    page = response.content.decode()
    assert "not the way Cursor does" in page
    assert "Nothing was saved" in page
    assert not Connection.objects.filter(organization=org).exists()
    assert API_KEY not in page


def test_a_megabyte_key_gets_a_clear_error_and_nothing_is_called(org, admin_client, fake_cursor):
    response = _connect(admin_client, "k" * 1_000_000)
    assert response.status_code == 200
    assert "too long to be a Cursor API key" in response.content.decode()
    assert fake_cursor.calls == []
    assert not Connection.objects.filter(organization=org).exists()


def test_the_key_check_refuses_long_keys_for_the_command_too():
    assert "at most 256" in key_check.key_format_problem("k" * 257)
    assert key_check.key_format_problem("k" * 256) == ""


def test_the_key_input_tells_the_browser_its_limit(admin_client):
    page = admin_client.get("/settings/integrations/cursor/connect/").content.decode()
    assert 'maxlength="256"' in page


def test_a_request_body_of_megabytes_is_refused_cleanly(org, admin_user):
    client = Client()
    client.force_login(admin_user)
    response = client.post("/settings/integrations/cursor/connect/", {"api_key": "k" * 3_000_000})
    assert response.status_code == 400  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE, not a 500
