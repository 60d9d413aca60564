import pytest
from django.core import mail

from koalr.accounts.models import ApiToken, Invite, Membership
from tests.factories import MembershipFactory

from .helpers import text

pytestmark = pytest.mark.django_db
Role = Membership.Role


def _membership(user, org):
    return Membership.objects.get(user=user, organization=org)


def _roles(org):
    return dict(Membership.objects.filter(organization=org).values_list("user__email", "role"))


# ---------- The members page ----------


@pytest.mark.parametrize("persona", ["owner_client", "admin_client"])
def test_managers_see_members_invites_and_controls(
    request, persona, org, owner, admin_user, member_user, make_invite
):
    make_invite("pending@acme.test")
    response = request.getfixturevalue(persona).get("/accounts/members/")
    assert response.status_code == 200
    page = text(response)
    for email in ("owner@acme.test", "admin@acme.test", "member@acme.test"):
        assert email in page
    assert "Invite a teammate" in page
    assert "pending@acme.test" in page
    assert f"/accounts/members/{_membership(member_user, org).pk}/remove/" in response.content.decode()


def test_admin_gets_no_controls_on_the_owner_and_cannot_offer_owner(admin_client, org, owner, member_user):
    page = admin_client.get("/accounts/members/").content.decode()
    owner_pk, member_pk = _membership(owner, org).pk, _membership(member_user, org).pk
    assert f"/accounts/members/{member_pk}/role/" in page
    assert '<option value="admin"' in page
    assert f"/accounts/members/{owner_pk}/role/" not in page
    assert f"/accounts/members/{owner_pk}/remove/" not in page
    assert '<option value="owner"' not in page


def test_member_sees_the_list_but_no_management(member_client, owner, admin_user, member_user, make_invite):
    make_invite("pending@acme.test")
    response = member_client.get("/accounts/members/")
    assert response.status_code == 200
    page = text(response)
    assert "owner@acme.test" in page and "admin@acme.test" in page
    assert "Invite a teammate" not in page
    assert "pending@acme.test" not in page
    markup = response.content.decode()
    assert "/remove/" not in markup and "/role/" not in markup and "/revoke/" not in markup


def test_outsider_sees_their_own_org_only(outsider_client, owner, member_user):
    page = text(outsider_client.get("/accounts/members/"))
    assert "outsider@globex.test" in page
    assert "member@acme.test" not in page
    assert "owner@acme.test" not in page


def test_anonymous_is_sent_to_login(client):
    response = client.get("/accounts/members/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/accounts/members/")


# ---------- Inviting ----------


def test_owner_invites_by_email_and_role(owner_client, org, owner):
    response = owner_client.post(
        "/accounts/members/invite/", {"email": "New@Acme.test", "role": "admin"}, follow=True
    )

    assert "Invitation sent to new@acme.test." in text(response)
    invite = Invite.objects.get(organization=org)
    assert (invite.email, invite.role, invite.invited_by) == ("new@acme.test", "admin", owner)
    assert invite.is_usable
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@acme.test"]
    assert "Acme" in message.subject
    assert "http://testserver/accounts/invite/" in message.body
    # Only the hash is stored, and the email carries the token, never the hash.
    assert invite.token_hash not in message.body


def test_admin_can_invite_admins_and_members(admin_client, org):
    admin_client.post("/accounts/members/invite/", {"email": "a@acme.test", "role": "admin"})
    admin_client.post("/accounts/members/invite/", {"email": "m@acme.test", "role": "member"})
    assert set(Invite.objects.filter(organization=org).values_list("email", "role")) == {
        ("a@acme.test", "admin"),
        ("m@acme.test", "member"),
    }


def test_admin_cannot_invite_an_owner(admin_client, org):
    response = admin_client.post("/accounts/members/invite/", {"email": "boss@acme.test", "role": "owner"})
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert not Invite.objects.exists()
    assert mail.outbox == []


def test_member_cannot_invite(member_client, org):
    response = member_client.post("/accounts/members/invite/", {"email": "x@acme.test", "role": "member"})
    assert response.status_code == 403
    assert not Invite.objects.exists()
    assert mail.outbox == []


def test_outsider_invite_lands_in_their_own_org_only(outsider_client, org, other_org):
    outsider_client.post("/accounts/members/invite/", {"email": "x@globex.test", "role": "member"})
    assert not Invite.objects.filter(organization=org).exists()
    assert Invite.objects.filter(organization=other_org, email="x@globex.test").exists()


def test_inviting_an_existing_member_is_refused(owner_client, org, member_user):
    response = owner_client.post("/accounts/members/invite/", {"email": "MEMBER@acme.test", "role": "admin"})
    assert response.status_code == 200
    assert "member@acme.test is already a member of Acme." in text(response)
    assert not Invite.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("email", ["not-an-email", "", "a@b@c"])
def test_inviting_an_invalid_email_is_refused(owner_client, email):
    response = owner_client.post("/accounts/members/invite/", {"email": email, "role": "member"})
    page = text(response)
    assert "Enter a valid email address." in page or "This field is required." in page
    assert not Invite.objects.exists()
    assert mail.outbox == []


def test_reinviting_a_pending_email_replaces_the_old_invite(owner_client, client, org, make_invite):
    old, old_token = make_invite("new@acme.test", role=Role.MEMBER)

    owner_client.post("/accounts/members/invite/", {"email": "new@acme.test", "role": "admin"})

    old.refresh_from_db()
    assert old.revoked_at is not None
    pending = list(Invite.objects.pending().filter(organization=org))
    assert [(i.email, i.role) for i in pending] == [("new@acme.test", "admin")]
    assert client.get(f"/accounts/invite/{old_token}/").status_code == 410


def test_the_same_email_may_be_invited_by_two_orgs(owner_client, outsider_client, org, other_org):
    owner_client.post("/accounts/members/invite/", {"email": "both@x.test", "role": "member"})
    outsider_client.post("/accounts/members/invite/", {"email": "both@x.test", "role": "member"})
    assert Invite.objects.pending().filter(email="both@x.test").count() == 2


# ---------- Revoking an invite ----------


def test_owner_revokes_a_pending_invite(owner_client, client, make_invite):
    invite, token = make_invite()
    response = owner_client.post(f"/accounts/members/invites/{invite.pk}/revoke/", follow=True)
    assert "The invitation to new@acme.test was revoked." in text(response)
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    assert "This invitation was withdrawn" in text(client.get(f"/accounts/invite/{token}/"))


def test_revoking_twice_says_it_is_no_longer_pending(admin_client, make_invite):
    invite, _ = make_invite()
    admin_client.post(f"/accounts/members/invites/{invite.pk}/revoke/")
    invite.refresh_from_db()
    first_revoked_at = invite.revoked_at
    response = admin_client.post(f"/accounts/members/invites/{invite.pk}/revoke/", follow=True)
    assert "This invitation is no longer pending." in text(response)
    invite.refresh_from_db()
    assert invite.revoked_at == first_revoked_at


def test_member_cannot_revoke(member_client, make_invite):
    invite, _ = make_invite()
    assert member_client.post(f"/accounts/members/invites/{invite.pk}/revoke/").status_code == 403
    invite.refresh_from_db()
    assert invite.revoked_at is None


def test_outsider_gets_404_for_another_orgs_invite(outsider_client, make_invite):
    invite, _ = make_invite()
    assert outsider_client.post(f"/accounts/members/invites/{invite.pk}/revoke/").status_code == 404
    invite.refresh_from_db()
    assert invite.revoked_at is None


def test_revoke_needs_post(owner_client, make_invite):
    invite, _ = make_invite()
    assert owner_client.get(f"/accounts/members/invites/{invite.pk}/revoke/").status_code == 405


# ---------- Changing roles ----------


def test_owner_changes_a_members_role(owner_client, org, member_user):
    target = _membership(member_user, org)
    response = owner_client.post(f"/accounts/members/{target.pk}/role/", {"role": "admin"}, follow=True)
    assert "member@acme.test is now admin." in text(response)
    target.refresh_from_db()
    assert target.role == Role.ADMIN


def test_owner_can_make_someone_owner_and_then_step_down(owner_client, org, owner, admin_user):
    admin_m, owner_m = _membership(admin_user, org), _membership(owner, org)
    owner_client.post(f"/accounts/members/{admin_m.pk}/role/", {"role": "owner"})
    owner_client.post(f"/accounts/members/{owner_m.pk}/role/", {"role": "admin"})
    assert _roles(org) == {"owner@acme.test": "admin", "admin@acme.test": "owner"}


def test_admin_promotes_member_to_admin(admin_client, org, member_user):
    target = _membership(member_user, org)
    admin_client.post(f"/accounts/members/{target.pk}/role/", {"role": "admin"})
    target.refresh_from_db()
    assert target.role == Role.ADMIN


def test_admin_cannot_promote_to_owner(admin_client, org, owner, member_user):
    before = _roles(org)
    target = _membership(member_user, org)
    assert admin_client.post(f"/accounts/members/{target.pk}/role/", {"role": "owner"}).status_code == 403
    assert _roles(org) == before


def test_admin_cannot_change_an_owner(admin_client, org, owner):
    MembershipFactory(organization=org, role=Role.OWNER)  # not the last owner: the rule is the role
    before = _roles(org)
    target = _membership(owner, org)
    assert admin_client.post(f"/accounts/members/{target.pk}/role/", {"role": "member"}).status_code == 403
    assert _roles(org) == before


def test_member_cannot_change_roles(member_client, org, owner, member_user):
    before = _roles(org)
    own = _membership(member_user, org)
    assert member_client.post(f"/accounts/members/{own.pk}/role/", {"role": "owner"}).status_code == 403
    assert _roles(org) == before


def test_outsider_gets_404_for_another_orgs_membership(outsider_client, org, member_user):
    target = _membership(member_user, org)
    assert outsider_client.post(f"/accounts/members/{target.pk}/role/", {"role": "admin"}).status_code == 404
    assert outsider_client.post(f"/accounts/members/{target.pk}/remove/").status_code == 404
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_the_last_owner_cannot_be_demoted(owner_client, org, owner, member_user):
    before = _roles(org)
    target = _membership(owner, org)
    response = owner_client.post(f"/accounts/members/{target.pk}/role/", {"role": "admin"}, follow=True)
    assert "An organization needs at least one owner." in text(response)
    assert _roles(org) == before


def test_an_invalid_role_is_refused(owner_client, org, member_user):
    target = _membership(member_user, org)
    response = owner_client.post(f"/accounts/members/{target.pk}/role/", {"role": "king"}, follow=True)
    assert "Choose a valid role." in text(response)
    target.refresh_from_db()
    assert target.role == Role.MEMBER


# ---------- Removing members ----------


def test_owner_removes_a_member_and_their_api_tokens_stop(owner_client, client, org, other_org, member_user):
    MembershipFactory(user=member_user, organization=other_org)
    token = ApiToken.objects.create(
        organization=org, user=member_user, token_hash="a" * 64, prefix="koalr_aa"
    )
    other = ApiToken.objects.create(
        organization=other_org, user=member_user, token_hash="b" * 64, prefix="koalr_bb"
    )
    target = _membership(member_user, org)

    response = owner_client.post(f"/accounts/members/{target.pk}/remove/", follow=True)

    assert "member@acme.test was removed from Acme." in text(response)
    assert not Membership.objects.filter(pk=target.pk).exists()
    token.refresh_from_db()
    other.refresh_from_db()
    assert token.revoked_at is not None
    assert other.revoked_at is None  # their other organization is untouched


def test_removed_member_loses_access_at_once(owner_client, member_client, org, member_user):
    target = _membership(member_user, org)
    assert member_client.get("/ai-analytics/").status_code == 200
    owner_client.post(f"/accounts/members/{target.pk}/remove/")
    response = member_client.get("/ai-analytics/")
    assert response.status_code == 302
    assert response.url == "/accounts/no-organization/"


def test_admin_removes_a_member(admin_client, org, member_user):
    target = _membership(member_user, org)
    admin_client.post(f"/accounts/members/{target.pk}/remove/")
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_admin_cannot_remove_an_owner(admin_client, org, owner):
    MembershipFactory(organization=org, role=Role.OWNER)
    target = _membership(owner, org)
    assert admin_client.post(f"/accounts/members/{target.pk}/remove/").status_code == 403
    assert Membership.objects.filter(pk=target.pk).exists()


def test_member_cannot_remove_anyone(member_client, org, admin_user, member_user):
    before = _roles(org)
    assert (
        member_client.post(f"/accounts/members/{_membership(admin_user, org).pk}/remove/").status_code == 403
    )
    assert (
        member_client.post(f"/accounts/members/{_membership(member_user, org).pk}/remove/").status_code == 403
    )
    assert _roles(org) == before


def test_the_last_owner_cannot_be_removed(owner_client, org, owner, member_user):
    before = _roles(org)
    target = _membership(owner, org)
    response = owner_client.post(f"/accounts/members/{target.pk}/remove/", follow=True)
    assert "The last owner cannot be removed." in text(response)
    assert _roles(org) == before


def test_an_owner_may_leave_when_another_owner_remains(owner_client, org, owner, admin_user):
    _membership(admin_user, org)
    second = MembershipFactory(organization=org, role=Role.OWNER)
    target = _membership(owner, org)
    response = owner_client.post(f"/accounts/members/{target.pk}/remove/")
    assert response.status_code == 302
    assert response.url == "/"
    assert set(_roles(org)) == {"admin@acme.test", second.user.email}


def test_remove_needs_post(owner_client, org, member_user):
    target = _membership(member_user, org)
    assert owner_client.get(f"/accounts/members/{target.pk}/remove/").status_code == 405
    assert Membership.objects.filter(pk=target.pk).exists()
