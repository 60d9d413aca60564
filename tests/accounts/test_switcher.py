import pytest

from koalr.accounts.models import Membership
from koalr.accounts.tenancy import SESSION_KEY
from tests.factories import OrganizationFactory

from .helpers import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_org_member(member_client, member_user, other_org):
    Membership.objects.create(user=member_user, organization=other_org, role=Membership.Role.ADMIN)
    return member_client


def test_header_lists_the_users_organizations(two_org_member, org, other_org):
    markup = two_org_member.get("/ai-analytics/").content.decode()
    assert f'name="organization" value="{org.pk}"' in markup
    assert f'name="organization" value="{other_org.pk}"' in markup
    assert 'action="/accounts/switch/"' in markup


def test_header_does_not_list_others_organizations(member_client, other_org):
    OrganizationFactory(name="Initech")
    page = text(member_client.get("/ai-analytics/"))
    assert "Globex" not in page and "Initech" not in page


def test_switching_changes_the_active_organization(two_org_member, org, other_org):
    response = two_org_member.post("/accounts/switch/", {"organization": other_org.pk})
    assert response.status_code == 302
    assert response.url == "/"
    assert two_org_member.session[SESSION_KEY] == other_org.pk

    page = text(two_org_member.get("/ai-analytics/", follow=True))
    assert "Switched to Globex." in page
    # The role follows the organization: admin in Globex sees the spend link.
    assert "Spend review" in page

    two_org_member.post("/accounts/switch/", {"organization": org.pk})
    assert two_org_member.session[SESSION_KEY] == org.pk
    assert "Spend review" not in text(two_org_member.get("/ai-analytics/"))


@pytest.mark.parametrize("value", ["other", "", "999999999", "1.5"])
def test_switching_to_an_org_you_are_not_in_is_404(member_client, org, other_org, value):
    member_client.get("/ai-analytics/")  # settles the session on Acme
    value = str(other_org.pk) if value == "other" else value
    response = member_client.post("/accounts/switch/", {"organization": value})
    assert response.status_code == 404
    assert member_client.session[SESSION_KEY] == org.pk


def test_switch_needs_login_and_post(client, two_org_member, other_org):
    response = client.post("/accounts/switch/", {"organization": other_org.pk})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert two_org_member.get("/accounts/switch/").status_code == 405


def test_leaving_the_active_org_falls_back_to_another(two_org_member, member_user, org, other_org):
    two_org_member.post("/accounts/switch/", {"organization": other_org.pk})
    Membership.objects.filter(user=member_user, organization=other_org).delete()
    page = text(two_org_member.get("/ai-analytics/"))
    assert "Acme" in page
    assert two_org_member.session[SESSION_KEY] == org.pk
