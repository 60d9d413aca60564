from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from koalr.accounts.models import Invite, Membership, User, hash_token
from koalr.accounts.tenancy import SESSION_KEY
from tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import logged_in
from .helpers import text

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-and-uncommon-passphrase"


def _url(token):
    return f"/accounts/invite/{token}/"


def _state(org):
    """What an unusable link must not change."""
    return (
        User.objects.count(),
        sorted(Membership.objects.filter(organization=org).values_list("user__email", "role")),
        sorted(Invite.objects.values_list("pk", "accepted_at", "revoked_at")),
    )


def test_the_email_link_hashes_to_the_stored_invite(make_invite):
    invite, token = make_invite()
    assert hash_token(token) == invite.token_hash
    assert token not in invite.token_hash
    assert invite.token_hash not in mail.outbox[-1].body


# ---------- A visitor without an account ----------


def test_visitor_sees_who_invited_them_to_what(client, make_invite):
    _, token = make_invite(role=Membership.Role.ADMIN)
    response = client.get(_url(token))
    assert response.status_code == 200
    page = text(response)
    assert "Join Acme" in page
    assert "new@acme.test" in page
    assert "Admin" in page
    assert 'name="password"' in response.content.decode()


def test_visitor_creates_an_account_and_joins(client, org, make_invite):
    invite, token = make_invite(role=Membership.Role.ADMIN)

    response = client.post(_url(token), {"first_name": "Nia", "last_name": "New", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"
    user = User.objects.get(email="new@acme.test")
    assert user.check_password(PASSWORD)
    assert user.first_name == "Nia"
    assert Membership.objects.get(user=user, organization=org).role == Membership.Role.ADMIN
    invite.refresh_from_db()
    assert invite.accepted_at is not None and invite.accepted_by == user
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session[SESSION_KEY] == org.pk
    assert "You joined Acme." in text(client.get("/ai-analytics/"))


def test_visitor_with_a_weak_password_gets_a_message_and_nothing_changes(client, org, make_invite):
    _, token = make_invite()
    before = _state(org)
    response = client.post(_url(token), {"password": "12345"})
    assert response.status_code == 200
    assert "This password is too short" in text(response)
    assert _state(org) == before


def test_visitor_with_no_password_gets_a_message(client, org, make_invite):
    _, token = make_invite()
    before = _state(org)
    response = client.post(_url(token), {"first_name": "Nia"})
    assert "This field is required." in text(response)
    assert _state(org) == before


# ---------- Someone who already has an account ----------


def test_existing_user_logs_in_first_and_the_link_survives(client, org, other_org, make_invite):
    user = UserFactory(email="new@acme.test")
    Membership.objects.create(user=user, organization=other_org)
    invite, token = make_invite()

    response = client.get(_url(token))
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/accounts/invite/{token}/"

    response = client.post(response.url, {"username": "new@acme.test", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response.url == _url(token)

    page = client.get(_url(token))
    assert "Accept invitation" in text(page)
    response = client.post(_url(token))
    assert response.status_code == 302
    assert Membership.objects.get(user=user, organization=org).role == Membership.Role.MEMBER
    assert client.session[SESSION_KEY] == org.pk
    invite.refresh_from_db()
    assert invite.accepted_by == user


def test_the_login_page_explains_why(client, make_invite):
    UserFactory(email="new@acme.test")
    _, token = make_invite()
    assert "Log in as new@acme.test to join Acme." in text(client.get(_url(token), follow=True))


def test_a_logged_in_user_of_another_email_cannot_accept(org, outsider, make_invite):
    invite, token = make_invite("someone@acme.test")
    client = logged_in(outsider)
    before = _state(org)

    page = client.get(_url(token))
    assert page.status_code == 200  # not 403: django.request would log the live token
    assert "This invitation was sent to someone@acme.test" in text(page)

    response = client.post(_url(token), follow=True)
    assert "but you are logged in as outsider@globex.test" in text(response)
    assert _state(org) == before


def test_a_member_joined_meanwhile_keeps_their_role(org, make_invite):
    invite, token = make_invite("late@acme.test", role=Membership.Role.ADMIN)
    user = UserFactory(email="late@acme.test")
    Membership.objects.create(user=user, organization=org, role=Membership.Role.MEMBER)

    logged_in(user).post(_url(token))

    assert Membership.objects.get(user=user, organization=org).role == Membership.Role.MEMBER
    invite.refresh_from_db()
    assert invite.accepted_at is not None


# ---------- Links that cannot be used ----------


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_invite_shows_a_message_and_changes_nothing(client, org, make_invite, method):
    invite, token = make_invite()
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    before = _state(org)
    response = getattr(client, method)(_url(token), {"password": PASSWORD})
    assert response.status_code == 410
    assert "This invitation has expired." in text(response)
    assert _state(org) == before


def test_an_invite_expires_after_seven_days(make_invite):
    invite, _ = make_invite()
    lifetime = invite.expires_at - invite.created_at
    assert timedelta(days=7) - timedelta(seconds=5) < lifetime <= timedelta(days=7)


def test_an_invite_works_once(client, org, make_invite):
    _, token = make_invite()
    client.post(_url(token), {"password": PASSWORD})
    client.post("/accounts/logout/")
    before = _state(org)

    for attempt in (client.get(_url(token)), client.post(_url(token), {"password": PASSWORD + "x"})):
        assert attempt.status_code == 410
        assert "This invitation has already been used." in text(attempt)
    assert _state(org) == before
    assert User.objects.get(email="new@acme.test").check_password(PASSWORD)


def test_a_used_invite_cannot_be_reused_by_a_logged_in_user(org, outsider, make_invite):
    _, token = make_invite("outsider@globex.test")
    client = logged_in(outsider)
    client.post(_url(token))
    assert Membership.objects.filter(user=outsider, organization=org).exists()
    Membership.objects.filter(user=outsider, organization=org).delete()  # removed afterwards

    response = client.post(_url(token))
    assert response.status_code == 410
    assert not Membership.objects.filter(user=outsider, organization=org).exists()


def test_a_revoked_invite_shows_a_message_and_changes_nothing(client, org, make_invite):
    invite, token = make_invite()
    Invite.objects.filter(pk=invite.pk).update(revoked_at=timezone.now())
    before = _state(org)
    response = client.post(_url(token), {"password": PASSWORD})
    assert response.status_code == 410
    assert "This invitation was withdrawn." in text(response)
    assert _state(org) == before


def test_an_unknown_token_is_404_with_a_message(client, org, make_invite):
    make_invite()
    before = _state(org)
    response = client.post(_url("not-a-real-token"), {"password": PASSWORD})
    assert response.status_code == 404
    assert "This invitation link is not valid." in text(response)
    assert _state(org) == before


def test_the_stored_hash_is_not_a_working_link(client, make_invite):
    invite, _ = make_invite()
    assert client.get(_url(invite.token_hash)).status_code == 404
