"""Acceptance and lines: how much of what the AI proposed was kept."""

from . import Metric, register
from .sources import (
    AGENT_UNDERCOUNT,
    ALL_LINES,
    CLAUDE_CODE_REPORT,
    COPILOT_USERS,
    CURSOR_DAILY,
)

DAILY = {"cursor": CURSOR_DAILY}

register(
    Metric(
        key="acceptance_rate",
        name="Acceptance rate",
        definition="The share of agent and chat suggestions a person accepted",
        formula="acceptance rate = accepts ÷ (accepts + rejects)",
        unit="ratio",
        sources=DAILY,
        caveats=("Suggestions neither accepted nor rejected are left out", "No suggestions: no rate (null)"),
    ),
    Metric(
        key="tab_acceptance_rate",
        name="Tab acceptance rate",
        definition="The share of Tab completions shown that were accepted",
        formula="totalTabsAccepted ÷ totalTabsShown",
        unit="ratio",
        sources=DAILY,
    ),
    Metric(
        key="accepts",
        name="Accepted suggestions (Cursor)",
        definition="Agent and chat suggestions a person accepted",
        formula="sum of daily usage's totalAccepts",
        unit="count",
        sources=DAILY,
    ),
    Metric(
        key="rejects",
        name="Rejected suggestions (Cursor)",
        definition="Agent and chat suggestions a person rejected",
        formula="sum of daily usage's totalRejects",
        unit="count",
        sources=DAILY,
    ),
    Metric(
        key="lines_added",
        name="Lines added",
        definition="All lines added in the editor (Cursor) or proposed by the tool (Copilot)",
        formula="Cursor: sum of totalLinesAdded; Copilot: loc_suggested_to_add_sum",
        unit="lines",
        sources={"cursor": CURSOR_DAILY, "copilot": COPILOT_USERS},
        caveats=(ALL_LINES, "Claude Code reports only the lines it added: not reported by Claude Code"),
    ),
    Metric(
        key="accepted_lines",
        name="Accepted lines",
        definition="Lines added from AI suggestions a person accepted",
        formula="Cursor: acceptedLinesAdded; Copilot: loc_added_sum; Claude Code: lines_of_code.added",
        unit="lines",
        sources={"cursor": CURSOR_DAILY, "copilot": COPILOT_USERS, "claude_code": CLAUDE_CODE_REPORT},
        caveats=(AGENT_UNDERCOUNT,),
    ),
    Metric(
        key="line_acceptance_rate",
        name="Line acceptance",
        definition="The share of suggested or added lines that were accepted from AI suggestions",
        formula="accepted lines ÷ suggested lines",
        unit="ratio",
        sources={"cursor": CURSOR_DAILY, "copilot": COPILOT_USERS},
        caveats=(ALL_LINES, AGENT_UNDERCOUNT),
    ),
    Metric(
        key="accepted_lines_per_active",
        name="Accepted lines per active person",
        definition="Accepted lines in the range per person active in it",
        formula="accepted lines ÷ active people in the range",
        unit="ratio",
        sources={"cursor": CURSOR_DAILY, "copilot": COPILOT_USERS, "claude_code": CLAUDE_CODE_REPORT},
        caveats=(AGENT_UNDERCOUNT,),
    ),
    Metric(
        key="accepted_suggestions",
        name="Accepted suggestions (any tool)",
        definition="Suggestions or tool actions a person accepted, in each tool's own sense",
        formula=(
            "Cursor: accepts + tabs accepted; Copilot: code_acceptance_activity_count; "
            "Claude Code: tool actions accepted"
        ),
        unit="count",
        sources={"cursor": CURSOR_DAILY, "copilot": COPILOT_USERS, "claude_code": CLAUDE_CODE_REPORT},
    ),
    Metric(
        key="tool_acceptance_rate",
        name="Acceptance (each tool's own)",
        definition="Each tool's acceptance rate, in its own definition",
        formula=(
            "Cursor: accepted ÷ (accepted + rejected); Copilot: accept actions ÷ code generations; "
            "Claude Code: tool actions accepted ÷ (accepted + rejected)"
        ),
        unit="ratio",
        sources={"cursor": CURSOR_DAILY, "copilot": COPILOT_USERS, "claude_code": CLAUDE_CODE_REPORT},
        caveats=("The definitions differ: compare a tool's trend, not levels across tools",),
    ),
)
