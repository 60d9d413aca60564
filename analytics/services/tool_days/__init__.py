"""The tool-neutral facts (`ToolDay`) and their rollups per organization (`ToolOrgDay`) and
per team (`ToolTeamDay`), both built by one statement over the facts.

Each tool maps its own counters onto the neutral names once, in its own module here
(`cursor`, `copilot`, `claude_code`), as a table of SQL expressions over that tool's rows; `base`
holds the neutral names and the rollup statement. A neutral metric a tool does not
report stays NULL. Rebuilding a range deletes and re-inserts its rows in one transaction,
like the tool's own rollups, so it is idempotent. Every statement is scoped by
organization_id; the SQL is portable (PostgreSQL; SQLite in the embedded mode).
"""

from .base import METRICS, refresh_team_days
from .claude_code import CLAUDE_CODE_TO_TOOL_DAY, link_claude_code_actors, refresh_claude_code_tool_days
from .copilot import COPILOT_TO_TOOL_DAY, link_copilot_logins, refresh_copilot_tool_days
from .cursor import CURSOR_TO_TOOL_DAY, link_cursor_members, refresh_cursor_tool_days

__all__ = [
    "CLAUDE_CODE_TO_TOOL_DAY", "COPILOT_TO_TOOL_DAY", "CURSOR_TO_TOOL_DAY", "METRICS",
    "link_claude_code_actors", "link_copilot_logins", "link_cursor_members",
    "refresh_claude_code_tool_days", "refresh_copilot_tool_days", "refresh_cursor_tool_days",
    "refresh_team_days",
]  # fmt: skip
