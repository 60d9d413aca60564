"""Reads the API needs beyond the dashboard's selectors.

Every query filters by organization in its WHERE clause.
"""

from analytics.models import CursorMember
from integrations.models import SyncRun


def member_roster(organization):
    """The Cursor team as synced, removed members and people seen only in usage included."""
    return CursorMember.objects.filter(organization=organization).order_by("email", "pk")


def sync_runs(organization):
    return SyncRun.objects.filter(organization=organization).order_by("-created_at", "-pk")


def member_by_email(organization, email: str):
    """The organization's Cursor member with this email (case-insensitive), or None."""
    return CursorMember.objects.filter(organization=organization, email__iexact=email).order_by("pk").first()
