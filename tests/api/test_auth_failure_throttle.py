"""Finding 6: failed token authentication is rate-limited per client address (401s, then 429)."""

import pytest
from django.test import Client

from .conftest import bearer_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/orgs/acme/members"


def _guess(n, ip="203.0.113.7"):
    return Client(HTTP_AUTHORIZATION=f"Bearer koalr_guess{n}").get(URL, REMOTE_ADDR=ip)


def test_guessing_tokens_gets_429_after_the_limit_and_then_even_a_good_token_waits(
    settings, org, owner, make_token
):
    settings.API_AUTH_FAILURE_RATE = "5/m"
    good = make_token(owner, org)
    for n in range(5):
        assert _guess(n).status_code == 401
    refused = _guess(99)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many failed authentications" in refused.json()["detail"]
    # The address is refused before the lookup, so a correct guess gives nothing away.
    assert bearer_client(good).get(URL, REMOTE_ADDR="203.0.113.7").status_code == 429
    # Other addresses are unaffected.
    assert bearer_client(good).get(URL, REMOTE_ADDR="198.51.100.1").status_code == 200
    assert _guess(100, ip="198.51.100.1").status_code == 401


def test_malformed_headers_count_as_failures(settings, org):
    settings.API_AUTH_FAILURE_RATE = "3/m"
    for _ in range(3):
        assert Client(HTTP_AUTHORIZATION="Bearer a b c").get(URL).status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer a b c").get(URL).status_code == 429


def test_successful_calls_do_not_count(settings, org, owner, make_token):
    settings.API_AUTH_FAILURE_RATE = "3/m"
    client = bearer_client(make_token(owner, org))
    for _ in range(10):
        assert client.get(URL).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(settings, org):
    settings.API_AUTH_FAILURE_RATE = "2/m"
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(2):
        Client(HTTP_AUTHORIZATION=f"Bearer koalr_x{n}").get(
            URL, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.50"
        )
    locked = Client(HTTP_AUTHORIZATION="Bearer koalr_y").get(
        URL, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.50"
    )
    other = Client(HTTP_AUTHORIZATION="Bearer koalr_z").get(
        URL, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.51"
    )
    assert (locked.status_code, other.status_code) == (429, 401)


def test_an_unreachable_cache_lets_the_call_through_with_a_warning(settings, org, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr("koalr.accounts.throttling.get_usage", broken)
    response = _guess(1)
    assert response.status_code == 401
    assert "not counted" in caplog.text
