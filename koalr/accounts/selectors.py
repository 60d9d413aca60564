"""Reads for the accounts pages. Every query is scoped by the organization passed in."""

from .models import Invite, Membership, hash_token


def member_list(organization):
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")


def pending_invites(organization):
    return Invite.objects.pending().filter(organization=organization).select_related("invited_by")


def owner_count(organization) -> int:
    return Membership.objects.filter(organization=organization, role=Membership.Role.OWNER).count()


def invite_for_token(token: str) -> Invite | None:
    """The invite a link points to (usable or not), found by the hash of its token."""
    return Invite.objects.select_related("organization").filter(token_hash=hash_token(token or "")).first()


def user_memberships(user):
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")
