"""Settings → API tokens: create (shown once), list (prefix only), revoke, per persona."""

import re

import pytest
from django.test import Client

from koalr.accounts.models import ApiToken, Membership, hash_token
from tests.factories import MembershipFactory

from .conftest import bearer_client

pytestmark = pytest.mark.django_db

URL = "/settings/api-tokens/"
TOKEN_RE = re.compile(r"koalr_[A-Za-z0-9_-]{20,}")


def create(client, name="BI export"):
    response = client.post(URL, {"name": name})
    assert response.status_code == 200
    found = TOKEN_RE.findall(response.content.decode())
    assert len(set(found)) == 1, found
    return response, found[0]


def test_anonymous_is_sent_to_login(org):
    response = Client().get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_create_shows_the_token_once_and_stores_only_its_hash(org, member_user, member_client):
    response, raw = create(member_client, "Looker")
    token = ApiToken.objects.get(organization=org, user=member_user)
    assert token.token_hash == hash_token(raw)
    assert token.name == "Looker"
    assert raw.startswith(token.prefix) and len(token.prefix) < len(raw)
    assert "shown only once" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    # It works, and it is never shown again.
    assert bearer_client(raw).get("/api/v1/orgs/acme/members").status_code == 200
    page = member_client.get(URL).content.decode()
    assert raw not in page
    assert token.prefix in page
    assert token.token_hash not in page


def test_member_sees_only_their_own_tokens(org, member_client, admin_client, member_user, admin_user):
    _, admins = create(admin_client, "admin's")
    _, members = create(member_client, "member's")
    page = member_client.get(URL).content.decode()
    assert members[:12] in page
    assert admins[:12] not in page
    assert "admin&#x27;s" not in page


def test_admin_sees_every_token_of_the_organization_only(
    org, other_org, admin_client, member_client, outsider
):
    _, members = create(member_client)
    outsider_client = Client()
    outsider_client.force_login(outsider)
    _, outsiders = create(outsider_client)
    page = admin_client.get(URL).content.decode()
    assert members[:12] in page
    assert "member@acme.test" in page  # the owner column
    assert outsiders[:12] not in page


def test_outsider_page_shows_nothing_of_acme(org, member_client, outsider_client):
    _, members = create(member_client)
    response = outsider_client.get(URL)
    assert response.status_code == 200
    assert members[:12] not in response.content.decode()


def test_revoke_own_token(org, member_client, member_user):
    _, raw = create(member_client)
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    response = member_client.post(f"{URL}{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer_client(raw).get("/api/v1/orgs/acme/members").status_code == 401
    assert "Revoked" in member_client.get(URL).content.decode()


def test_member_cannot_revoke_someone_elses_token(org, member_client, admin_client):
    _, raw = create(admin_client)
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    assert member_client.post(f"{URL}{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_admin_can_revoke_a_members_token(org, member_client, admin_client):
    _, raw = create(member_client)
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    assert admin_client.post(f"{URL}{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_outsider_cannot_revoke_an_acme_token(org, admin_client, outsider_client):
    _, raw = create(admin_client)
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    assert outsider_client.post(f"{URL}{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_admin_of_another_org_cannot_revoke_through_their_own_admin_role(org, other_org, member_client):
    # An admin of Globex who is a plain member of Acme, active in Globex.
    person = MembershipFactory(organization=other_org, role=Membership.Role.ADMIN).user
    MembershipFactory(organization=org, user=person, role=Membership.Role.MEMBER)
    _, raw = create(member_client)
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    client = Client()
    client.force_login(person)
    session = client.session
    session["active_organization_id"] = other_org.pk
    session.save()
    assert client.post(f"{URL}{token.pk}/revoke/").status_code == 404


def test_revoke_needs_post(org, member_client):
    _, raw = create(member_client)
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    assert member_client.get(f"{URL}{token.pk}/revoke/").status_code == 405


def test_a_too_long_name_is_refused_with_a_message(org, member_client):
    response = member_client.post(URL, {"name": "x" * 101})
    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()
    assert not ApiToken.objects.exists()
