"""Reads the API and the API-token pages need beyond the dashboard's selectors.

Every query filters by organization in its WHERE clause.
"""

from analytics.models import CursorMember
from integrations.models import SyncRun
from koalr.accounts.models import ApiToken


def member_roster(organization):
    """The Cursor team as synced, removed members and people seen only in usage included."""
    return CursorMember.objects.filter(organization=organization).order_by("email", "pk")


def sync_runs(organization):
    return SyncRun.objects.filter(organization=organization).order_by("-created_at", "-pk")


def manageable_tokens(membership):
    """Tokens this member may see and revoke: their own, or every token of the org for admins."""
    tokens = ApiToken.objects.filter(organization_id=membership.organization_id).select_related("user")
    if not membership.is_admin:
        tokens = tokens.filter(user_id=membership.user_id)
    return tokens.order_by("-created_at", "-pk")
