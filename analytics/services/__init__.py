"""Writes other layers call: each tool's ingestion and the refresh after a sync.

- `cursor`: the Cursor roster, daily usage, spend, analytics and AI-code rows (upserts);
- `usage_events`: Cursor usage events (fingerprints, a streaming batched writer);
- `directory`: whose row is it (Cursor emails / user ids → member ids);
- `rollups`: Cursor's daily rollups; `tool_days`: the tool-neutral `ToolDay` facts;
- `refresh`: `refresh_after_sync`, which rebuilds all of the derived rows for a tool's days
  (`rebuild_after_sync`) and warms the dashboard (`warm_after_sync`);
- `settings`: organization settings an admin changes from the analytics pages;
- `bulk`: the batched upsert / COPY machinery the writers share.

Every function takes the organization explicitly, and every row it writes carries it.
"""

from .bulk import BATCH_SIZE
from .cursor import (
    refresh_member_activity,
    upsert_ai_changes,
    upsert_ai_commits,
    upsert_daily_usage,
    upsert_members,
    upsert_spend,
    upsert_team_analytics,
)
from .directory import MemberDirectory
from .refresh import rebuild_after_sync, refresh_after_sync, warm_after_sync
from .rollups import refresh_rollups
from .settings import update_seat_price
from .usage_events import EventFingerprinter, EventWriter, event_content, has_events_on

__all__ = [
    "BATCH_SIZE", "EventFingerprinter", "EventWriter", "MemberDirectory", "event_content",
    "has_events_on", "rebuild_after_sync", "refresh_after_sync", "warm_after_sync", "refresh_member_activity", "refresh_rollups",
    "update_seat_price", "upsert_ai_changes", "upsert_ai_commits", "upsert_daily_usage",
    "upsert_members", "upsert_spend", "upsert_team_analytics",
]  # fmt: skip
