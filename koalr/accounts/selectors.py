"""Reads for the accounts pages and the API-token pages. Every query is scoped by organization."""

from .models import ApiToken, Invite, Membership, hash_token


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


def manageable_tokens(membership):
    """Tokens this member may see and revoke: their own, or every token of the org for admins."""
    tokens = ApiToken.objects.filter(organization_id=membership.organization_id).select_related("user")
    if not membership.is_admin:
        tokens = tokens.filter(user_id=membership.user_id)
    return tokens.order_by("-created_at", "-pk")
