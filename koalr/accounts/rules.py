"""Shared rules of the accounts services: user-facing errors, input checks, role checks.

Rule violations by a role that should never have been offered the action raise
`PermissionDenied` (403); mistakes a legitimate user can make raise `AccountsError`
with a message meant for them.
"""

from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email

from .models import Membership

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
    if len(email) > 254:  # the column's length (RFC 5321 allows no more)
        raise AccountsError("An email address has at most 254 characters.", field="email")
    try:
        validate_email(email)
    except ValidationError:
        raise AccountsError("Enter a valid email address.", field="email") from None
    return email


def validate_password(password, user):
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise AccountsError(" ".join(exc.messages), field="password") from None


def require_manager(actor: Membership):
    if not actor.can_manage_members:
        raise PermissionDenied("Only owners and admins manage members.")


def require_same_org(actor: Membership, obj):
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


def check_role(actor, role):
    if role not in Role.values:
        raise AccountsError("Choose a valid role.", field="role")
    if role == Role.OWNER and not actor.is_owner:
        raise PermissionDenied("Only an owner can make someone an owner.")


def may_manage(actor: Membership, target: Membership) -> bool:
    """Whether `actor` may change the role of / remove `target` (the last-owner rule aside)."""
    return actor.can_manage_members and (actor.is_owner or not target.is_owner)
