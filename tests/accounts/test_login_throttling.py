"""Finding 1: log-in lockout per account and per address (django-axes), sign-up and reset rates."""

import pytest
from django.core import mail
from django.test import Client

from tests.factories import DEFAULT_PASSWORD, UserFactory

from .helpers import text

pytestmark = pytest.mark.django_db

GENERIC = "That email and password do not match an account."


def _login(client, email, password, ip="203.0.113.5", **extra):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def test_after_the_failure_limit_even_the_right_password_is_refused_until_the_cool_off(settings):
    user = UserFactory(email="victim@acme.test")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "victim@acme.test", "wrong").status_code == 200
    assert _login(client, "victim@acme.test", "wrong").status_code == 429  # the limit-th failure

    locked = _login(client, "Victim@Acme.test", DEFAULT_PASSWORD)  # case does not reset the count
    assert locked.status_code == 429
    assert "Too many failed log-ins" in text(locked)
    assert "_auth_user_id" not in client.session

    # Another address: the account itself is locked, so the password still does not work.
    elsewhere = _login(Client(), "victim@acme.test", DEFAULT_PASSWORD, ip="198.51.100.9")
    assert elsewhere.status_code == 429

    # After the cool-off the right password works again.
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time - settings.AXES_COOLOFF_TIME
    )
    ok = _login(Client(), "victim@acme.test", DEFAULT_PASSWORD, ip="198.51.100.9")
    assert ok.status_code == 302
    assert user.pk


def test_one_address_trying_many_accounts_is_locked_out(settings):
    UserFactory(email="real@acme.test")
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"guess{n}@acme.test", "wrong", ip="203.0.113.77")
    assert _login(client, "real@acme.test", DEFAULT_PASSWORD, ip="203.0.113.77").status_code == 429
    # Another client is unaffected.
    assert _login(Client(), "real@acme.test", DEFAULT_PASSWORD, ip="203.0.113.78").status_code == 302


def test_unknown_and_known_emails_fail_and_lock_out_with_the_same_page(settings):
    UserFactory(email="known@acme.test")
    known, unknown = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        a = _login(known, "known@acme.test", "wrong", ip="192.0.2.1")
        b = _login(unknown, "nobody@acme.test", "wrong", ip="192.0.2.2")
        assert a.status_code == b.status_code == 200
        assert GENERIC in text(a) and GENERIC in text(b)
    a = _login(known, "known@acme.test", "wrong", ip="192.0.2.1")
    b = _login(unknown, "nobody@acme.test", "wrong", ip="192.0.2.2")
    assert a.status_code == b.status_code == 429
    assert text(a).replace("known@acme.test", "X") == text(b).replace("nobody@acme.test", "X")


def test_a_success_resets_the_count(settings):
    UserFactory(email="typo@acme.test")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "typo@acme.test", "wrong")
    assert _login(client, "typo@acme.test", DEFAULT_PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "typo@acme.test", "wrong")
    assert _login(client, "typo@acme.test", DEFAULT_PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_counted(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(email="a@acme.test")
    proxy = "10.0.0.2"
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), f"x{n}@acme.test", "wrong", ip=proxy, HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.10")
    # The attacker's address is locked; another client behind the same proxy is not.
    assert (
        _login(
            Client(), "a@acme.test", DEFAULT_PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.10"
        ).status_code
        == 429
    )
    assert (
        _login(
            Client(), "a@acme.test", DEFAULT_PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.11"
        ).status_code
        == 302
    )


def test_without_a_trusted_proxy_x_forwarded_for_cannot_dodge_the_lockout(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory(email="b@acme.test")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(Client(), f"y{n}@acme.test", "wrong", ip="203.0.113.20", HTTP_X_FORWARDED_FOR=f"1.1.1.{n}")
    response = _login(
        Client(), "b@acme.test", DEFAULT_PASSWORD, ip="203.0.113.20", HTTP_X_FORWARDED_FOR="9.9.9.9"
    )
    assert response.status_code == 429


SIGNUP = {
    "email": "flood@example.com",
    "first_name": "",
    "last_name": "",
    "password": "a-long-and-uncommon-passphrase",
    "organization_name": "Flood",
}


def test_signup_is_rate_limited_per_address(settings):
    settings.SIGNUP_RATE = "3/h"
    client = Client()
    for n in range(3):
        assert client.post("/accounts/signup/", {**SIGNUP, "email": f"s{n}@example.com"}).status_code == 302
    refused = client.post("/accounts/signup/", {**SIGNUP, "email": "s9@example.com"})
    assert refused.status_code == 429
    assert "Too many attempts" in text(refused)
    assert "s9@example.com" in refused.content.decode()  # the input is kept
    assert len(mail.outbox) == 3


def test_signup_is_rate_limited_per_email_across_addresses(settings):
    settings.SIGNUP_RATE = "3/h"
    UserFactory(email="victim@example.com")
    for n in range(3):
        Client().post(
            "/accounts/signup/", {**SIGNUP, "email": "victim@example.com"}, REMOTE_ADDR=f"192.0.2.{n}"
        )
    refused = Client().post(
        "/accounts/signup/", {**SIGNUP, "email": "victim@example.com"}, REMOTE_ADDR="192.0.2.50"
    )
    assert refused.status_code == 429
    assert len(mail.outbox) == 3  # the inbox is not flooded


def test_password_reset_is_rate_limited(settings):
    settings.PASSWORD_RESET_RATE = "2/h"
    UserFactory(email="reset@acme.test")
    client = Client()
    for _ in range(2):
        assert client.post("/accounts/password-reset/", {"email": "reset@acme.test"}).status_code == 302
    refused = client.post("/accounts/password-reset/", {"email": "reset@acme.test"})
    assert refused.status_code == 429
    assert "Too many attempts" in text(refused)
    assert len(mail.outbox) == 2


def test_an_inactive_account_with_the_right_password_gets_the_same_message():
    UserFactory(email="gone@acme.test", is_active=False)
    response = _login(Client(), "gone@acme.test", DEFAULT_PASSWORD)
    assert response.status_code == 200
    assert GENERIC in text(response)
