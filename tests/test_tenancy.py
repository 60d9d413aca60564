import pytest
from django.test import RequestFactory

from koalr.accounts.models import Membership
from koalr.accounts.tenancy import SESSION_KEY, active_membership, membership_for_slug
from tests.factories import MembershipFactory


class _Session(dict):
    modified = False


def _request(user, active_org_id=None):
    request = RequestFactory().get("/")
    request.user = user
    request.session = _Session()
    if active_org_id:
        request.session[SESSION_KEY] = active_org_id
    return request


@pytest.mark.django_db
def test_active_membership_ignores_an_org_the_user_left(org, other_org, member_user):
    # The session prefers other_org, but the user is not a member there: fall back to org.
    request = _request(member_user, active_org_id=other_org.pk)
    membership = active_membership(request)
    assert membership.organization == org
    assert request.session[SESSION_KEY] == org.pk


@pytest.mark.django_db
def test_active_membership_honours_the_switch(org, other_org, member_user):
    MembershipFactory(user=member_user, organization=other_org, role=Membership.Role.ADMIN)
    assert active_membership(_request(member_user, other_org.pk)).organization == other_org
    assert active_membership(_request(member_user, org.pk)).organization == org


@pytest.mark.django_db
def test_membership_for_slug_answers_404_to_outsiders(org, outsider):
    from django.http import Http404

    with pytest.raises(Http404):
        membership_for_slug(outsider, org.slug)
    with pytest.raises(Http404):
        membership_for_slug(outsider, "no-such-org")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", True), ("admin", True), ("member", False)],
)
def test_capabilities_follow_the_role(org, role, expected):
    membership = MembershipFactory(organization=org, role=role)
    assert membership.can_manage_members is expected
    assert membership.can_see_member_spend is expected
    assert membership.can_manage_integrations is expected


@pytest.mark.django_db
def test_dashboard_personas(client, admin_client, member_client, outsider_client, org):
    assert admin_client.get("/ai-analytics/").status_code == 200
    assert member_client.get("/ai-analytics/").status_code == 200
    # The outsider sees their own org, never Acme.
    response = outsider_client.get("/ai-analytics/")
    assert response.status_code == 200
    assert b"Acme" not in response.content
    assert client.get("/ai-analytics/").status_code == 302
