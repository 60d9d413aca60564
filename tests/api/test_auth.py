"""Token and session authentication, organization binding, roles and throttling."""

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from koalr.accounts.models import ApiToken, Membership, hash_token
from tests.factories import MembershipFactory

from .conftest import bearer_client

pytestmark = pytest.mark.django_db


def members_url(slug="acme"):
    return f"/api/v1/orgs/{slug}/members"


def sync_url(slug="acme"):
    # An owner/admin-only endpoint that needs no query parameters.
    return f"/api/v1/orgs/{slug}/integrations/cursor/sync"


def test_anonymous_call_gets_401_with_a_bearer_challenge(org):
    response = Client().get(members_url())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_valid_token_reads_its_organization(org, admin_user, make_token):
    response = bearer_client(make_token(admin_user, org)).get(members_url())
    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer koalr_not-a-real-token", "Bearer", "Bearer two parts", "bearer  "],
)
def test_unknown_or_malformed_token_gets_401(org, header):
    response = Client(HTTP_AUTHORIZATION=header).get(members_url())
    assert response.status_code == 401, header


def test_revoked_token_gets_401(org, admin_user, make_token):
    raw = make_token(admin_user, org)
    ApiToken.objects.filter(token_hash=hash_token(raw)).update(revoked_at=timezone.now())
    response = bearer_client(raw).get(members_url())
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_token_of_a_removed_member_stops_working(org, member_user, make_token):
    raw = make_token(member_user, org)
    Membership.objects.filter(user=member_user, organization=org).delete()
    assert bearer_client(raw).get(members_url()).status_code == 401


def test_token_is_bound_to_its_organization_even_if_the_user_belongs_to_another(
    org, other_org, admin_user, make_token
):
    # The admin of Acme is also an owner of Globex, but this token was made for Acme.
    MembershipFactory(user=admin_user, organization=other_org, role=Membership.Role.OWNER)
    client = bearer_client(make_token(admin_user, org))
    assert client.get(members_url("acme")).status_code == 200
    assert client.get(members_url("globex")).status_code == 404


def test_token_of_another_organization_answers_404_for_acme(org, other_org, outsider, make_token):
    response = bearer_client(make_token(outsider, other_org)).get(members_url("acme"))
    assert response.status_code == 404


def test_token_carries_the_creators_current_role(org, member_user, make_token, monkeypatch):
    monkeypatch.setattr(
        "integrations.services.trigger_sync", lambda connection, *a, **kw: pytest.fail("no sync")
    )
    client = bearer_client(make_token(member_user, org))
    assert client.post(sync_url()).status_code == 403
    Membership.objects.filter(user=member_user, organization=org).update(role=Membership.Role.ADMIN)
    # Promoted: the same token now reaches owner/admin endpoints (409: nothing connected yet).
    assert client.post(sync_url()).status_code == 409


def test_last_used_at_is_written_at_most_once_a_minute(org, admin_user, make_token):
    raw = make_token(admin_user, org)
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    assert token.last_used_at is None
    client = bearer_client(raw)

    client.get(members_url())
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None

    client.get(members_url())
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write

    stale = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    client.get(members_url())
    token.refresh_from_db()
    assert token.last_used_at > stale


def test_session_authentication_works_for_the_browser(org, member_client):
    assert member_client.get(members_url()).status_code == 200


def test_session_post_needs_a_csrf_token(org, admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(sync_url())
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_token_post_needs_no_csrf_token(org, admin_user, make_token):
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {make_token(admin_user, org)}")
    # 409 because Acme has no Cursor connection: authentication and CSRF passed.
    assert client.post(sync_url()).status_code == 409


@override_settings(API_THROTTLE_RATE="2/min")
def test_throttling_is_per_token_with_retry_after(org, admin_user, make_token):
    first, second = bearer_client(make_token(admin_user, org)), bearer_client(make_token(admin_user, org))
    assert first.get(members_url()).status_code == 200
    assert first.get(members_url()).status_code == 200
    throttled = first.get(members_url())
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    # Another token of the same person has its own budget.
    assert second.get(members_url()).status_code == 200


@override_settings(API_THROTTLE_RATE="1/min")
def test_session_calls_are_throttled_per_user(org, admin_client, member_client):
    assert admin_client.get(members_url()).status_code == 200
    assert admin_client.get(members_url()).status_code == 429
    assert member_client.get(members_url()).status_code == 200


def test_token_of_a_deactivated_user_gets_401(org, admin_user, make_token):
    raw = make_token(admin_user, org)
    admin_user.is_active = False
    admin_user.save(update_fields=["is_active"])
    assert bearer_client(raw).get(members_url()).status_code == 401
