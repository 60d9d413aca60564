"""Finding 2: an address must be proven before it can open an organization or claim an invite.

Proofs: the sign-up verification link, an invite link, a password-reset link, an operator.
"""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from koalr.accounts import services
from koalr.accounts.models import Membership, Organization, User
from tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import logged_in
from .helpers import text

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-and-uncommon-passphrase"
VERIFY_LINK = re.compile(r"http://testserver(/accounts/verify/[^/\s]+/)")


def _link():
    return VERIFY_LINK.search(mail.outbox[-1].body).group(1)


def test_the_attack_pre_registering_a_victims_address_gets_no_account_logged_in(client):
    """Today's code logged the squatter in with an organization at once."""
    response = client.post(
        "/accounts/signup/",
        {"email": "victim@company.test", "password": PASSWORD, "organization_name": "Squat"},
    )
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert not Organization.objects.filter(name="Squat").exists()
    assert User.objects.get(email="victim@company.test").email_verified_at is None


def test_an_unverified_account_cannot_create_an_organization():
    user = UserFactory(email="unverified@acme.test", email_verified_at=None)
    with pytest.raises(services.EmailNotVerified):
        services.create_organization(user=user, name="Nope")

    client = logged_in(user)
    assert "Email me the link" in text(client.get("/accounts/no-organization/"))
    response = client.post("/accounts/organizations/new/", {"name": "Beta Corp"})
    assert response.status_code == 302
    assert not Organization.objects.filter(name="Beta Corp").exists()
    assert mail.outbox[-1].to == ["unverified@acme.test"]

    # Following the link verifies and creates it, and as the same logged-in user, enters it.
    confirm = client.post(_link())
    assert confirm.status_code == 302
    org = Organization.objects.get(name="Beta Corp")
    assert Membership.objects.get(user=user, organization=org).role == Membership.Role.OWNER
    assert client.get("/ai-analytics/").status_code == 200


def test_a_verified_account_without_organization_creates_one_at_once():
    user = UserFactory(email="verified@acme.test")
    client = logged_in(user)
    response = client.post("/accounts/organizations/new/", {"name": "Gamma"})
    assert response.status_code == 302
    assert Membership.objects.get(user=user).organization.name == "Gamma"
    assert mail.outbox == []


def test_create_organization_needs_a_name():
    client = logged_in(UserFactory())
    response = client.post("/accounts/organizations/new/", {"name": ""})
    assert response.status_code == 400
    assert "This field is required." in text(response)


def test_accepting_through_the_invite_link_verifies_a_logged_in_account(make_invite):
    user = UserFactory(email="new@acme.test", email_verified_at=None)
    _, token = make_invite(email="new@acme.test")
    client = logged_in(user)
    response = client.post(f"/accounts/invite/{token}/")
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_a_visitor_with_the_invite_link_takes_over_an_unverified_squatted_account(org, make_invite):
    squatter = Client()
    squatter.post(
        "/accounts/signup/",
        {"email": "victim@acme.test", "password": "squatters-own-passphrase", "organization_name": "S"},
    )
    squatter.post(
        "/accounts/login/", {"username": "victim@acme.test", "password": "squatters-own-passphrase"}
    )
    assert "_auth_user_id" in squatter.session
    _, token = make_invite(email="victim@acme.test")

    victim = Client()
    page = victim.get(f"/accounts/invite/{token}/")
    assert page.status_code == 200  # the form, not "log in as victim@…"
    response = victim.post(f"/accounts/invite/{token}/", {"first_name": "Vic", "password": PASSWORD})

    assert response.status_code == 302
    user = User.objects.get(email="victim@acme.test")
    assert user.check_password(PASSWORD)
    assert not user.check_password("squatters-own-passphrase")
    assert user.email_verified_at is not None
    assert Membership.objects.filter(user=user, organization=org).exists()
    # The squatter's session was opened with the old password: it is over.
    assert squatter.get("/ai-analytics/").status_code == 302
    assert "_auth_user_id" not in squatter.session


def test_a_verified_account_is_still_asked_to_log_in(make_invite):
    UserFactory(email="known@acme.test")
    _, token = make_invite(email="known@acme.test")
    response = Client().get(f"/accounts/invite/{token}/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_password_reset_proves_the_address():
    user = UserFactory(email="forgot@acme.test", email_verified_at=None)
    client = Client()
    client.post("/accounts/password-reset/", {"email": "forgot@acme.test"})
    link = re.search(r"http://testserver(/accounts/reset/[^\s]+/)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_operator_created_owners_are_verified():
    call_command(
        "createorg", "ops", "--name", "Ops", "--owner", "ops@acme.test", "--password", DEFAULT_PASSWORD
    )
    assert User.objects.get(email="ops@acme.test").email_verified_at is not None


def test_a_link_for_an_address_that_changed_is_refused(client):
    client.post(
        "/accounts/signup/", {"email": "old@acme.test", "password": PASSWORD, "organization_name": "O"}
    )
    link = _link()
    User.objects.filter(email="old@acme.test").update(email="new-address@acme.test")
    response = client.post(link)
    assert response.status_code == 400
    assert not Organization.objects.filter(name="O").exists()
