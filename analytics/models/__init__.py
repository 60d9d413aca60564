"""The store: each tool's synced tables, their rollups, and the tool-neutral `ToolDay` facts."""

from .activity import ToolPersonMonth, ToolTeamPersonMonth
from .base import CENTS, OrgOwned
from .chargeback import ChargebackLine
from .claude_code import (
    ClaudeCodeActor,
    ClaudeCodeActorDay,
    ClaudeCodeDayTotals,
    ClaudeCodeFetchedDay,
    ClaudeCodeModelDay,
    ClaudeCodeSource,
    ClaudeCodeUser,
)
from .copilot import (
    CopilotBillingLine,
    CopilotDayTotals,
    CopilotOrgDay,
    CopilotReportDay,
    CopilotSeat,
    CopilotUserDay,
    CopilotUserDayBreakdown,
)
from .cursor import AiChange, AiCommit, CursorMember, DailyUsage, SpendSnapshot, TeamAnalytics, UsageEvent
from .rollups import MemberDailyRollup, MemberRunningTotal, ModelDailyRollup, OrgDailyRollup, RollupCounters
from .tool_day import Tool, ToolDay, ToolOrgDay, ToolTeamDay

__all__ = [
    "CENTS", "AiChange", "AiCommit", "ChargebackLine", "ClaudeCodeActor", "ClaudeCodeActorDay",
    "ClaudeCodeDayTotals", "ClaudeCodeFetchedDay", "ClaudeCodeModelDay", "ClaudeCodeSource", "ClaudeCodeUser",
    "CopilotBillingLine", "CopilotDayTotals", "CopilotOrgDay", "CopilotReportDay", "CopilotSeat", "CopilotUserDay",
    "CopilotUserDayBreakdown", "CursorMember", "DailyUsage", "MemberDailyRollup", "MemberRunningTotal",
    "ModelDailyRollup", "OrgDailyRollup", "OrgOwned", "RollupCounters", "SpendSnapshot",
    "TeamAnalytics", "Tool", "ToolDay", "ToolOrgDay", "ToolPersonMonth", "ToolTeamDay",
    "ToolTeamPersonMonth", "UsageEvent",
]  # fmt: skip
