"""Finding 4: the inputs that answered 500, each now a form error, a 4xx or a clean page."""

import pytest
from django.core import mail

from koalr.accounts.models import Invite, User

pytestmark = pytest.mark.django_db

LONG_EMAIL = "a" * 250 + "@example.com"  # 262 characters: the column holds 254


@pytest.mark.parametrize("page", ["1000000000000000000", "9" * 40, "-5", "1e9", "١٠", ""])
def test_a_huge_or_odd_page_number_shows_a_page(seeded_org, admin_client, page):
    response = admin_client.get("/ai-analytics/", {"page": page})
    assert response.status_code == 200
    response = admin_client.get("/ai-analytics/spend/", {"page": page})
    assert response.status_code == 200


def test_the_member_selector_bounds_the_offset(seeded_org):
    from datetime import date

    from analytics.selectors.members import member_usage_page

    rows, total = member_usage_page(
        seeded_org, date(2026, 1, 1), date(2026, 12, 31), sort="email", page=10**18, page_size=50
    )
    # Answered (not "bigint out of range"); past the last page the first one is shown.
    assert total == len(rows) > 0


def test_a_255_character_email_on_signup_is_a_form_error(client):
    response = client.post(
        "/accounts/signup/",
        {"email": LONG_EMAIL, "password": "a-long-and-uncommon-passphrase", "organization_name": "X"},
    )
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not User.objects.filter(email__startswith="aaaa").exists()
    assert mail.outbox == []


def test_a_255_character_email_on_invite_is_a_form_error(org, admin_client):
    response = admin_client.post("/accounts/members/invite/", {"email": LONG_EMAIL, "role": "member"})
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not Invite.objects.exists()


def test_the_invite_service_refuses_it_too(org, admin_user):
    from koalr.accounts import services
    from koalr.accounts.models import Membership

    actor = Membership.objects.get(user=admin_user, organization=org)
    with pytest.raises(services.AccountsError, match="at most 254"):
        services.invite(actor=actor, email=LONG_EMAIL, role="member", build_absolute_uri=str)


def test_a_huge_email_on_login_and_password_reset_is_a_form_error(client):
    login = client.post("/accounts/login/", {"username": LONG_EMAIL * 4, "password": "x"})
    assert login.status_code == 200
    assert "at most 254 characters" in login.content.decode()
    admin_login = client.post("/admin/login/", {"username": LONG_EMAIL * 4, "password": "x"})
    assert admin_login.status_code == 200
    reset = client.post("/accounts/password-reset/", {"email": LONG_EMAIL})
    assert reset.status_code == 200
    assert "at most 254 characters" in reset.content.decode()
