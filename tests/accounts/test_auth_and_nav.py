import re

import pytest
from django.core import mail

from koalr.accounts.context_processors import nav_section
from tests.factories import DEFAULT_PASSWORD

from .helpers import text

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-brand-new-uncommon-passphrase"


def test_login_page_is_styled_and_links_reset_and_signup(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    markup = response.content.decode()
    assert 'href="/accounts/password-reset/"' in markup
    assert 'href="/accounts/signup/"' in markup
    assert "/static/css/app.css" in markup


def test_login_with_good_and_bad_credentials(client, member_user):
    bad = client.post("/accounts/login/", {"username": "member@acme.test", "password": "wrong"})
    assert bad.status_code == 200
    assert "That email and password do not match an account." in text(bad)
    assert "_auth_user_id" not in client.session

    good = client.post("/accounts/login/", {"username": "member@acme.test", "password": DEFAULT_PASSWORD})
    assert good.status_code == 302
    assert good.url == "/"
    assert client.session["_auth_user_id"] == str(member_user.pk)


def test_logout_is_post_only(member_client):
    assert member_client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in member_client.session
    response = member_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert "_auth_user_id" not in member_client.session


def test_password_reset_round_trip(client, member_user):
    response = client.post("/accounts/password-reset/", {"email": "Member@Acme.test"}, follow=True)
    assert "Check your email" in text(response)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["member@acme.test"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    form = client.get(link, follow=True)
    assert "Choose a new password" in text(form)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your password was changed" in text(done)
    member_user.refresh_from_db()
    assert member_user.check_password(NEW_PASSWORD)

    again = client.get(link, follow=True)
    assert "This link no longer works" in text(again)


def test_password_reset_refuses_a_weak_password(client, member_user):
    client.post("/accounts/password-reset/", {"email": "member@acme.test"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    response = client.post(form.redirect_chain[-1][0], {"new_password1": "abc", "new_password2": "abc"})
    assert "This password is too short" in text(response)
    member_user.refresh_from_db()
    assert member_user.check_password(DEFAULT_PASSWORD)


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client):
    response = client.post("/accounts/password-reset/", {"email": "nobody@acme.test"}, follow=True)
    assert "Check your email" in text(response)
    assert mail.outbox == []


# ---------- Navigation shell ----------


def test_admin_nav_shows_every_section(admin_client):
    markup = admin_client.get("/ai-analytics/").content.decode()
    for href in (
        "/ai-analytics/",
        "/ai-analytics/spend/",
        "/settings/integrations/",
        "/accounts/members/",
        "/settings/api-tokens/",
    ):
        assert f'href="{href}"' in markup
    assert 'action="/accounts/logout/"' in markup


def test_member_nav_hides_spend_review(member_client):
    markup = member_client.get("/ai-analytics/").content.decode()
    assert 'href="/ai-analytics/"' in markup
    assert 'href="/ai-analytics/spend/"' not in markup
    assert 'href="/accounts/members/"' in markup


def test_current_section_is_marked(member_client):
    markup = member_client.get("/accounts/members/").content.decode()
    assert re.search(r'href="/accounts/members/"\s+aria-current="page"', markup)
    assert not re.search(r'href="/ai-analytics/"\s+aria-current', markup)


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/ai-analytics/", "analytics"),
        ("/ai-analytics/users/3/", "analytics"),
        ("/ai-analytics/spend/", "spend"),
        ("/settings/integrations/cursor/", "integrations"),
        ("/settings/api-tokens/", "api_tokens"),
        ("/accounts/members/", "members"),
        ("/accounts/login/", ""),
    ],
)
def test_nav_section_prefers_the_longest_prefix(path, section):
    assert nav_section(path) == section


def test_anonymous_pages_have_no_org_navigation(client):
    markup = client.get("/accounts/login/").content.decode()
    assert 'aria-label="Main"' not in markup
    assert 'href="/accounts/signup/"' in markup


def test_messages_render_as_banners(owner_client, org, member_user):
    from koalr.accounts.models import Membership

    target = Membership.objects.get(user=member_user, organization=org)
    markup = owner_client.post(f"/accounts/members/{target.pk}/role/", {"role": "admin"}, follow=True)
    assert 'class="banner banner-success"' in markup.content.decode()
