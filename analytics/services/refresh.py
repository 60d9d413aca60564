"""What a sync calls when it has stored a tool's rows: rebuild everything derived from them."""

import logging
from datetime import date

from koalr.accounts.models import Organization

from ..models import Tool
from .cursor import refresh_member_activity
from .rollups import refresh_rollups
from .tool_days import refresh_claude_code_tool_days, refresh_copilot_tool_days, refresh_cursor_tool_days

logger = logging.getLogger(__name__)


def refresh_after_sync(
    organization_id: int, tool: str, start: date, end: date, *, today: date | None = None
) -> None:
    """Rebuild the rollups, first/last-seen and the `ToolDay` facts of one tool for the UTC
    days start..end, then (given `today`) warm the dashboard's default view ending today.

    Raises if rebuilding fails (the caller reports it; stored rows stay). Warming the cache
    is best effort: a failure there is logged and the next page view computes the figures.
    """
    rebuild_after_sync(organization_id, tool, start, end)
    if today is not None:
        warm_after_sync(organization_id, today)


def rebuild_after_sync(organization_id: int, tool: str, start: date, end: date) -> None:
    """The rebuilding half of `refresh_after_sync`: rollups, first/last seen, `ToolDay`.

    A sync may call it as soon as the rows these are built from are stored (for Cursor:
    members, daily usage and usage events), while its other streams still run, and then
    `warm_after_sync` once everything is in."""
    if tool == Tool.CURSOR:
        refresh_rollups(organization_id, start, end)
        refresh_member_activity(organization_id, start, end)
        refresh_cursor_tool_days(organization_id, start, end)
    elif tool == Tool.COPILOT:
        refresh_copilot_tool_days(organization_id, start, end)  # Copilot has no rollups of its own
    elif tool == Tool.CLAUDE_CODE:
        refresh_claude_code_tool_days(organization_id, start, end)
    else:
        raise ValueError(f"no derived data is defined for tool {tool!r}")


def warm_after_sync(organization_id: int, today: date) -> None:
    """Warm the dashboard's default view ending `today`; best effort (a failure is logged)."""
    try:  # the first dashboard view after a sync should not pay for the cold reads
        from .. import cache  # the cache reads selectors; imported here to keep services light

        cache.warm_default_views(Organization.objects.get(pk=organization_id), today)
    except Exception:
        logger.exception("refresh after sync org=%s: warming the dashboard cache failed", organization_id)
