"""Merge two people, facts included, in one transaction.

`people.merge.merge_people` moves every row that points at the duplicate (aliases, team
memberships, each tool's identities). The per-person-and-day facts would collide on their
unique key, so they are removed for the duplicate first and rebuilt from each tool's own
rows afterwards, which sums both people's days correctly.
"""

from django.db import transaction
from django.db.models import Max, Min

from people.merge import merge_people as merge_directory

from ..models import Tool, ToolDay
from .tool_days import refresh_cursor_tool_days, refresh_team_days

# How each tool's facts are rebuilt for a range of days.
REBUILD = {Tool.CURSOR.value: refresh_cursor_tool_days}


@transaction.atomic
def merge_people(organization_id: int, keep_id: int, drop_id: int, *, actor=None):
    """Merge person `drop_id` into `keep_id` (both of `organization_id`); returns the kept
    Person. Raises people.teams.DirectoryError (nothing changed) on a bad pair."""
    duplicate_facts = ToolDay.objects.filter(organization_id=organization_id, person_id=drop_id)
    spans = list(duplicate_facts.values("tool").annotate(first=Min("day"), last=Max("day")).order_by())
    keep = merge_directory(organization_id, keep_id, drop_id, actor=actor, skip=(ToolDay,))
    # merge_directory has checked both people are the organization's; now the facts.
    ToolDay.objects.filter(organization_id=organization_id, person_id=drop_id).delete()
    for span in spans:
        REBUILD[span["tool"]](organization_id, span["first"], span["last"])
    refresh_team_days(organization_id)
    return keep
