"""Writes for accounts: sign-up, organizations, invites, roles, the organization switch.

The business rules live here so the pages and the REST API enforce the same ones:

- Only owners and admins manage members (`Membership.can_manage_members`).
- Only an owner may grant the owner role or change/remove an owner.
- An organization always keeps at least one owner.

Rule violations by a role that should never have been offered the action raise
`PermissionDenied` (403); mistakes a legitimate user can make raise `AccountsError`
with a message meant for them. Targets are passed in already scoped to the actor's
organization by the caller; services re-check it and fail closed.
"""

import secrets

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email, validate_slug
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from .models import INVITE_LIFETIME, ApiToken, Invite, Membership, Organization, User, hash_token
from .tenancy import SESSION_KEY

Role = Membership.Role


class AccountsError(Exception):
    """A user-facing refusal: the message is safe and meant to be shown as is."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class InviteUnusable(AccountsError):
    """The invite link cannot be used (unknown, expired, revoked or already used)."""


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise AccountsError("Enter a valid email address.", field="email") from None
    return email


def _validate_password(password, user):
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise AccountsError(" ".join(exc.messages), field="password") from None


# ---------- Organizations and sign-up ----------

SLUG_MAX = Organization._meta.get_field("slug").max_length


def unique_org_slug(name: str) -> str:
    """A free slug derived from `name`: "acme", then "acme-2", "acme-3" …"""
    base = slugify(name)[: SLUG_MAX - 6].strip("-") or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _create_organization(name: str, slug: str | None = None) -> Organization:
    name = (name or "").strip()
    if not name:
        raise AccountsError("Enter your organization's name.", field="organization_name")
    if slug is not None:
        try:
            validate_slug(slug)
        except ValidationError:
            raise AccountsError(
                "A slug may only contain letters, numbers, hyphens and underscores.", field="slug"
            ) from None
        if Organization.objects.filter(slug=slug).exists():
            raise AccountsError(f'The slug "{slug}" is already taken.', field="slug")
        return Organization.objects.create(name=name, slug=slug)
    # Two sign-ups may race for the same derived slug; the unique index decides, we retry.
    for _ in range(5):
        try:
            with transaction.atomic():
                return Organization.objects.create(name=name, slug=unique_org_slug(name))
        except IntegrityError:
            continue
    raise AccountsError("Could not create the organization, please try again.")


@transaction.atomic
def signup(*, email, password, organization_name, first_name="", last_name="") -> Membership:
    """Create a user, their organization and the owner membership, all or nothing."""
    email = normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise AccountsError(
            "An account with this email already exists. Log in instead, or reset your password.",
            field="email",
        )
    if not (organization_name or "").strip():
        raise AccountsError("Enter your organization's name.", field="organization_name")
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
    _validate_password(password, user)
    user.set_password(password)
    user.save()
    organization = _create_organization(organization_name)
    return Membership.objects.create(user=user, organization=organization, role=Role.OWNER)


@transaction.atomic
def create_organization_with_owner(*, slug, name, owner_email, password=None):
    """The `createorg` command: a new organization owned by a new or existing user.

    Returns (membership, generated_password); generated_password is None unless a new user
    was created without a password.
    """
    email = normalize_email(owner_email)
    organization = _create_organization(name, slug=slug)
    user = User.objects.filter(email__iexact=email).first()
    generated = None
    if user is None:
        user = User(email=email)
        if password is None:
            password = generated = secrets.token_urlsafe(12)
        else:
            _validate_password(password, user)
        user.set_password(password)
        user.save()
    membership = Membership.objects.create(user=user, organization=organization, role=Role.OWNER)
    return membership, generated


# ---------- Invites ----------


def _require_manager(actor: Membership):
    if not actor.can_manage_members:
        raise PermissionDenied("Only owners and admins manage members.")


def _require_same_org(actor: Membership, obj):
    # Callers look targets up with organization=actor.organization; this is the backstop.
    if obj.organization_id != actor.organization_id:
        raise PermissionDenied("Not in your organization.")


def grantable_roles(actor: Membership) -> list[tuple[str, str]]:
    """Roles `actor` may give to someone: owners grant any, admins never grant owner."""
    if not actor.can_manage_members:
        return []
    if actor.is_owner:
        return list(Role.choices)
    return [(value, label) for value, label in Role.choices if value != Role.OWNER]


def _check_role(actor, role):
    if role not in Role.values:
        raise AccountsError("Choose a valid role.", field="role")
    if role == Role.OWNER and not actor.is_owner:
        raise PermissionDenied("Only an owner can make someone an owner.")


def accept_path(token: str) -> str:
    return reverse("accounts:accept_invite", args=[token])


@transaction.atomic
def invite(*, actor: Membership, email: str, role: str, build_absolute_uri) -> Invite:
    """Invite `email` to the actor's organization and email them a single-use link.

    A pending invite for the same address is revoked and replaced (its link stops working).
    The email is sent inside the transaction: if sending fails, no invite is left behind.
    """
    _require_manager(actor)
    email = normalize_email(email)
    _check_role(actor, role)
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
    _require_manager(actor)
    _require_same_org(actor, invite)
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
    """A visitor without an account accepts: the account is created for the invited email."""
    invite = _lock_usable_invite(token)
    if User.objects.filter(email__iexact=invite.email).exists():
        raise AccountsError("An account with this email already exists. Log in to accept the invitation.")
    user = User(email=invite.email.lower(), first_name=first_name.strip(), last_name=last_name.strip())
    _validate_password(password, user)
    user.set_password(password)
    user.save()
    return _consume(invite, user)


# ---------- Roles and removal ----------


def _lock_owners(organization) -> list[Membership]:
    # Locking the owner rows serialises concurrent demotions/removals of the last owners.
    return list(
        Membership.objects.select_for_update()
        .filter(organization=organization, role=Role.OWNER)
        .order_by("pk")
    )


def may_manage(actor: Membership, target: Membership) -> bool:
    """Whether `actor` may change the role of / remove `target` (the last-owner rule aside)."""
    return actor.can_manage_members and (actor.is_owner or not target.is_owner)


def _guard_owner_change(actor: Membership, target: Membership):
    if target.is_owner and not actor.is_owner:
        raise PermissionDenied("Only an owner can change or remove an owner.")


@transaction.atomic
def change_role(*, actor: Membership, target: Membership, role: str) -> Membership:
    _require_manager(actor)
    _require_same_org(actor, target)
    _check_role(actor, role)
    target = Membership.objects.select_for_update().get(pk=target.pk, organization=actor.organization)
    _guard_owner_change(actor, target)
    if target.role == role:
        return target
    if target.is_owner:
        owners = _lock_owners(actor.organization)
        if len(owners) <= 1:
            raise AccountsError("An organization needs at least one owner. Make someone else an owner first.")
    target.role = role
    target.save(update_fields=["role"])
    return target


@transaction.atomic
def remove_member(*, actor: Membership, target: Membership) -> None:
    """Remove a membership and revoke the API tokens it held in this organization."""
    _require_manager(actor)
    _require_same_org(actor, target)
    target = Membership.objects.select_for_update().get(pk=target.pk, organization=actor.organization)
    _guard_owner_change(actor, target)
    if target.is_owner and len(_lock_owners(actor.organization)) <= 1:
        raise AccountsError("The last owner cannot be removed. Make someone else an owner first.")
    # A token carries its creator's role; without the membership it must stop working.
    ApiToken.objects.active().filter(organization=actor.organization, user_id=target.user_id).update(
        revoked_at=timezone.now()
    )
    target.delete()


# ---------- Organization switch ----------


def switch_organization(*, request, organization_id) -> Membership:
    """Make `organization_id` the active organization for this session.

    Raises Membership.DoesNotExist when the user is not a member (the view answers 404).
    The chokepoint re-checks membership on every request anyway; this only stores a preference.
    """
    try:
        organization_id = int(organization_id)
    except (TypeError, ValueError):
        raise Membership.DoesNotExist from None
    membership = Membership.objects.select_related("organization").get(
        user=request.user, organization_id=organization_id
    )
    request.session[SESSION_KEY] = membership.organization_id
    return membership
