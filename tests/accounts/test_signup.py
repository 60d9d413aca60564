import pytest

from koalr.accounts.models import Membership, Organization, User
from koalr.accounts.tenancy import SESSION_KEY
from tests.factories import OrganizationFactory, UserFactory

from .helpers import text

pytestmark = pytest.mark.django_db

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


def test_signup_creates_user_org_and_owner_membership_and_logs_in(client):
    response = client.post("/accounts/signup/", GOOD)

    assert response.status_code == 302
    assert response.url == "/ai-analytics/"
    user = User.objects.get(email="founder@example.com")
    assert user.check_password(GOOD["password"])
    assert user.first_name == "Ada"
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert membership.organization.name == "Acme Labs"
    assert membership.organization.slug == "acme-labs"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session[SESSION_KEY] == membership.organization_id
    dashboard = client.get("/ai-analytics/")
    assert dashboard.status_code == 200
    assert "Acme Labs" in text(dashboard)


def test_signup_derives_a_unique_slug(client):
    OrganizationFactory(name="Acme Labs", slug="acme-labs")
    OrganizationFactory(name="Acme Labs 2", slug="acme-labs-2")

    client.post("/accounts/signup/", GOOD)

    org = Organization.objects.get(memberships__user__email="founder@example.com")
    assert org.slug == "acme-labs-3"


def test_signup_slug_falls_back_when_name_has_no_letters(client):
    client.post("/accounts/signup/", {**GOOD, "organization_name": "!!!"})
    org = Organization.objects.get(memberships__user__email="founder@example.com")
    assert org.slug == "org"
    assert org.name == "!!!"


def test_email_already_registered_is_refused_and_nothing_created(client):
    UserFactory(email="founder@example.com")
    before = _counts()

    response = client.post("/accounts/signup/", GOOD)  # same address, other case

    assert response.status_code == 200
    assert "An account with this email already exists" in text(response)
    assert _counts() == before
    assert "_auth_user_id" not in client.session


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


def test_new_owner_can_log_in_again_with_any_email_case(client):
    client.post("/accounts/signup/", GOOD)
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session
    response = client.post(
        "/accounts/login/", {"username": "FOUNDER@example.COM", "password": GOOD["password"]}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="founder@example.com").pk)
