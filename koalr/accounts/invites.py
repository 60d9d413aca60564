"""Invites: single-use links, stored only as a hash, valid for `INVITE_LIFETIME`.

A re-invite revokes the pending invite for the same address. Accepting requires the
invited email: a visitor gets an account for it, a logged-in user must be that person.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import INVITE_LIFETIME, Invite, Membership, User, hash_token
from .rules import (
    AccountsError,
    InviteUnusable,
    check_role,
    normalize_email,
    require_manager,
    require_same_org,
    validate_password,
)
from .verification import mark_verified


def accept_path(token: str) -> str:
    return reverse("accounts:accept_invite", args=[token])


@transaction.atomic
def invite(*, actor: Membership, email: str, role: str, build_absolute_uri) -> Invite:
    """Invite `email` to the actor's organization and email them a single-use link.

    A pending invite for the same address is revoked and replaced (its link stops working).
    The email is sent inside the transaction: if sending fails, no invite is left behind.
    """
    require_manager(actor)
    email = normalize_email(email)
    check_role(actor, role)
    organization = actor.organization
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise AccountsError(f"{email} is already a member of {organization.name}.", field="email")
    now = timezone.now()
    Invite.objects.pending().filter(organization=organization, email__iexact=email).update(revoked_at=now)
    token, token_hash = Invite.new_token()
    new_invite = Invite.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=actor.user,
        expires_at=now + INVITE_LIFETIME,
    )
    context = {
        "invite": new_invite,
        "organization": organization,
        "inviter": actor.user,
        "accept_url": build_absolute_uri(accept_path(token)),
        "expires_at": new_invite.expires_at,
    }
    send_mail(
        subject=render_to_string("accounts/email/invite_subject.txt", context).strip(),
        message=render_to_string("accounts/email/invite_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[email],
    )
    return new_invite


@transaction.atomic
def revoke_invite(*, actor: Membership, invite: Invite) -> Invite:
    require_manager(actor)
    require_same_org(actor, invite)
    invite = Invite.objects.select_for_update().get(pk=invite.pk, organization=actor.organization)
    if not invite.is_usable:
        raise AccountsError("This invitation is no longer pending.")
    invite.revoked_at = timezone.now()
    invite.save(update_fields=["revoked_at"])
    return invite


def unusable_reason(invite: Invite | None) -> str | None:
    if invite is None:
        return "This invitation link is not valid. Check that you copied the whole link."
    if invite.accepted_at is not None:
        return "This invitation has already been used."
    if invite.revoked_at is not None:
        return "This invitation was withdrawn. Ask an owner or admin to invite you again."
    if invite.is_expired:
        return "This invitation has expired. Ask an owner or admin to invite you again."
    return None


def _lock_usable_invite(token: str) -> Invite:
    invite = (
        Invite.objects.select_for_update()
        .select_related("organization")
        .filter(token_hash=hash_token(token or ""))
        .first()
    )
    reason = unusable_reason(invite)
    if reason:
        raise InviteUnusable(reason)
    return invite


def _consume(invite: Invite, user) -> Membership:
    # The link was mailed to the invited address and the emails match: the address is proven.
    mark_verified(user)
    membership, _ = Membership.objects.get_or_create(
        user=user, organization=invite.organization, defaults={"role": invite.role}
    )
    invite.accepted_at = timezone.now()
    invite.accepted_by = user
    invite.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def accept_invite(*, token: str, user) -> Membership:
    """A logged-in user accepts: the invite must be addressed to their email."""
    invite = _lock_usable_invite(token)
    if user.email.lower() != invite.email.lower():
        raise AccountsError(
            f"This invitation was sent to {invite.email}, but you are logged in as {user.email}. "
            f"Log out and log in as {invite.email} to accept it."
        )
    return _consume(invite, user)


@transaction.atomic
def accept_invite_as_new_user(*, token: str, password: str, first_name="", last_name="") -> Membership:
    """A visitor without a verified account accepts: the account is made for the invited email.

    An unverified account already registered under that address proves nothing (anyone could
    have typed it), while the link does: the visitor takes that account over with their own
    password, which also ends every session opened with the old one.
    """
    invite = _lock_usable_invite(token)
    user = User.objects.select_for_update().filter(email__iexact=invite.email).first()
    if user is not None and user.email_verified:
        raise AccountsError("An account with this email already exists. Log in to accept the invitation.")
    if user is None:
        user = User(email=invite.email.lower())
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return _consume(invite, user)


def has_verified_account(email: str) -> bool:
    return User.objects.filter(email__iexact=email, email_verified_at__isnull=False).exists()
