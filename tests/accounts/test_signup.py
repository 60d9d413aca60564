import re
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from koalr.accounts.models import Membership, Organization, User
from tests.factories import OrganizationFactory, UserFactory

from .helpers import text

pytestmark = pytest.mark.django_db

VERIFY_LINK = re.compile(r"http://testserver/accounts/verify/[^/\s]+/")

GOOD = {
    "email": "Founder@Example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "password": "a-long-and-uncommon-passphrase",
    "organization_name": "Acme Labs",
}


def _counts():
    return User.objects.count(), Organization.objects.count(), Membership.objects.count()


def test_signup_page_renders_for_visitors(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert 'name="organization_name"' in response.content.decode()


def _verify_link():
    match = VERIFY_LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0).removeprefix("http://testserver")


def _signup_and_confirm(client, data=GOOD):
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 302
    link = _verify_link()
    confirm = client.post(link)
    assert confirm.status_code == 302
    return link


def test_signup_creates_an_unverified_account_and_emails_a_link_instead_of_logging_in(client):
    response = client.post("/accounts/signup/", GOOD)

    assert response.status_code == 302
    assert response.url == "/accounts/signup/sent/"
    user = User.objects.get(email="founder@example.com")
    assert user.check_password(GOOD["password"])
    assert user.first_name == "Ada"
    assert user.email_verified_at is None
    assert not Membership.objects.filter(user=user).exists()  # no organization before verifying
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["founder@example.com"]
    assert "Confirm your email" in mail.outbox[0].subject
    page = client.get(response.url)
    assert "Check your email" in text(page)
    assert "founder@example.com" in text(page)


def test_following_the_link_verifies_creates_the_org_and_asks_to_log_in(client):
    client.post("/accounts/signup/", GOOD)
    link = _verify_link()

    confirm_page = client.get(link)  # GET only asks: mail scanners follow links
    assert confirm_page.status_code == 200
    assert "Acme Labs" in text(confirm_page)
    assert User.objects.get(email="founder@example.com").email_verified_at is None

    response = client.post(link)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    user = User.objects.get(email="founder@example.com")
    assert user.email_verified_at is not None
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert membership.organization.name == "Acme Labs"
    assert membership.organization.slug == "acme-labs"
    assert "_auth_user_id" not in client.session  # the password proves the person

    client.post("/accounts/login/", {"username": "founder@example.com", "password": GOOD["password"]})
    dashboard = client.get("/ai-analytics/")
    assert dashboard.status_code == 200
    assert "Acme Labs" in text(dashboard)


def test_the_link_works_once(client):
    link = _signup_and_confirm(client)
    again = client.post(link)
    assert again.status_code == 302
    assert Organization.objects.filter(name="Acme Labs").count() == 1
    assert "already confirmed" in text(client.get(link))


def test_an_expired_or_forged_link_is_refused_and_changes_nothing(client, settings):
    client.post("/accounts/signup/", GOOD)
    link = _verify_link()
    user = User.objects.get(email="founder@example.com")
    later = timezone.now() + settings.EMAIL_VERIFICATION_MAX_AGE + timedelta(minutes=1)
    with patch("django.core.signing.time.time", return_value=later.timestamp()):
        expired = client.post(link)
    assert expired.status_code == 400
    assert "expired" in text(expired)
    forged = client.post(link[:-3] + "xyz/")
    assert forged.status_code == 400
    assert "not valid" in text(forged)
    user.refresh_from_db()
    assert user.email_verified_at is None
    assert not Organization.objects.filter(name="Acme Labs").exists()


def test_signup_derives_a_unique_slug(client):
    OrganizationFactory(name="Acme Labs", slug="acme-labs")
    OrganizationFactory(name="Acme Labs 2", slug="acme-labs-2")

    _signup_and_confirm(client)

    org = Organization.objects.get(memberships__user__email="founder@example.com")
    assert org.slug == "acme-labs-3"


def test_signup_slug_falls_back_when_name_has_no_letters(client):
    _signup_and_confirm(client, {**GOOD, "organization_name": "!!!"})
    org = Organization.objects.get(memberships__user__email="founder@example.com")
    assert org.slug == "org"
    assert org.name == "!!!"


def test_an_email_that_has_an_account_gets_the_same_page_and_an_email_saying_so(client):
    UserFactory(email="founder@example.com")
    fresh = Client().post("/accounts/signup/", {**GOOD, "email": "someone-new@example.com"})
    mail.outbox.clear()
    before = _counts()

    response = client.post("/accounts/signup/", GOOD)  # same address, other case

    assert response.status_code == fresh.status_code == 302
    assert response.url == fresh.url == "/accounts/signup/sent/"
    assert _counts() == before
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["founder@example.com"]
    assert "already have a Koalr account" in mail.outbox[0].subject
    assert "/accounts/password-reset/" in mail.outbox[0].body
    assert "/accounts/verify/" not in mail.outbox[0].body


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short"),
        ("password123", "This password is too common"),
        ("83749261530", "This password is entirely numeric"),
        ("founder-example", "too similar"),
    ],
)
def test_weak_password_is_refused_and_nothing_created(client, password, message):
    before = _counts()
    response = client.post("/accounts/signup/", {**GOOD, "password": password})
    assert response.status_code == 200
    assert message in text(response)
    assert _counts() == before
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("missing", ["email", "password", "organization_name"])
def test_missing_fields_are_refused_and_nothing_created(client, missing):
    before = _counts()
    response = client.post("/accounts/signup/", {**GOOD, missing: ""})
    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert _counts() == before


def test_blank_organization_name_is_refused(client):
    before = _counts()
    response = client.post("/accounts/signup/", {**GOOD, "organization_name": "   "})
    assert "This field is required." in text(response)
    assert _counts() == before


def test_invalid_email_is_refused(client):
    before = _counts()
    response = client.post("/accounts/signup/", {**GOOD, "email": "not-an-email"})
    assert "Enter a valid email address." in text(response)
    assert _counts() == before


def test_logged_in_user_is_sent_home(owner_client):
    response = owner_client.get("/accounts/signup/")
    assert response.status_code == 302
    assert response.url == "/"


def test_new_owner_can_log_in_with_any_email_case(client):
    _signup_and_confirm(client)
    response = client.post(
        "/accounts/login/", {"username": "FOUNDER@example.COM", "password": GOOD["password"]}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="founder@example.com").pk)
