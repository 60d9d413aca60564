"""Writes for accounts: sign-up, organizations, invites, roles, API tokens, the organization switch.

The business rules live here so the pages and the REST API enforce the same ones:

- Only owners and admins manage members (`Membership.can_manage_members`).
- Only an owner may grant the owner role or change/remove an owner.
- An organization always keeps at least one owner.

Invites live in invites.py and the shared checks in rules.py; both are re-exported here
so callers have one module to import. Targets are passed in already scoped to the actor's
organization by the caller; services re-check it and fail closed.
"""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from . import verification
from .invites import (  # noqa: F401 (re-exported)
    accept_invite,
    accept_invite_as_new_user,
    accept_path,
    has_verified_account,
    invite,
    revoke_invite,
    unusable_reason,
)
from .models import ApiToken, Membership, Organization, User
from .rules import (  # noqa: F401 (re-exported)
    AccountsError,
    InviteUnusable,
    check_role,
    grantable_roles,
    may_manage,
    normalize_email,
    require_manager,
    require_same_org,
    validate_password,
)
from .selectors import manageable_tokens
from .tenancy import SESSION_KEY
from .verification import LinkInvalid, signup  # noqa: F401 (re-exported)

Role = Membership.Role


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


class EmailNotVerified(AccountsError):
    """The account has not proved its email address yet."""


@transaction.atomic
def create_organization(*, user, name: str) -> Membership:
    """A new organization owned by `user`, who must have verified their email address."""
    if not user.email_verified:
        raise EmailNotVerified(
            "Verify your email address first: follow the link we sent you, or ask for a new one."
        )
    organization = _create_organization(name)
    return Membership.objects.create(user=user, organization=organization, role=Role.OWNER)


@transaction.atomic
def confirm_email(*, token: str) -> tuple[User, Membership | None]:
    """Follow a verification link: verify the address and create the organization asked for.

    A link works once: a second use of it finds the address verified and changes nothing.
    Raises LinkInvalid for an expired, forged or outdated link.
    """
    found = verification.read_link_token(token)
    user = User.objects.select_for_update().get(pk=found.user.pk)
    if user.email_verified:
        return user, None
    verification.mark_verified(user)
    membership = None
    if found.organization_name:
        membership = create_organization(user=user, name=found.organization_name)
    return user, membership


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
            validate_password(password, user)
        user.set_password(password)
        user.save()
    # The operator vouches for the address they typed.
    verification.mark_verified(user)
    membership = Membership.objects.create(user=user, organization=organization, role=Role.OWNER)
    return membership, generated


# ---------- Roles and removal ----------


def _lock_for_owner_change(actor: Membership, target: Membership) -> tuple[Membership, Membership, int]:
    """Lock the actor's, the target's and every owner's membership in one statement, in primary
    key order, and return fresh (actor, target, owner count).

    One statement in a stable order: two owners demoting each other at once used to lock their
    targets first and each other's rows next, a deadlock PostgreSQL broke with a 500. Now the
    second waits for the first, then sees the committed roles: the last owner is kept and the
    refusal is a plain message. Roles are re-read under the lock, so a demoted actor's stale
    row grants nothing.
    """
    rows = {
        m.pk: m
        for m in Membership.objects.select_for_update()
        .filter(organization=actor.organization)
        .filter(Q(role=Role.OWNER) | Q(pk__in=[actor.pk, target.pk]))
        .order_by("pk")
    }
    if target.pk not in rows:
        raise AccountsError("That person is no longer a member of this organization.")
    fresh_actor = rows.get(actor.pk)
    fresh_target = rows[target.pk]
    # Someone changed the actor's own role a moment ago: a message, not a 403 page.
    if fresh_actor is None or not fresh_actor.can_manage_members:
        raise AccountsError("Your role in this organization changed meanwhile; nothing was changed.")
    if fresh_target.is_owner and not fresh_actor.is_owner:
        raise AccountsError("You are no longer an owner, so you cannot change an owner; nothing was changed.")
    owners = sum(1 for m in rows.values() if m.role == Role.OWNER)
    return fresh_actor, fresh_target, owners


def _guard_owner_change(actor: Membership, target: Membership):
    if target.is_owner and not actor.is_owner:
        raise PermissionDenied("Only an owner can change or remove an owner.")


@transaction.atomic
def change_role(*, actor: Membership, target: Membership, role: str) -> Membership:
    require_manager(actor)
    require_same_org(actor, target)
    check_role(actor, role)
    _guard_owner_change(actor, target)
    actor, target, owners = _lock_for_owner_change(actor, target)
    if role == Role.OWNER and not actor.is_owner:
        raise AccountsError("You are no longer an owner, so you cannot make someone an owner.")
    if target.role == role:
        return target
    if target.is_owner and owners <= 1:
        raise AccountsError("An organization needs at least one owner. Make someone else an owner first.")
    target.role = role
    target.save(update_fields=["role"])
    return target


@transaction.atomic
def remove_member(*, actor: Membership, target: Membership) -> None:
    """Remove a membership and revoke the API tokens it held in this organization."""
    require_manager(actor)
    require_same_org(actor, target)
    _guard_owner_change(actor, target)
    actor, target, owners = _lock_for_owner_change(actor, target)
    if target.is_owner and owners <= 1:
        raise AccountsError("The last owner cannot be removed. Make someone else an owner first.")
    # A token carries its creator's role; without the membership it must stop working.
    ApiToken.objects.active().filter(organization=actor.organization, user_id=target.user_id).update(
        revoked_at=timezone.now()
    )
    target.delete()


# ---------- Personal API tokens ----------

TOKEN_PREFIX_LENGTH = 12  # "koalr_" + 6 random characters: enough to recognise, useless to attack


class NotAMember(Exception):
    pass


def create_api_token(*, organization, user, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user` in `organization`. Returns (row, clear token); only the hash is kept.

    The clear token must be shown to its owner once and never stored or logged.
    """
    if not Membership.objects.filter(organization=organization, user=user).exists():
        raise NotAMember(f"{user} is not a member of {organization}.")
    raw, digest = ApiToken.new_token()
    token = ApiToken.objects.create(
        organization=organization,
        user=user,
        name=name.strip()[: ApiToken._meta.get_field("name").max_length],
        token_hash=digest,
        prefix=raw[:TOKEN_PREFIX_LENGTH],
    )
    return token, raw


def revoke_api_token(*, membership, token_id: int) -> ApiToken:
    """Revoke a token `membership` may manage; ApiToken.DoesNotExist (→ 404) otherwise.

    Revoking twice is harmless: the first revocation time is kept.
    """
    with transaction.atomic():
        token = manageable_tokens(membership).select_for_update(of=("self",)).get(pk=token_id)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


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
