"""Which days a tool may still revise: the one rule for "provisional" data.

Every tool publishes recent days late and revises them for a while, and Koalr fetches those
days again on each sync. A day a later sync may still change is *provisional*: charts draw it
hatched or dashed, and the CSV and API daily rows carry ``provisional: true``.

The rule, per tool, counted back from the **day of the tool's last successful sync** (today
when it synced today or never did):

- Cursor: that day and the ``CURSOR_SYNC_LOOKBACK_DAYS`` days before it (default 2): exactly
  the days each Cursor sync fetches again (``integrations.cursor.sync.windows.revisable_from``),
  since Cursor revises recent days and usage can take up to 24 hours to appear.
- GitHub Copilot: that day and the ``COPILOT_SETTLE_DAYS`` (4) days before it: GitHub publishes
  a day's report "within three full UTC days" (four over a weekend, docs/copilot-api.md §2.2)
  and each sync asks for its last 4 days again (``integrations.copilot.sync.FRESH_DAYS``).
- Claude Code: that day and the ``CLAUDE_CODE_CONSOLE_SETTLE_DAYS`` (2) days before it for the
  Console report, ``CLAUDE_CODE_ENTERPRISE_SETTLE_DAYS`` (3) for Enterprise analytics: a day
  fetched before it settled is fetched again (``analytics.services.claude_code``). Enterprise
  costs stay revisable for 30 days; they are flagged as estimates (``cost_is_estimate``) instead.

When a tool's syncs stopped, its last synced days stay provisional (no sync revised them), so
the window starts from the last sync's day, not from today. Every day after it is provisional
too (nothing, or a partial day, is stored yet).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings

CURSOR, COPILOT, CLAUDE_CODE = "cursor", "copilot", "claude_code"
COPILOT_SETTLE_DAYS = 4  # = integrations.copilot.sync.FRESH_DAYS (a test keeps them equal)
PROVISIONAL_LABEL = "Provisional (may still change)"


def settle_days(tool: str, *, source: str = "") -> int:
    """How many days before the last sync's day a tool may still revise."""
    if tool == COPILOT:
        return COPILOT_SETTLE_DAYS
    if tool == CLAUDE_CODE:
        if source == "enterprise":
            return settings.CLAUDE_CODE_ENTERPRISE_SETTLE_DAYS
        return settings.CLAUDE_CODE_CONSOLE_SETTLE_DAYS
    return settings.CURSOR_SYNC_LOOKBACK_DAYS


def provisional_from(tool: str, today: date, *, last_sync_day: date | None = None, source: str = "") -> date:
    """The first provisional day of `tool`: every day from it on may still change."""
    anchor = today if last_sync_day is None else min(today, last_sync_day)
    return anchor - timedelta(days=max(0, settle_days(tool, source=source)))


def provisional_days(
    tool: str, start: date, end: date, today: date, *, last_sync_day: date | None = None, source: str = ""
) -> list[date]:
    """The provisional days of `start`..`end` (inclusive), oldest first."""
    first = max(start, provisional_from(tool, today, last_sync_day=last_sync_day, source=source))
    return [first + timedelta(days=i) for i in range((end - first).days + 1)]


def is_provisional(day: date, first_provisional: date | None) -> bool:
    return first_provisional is not None and day >= first_provisional


def data_through(last_day: date | None, today: date) -> date | None:
    """The last complete UTC day a tool has data for: its newest stored day, but never today
    (today is still under way)."""
    if last_day is None:
        return None
    return min(last_day, today - timedelta(days=1))


def flag_rows(rows, first_provisional: date | None, *, day_key: str = "day"):
    """Set ``provisional`` on each daily row (dicts), in place; returns the rows."""
    for row in rows:
        row["provisional"] = is_provisional(row[day_key], first_provisional)
    return rows
