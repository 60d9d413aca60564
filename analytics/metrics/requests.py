"""AI requests: Cursor's request kinds, billed usage events and request units, each tool's requests."""

from . import Metric, register
from .sources import CLAUDE_CODE_COST, COPILOT_USERS, CURSOR_DAILY, CURSOR_EVENTS, DELAY

DAILY = {"cursor": CURSOR_DAILY}


def _kind(key, name, field, what):
    return Metric(
        key=key,
        name=name,
        definition=f"{what} a person made in Cursor",
        formula=f"sum of daily usage's {field}",
        unit="count",
        sources=DAILY,
        caveats=(DELAY,),
    )


register(
    Metric(
        key="ai_requests",
        name="AI requests",
        definition="Requests made to Cursor's AI: agent, chat, composer and Cmd-K",
        formula="agentRequests + chatRequests + composerRequests + cmdkUsages",
        unit="count",
        sources=DAILY,
        caveats=(DELAY, "Tab completions are not requests: they are counted apart"),
    ),
    _kind("agent_requests", "Agent requests", "agentRequests", "Agent requests"),
    _kind("chat_requests", "Chat requests", "chatRequests", "Chat (ask) requests"),
    _kind("composer_requests", "Composer requests", "composerRequests", "Composer requests"),
    _kind("cmdk_usages", "Cmd-K uses", "cmdkUsages", "Inline edits (Cmd-K)"),
    Metric(
        key="tabs_shown",
        name="Tab suggestions shown",
        definition="Tab completions Cursor showed",
        formula="sum of daily usage's totalTabsShown",
        unit="count",
        sources=DAILY,
    ),
    Metric(
        key="tabs_accepted",
        name="Tab suggestions accepted",
        definition="Tab completions a person accepted",
        formula="sum of daily usage's totalTabsAccepted",
        unit="count",
        sources=DAILY,
        caveats=("Clients older than Cursor 1.5 undercounted tabs accepted before 2025-09-01",),
    ),
    Metric(
        key="usage_events",
        name="Billed requests (usage events)",
        definition="Requests Cursor billed or metered, one usage event each",
        formula="count of usage events (events of kind 'Errored, Not Charged' excluded)",
        unit="count",
        sources={"cursor": CURSOR_EVENTS},
        caveats=("Copilot and Claude Code meter no requests per day: null for them, never 0",),
    ),
    Metric(
        key="request_cost_units",
        name="Request units",
        definition="The tool's own request cost units (Cursor: requestsCosts; Copilot: AI credits)",
        formula="sum of the usage events' requestsCosts (Copilot: ai_credits_used)",
        unit="count",
        sources={"cursor": CURSOR_EVENTS, "copilot": COPILOT_USERS},
        caveats=("Units differ per tool: compare a tool with itself over time, not across tools",),
    ),
    Metric(
        key="requests",
        name="Requests (any tool)",
        definition="AI requests a person made, in each tool's own sense",
        formula=(
            "Cursor: agent + chat + composer + Cmd-K; Copilot: user_initiated_interaction_count; "
            "Claude Code: requests on Enterprise cost rows"
        ),
        unit="count",
        sources={"cursor": CURSOR_DAILY, "copilot": COPILOT_USERS, "claude_code": CLAUDE_CODE_COST},
        plans={"claude_code": "Enterprise (the Console report has no requests)"},
        caveats=("Each tool defines a request differently: compare trends, not levels",),
    ),
    Metric(
        key="requests_per_active",
        name="Requests per active person",
        definition="AI requests in the range per person active in it",
        formula="requests ÷ active people in the range",
        unit="ratio",
        sources={"cursor": CURSOR_DAILY},
    ),
    Metric(
        key="fast_premium_requests",
        name="Fast premium requests",
        definition="Usage-based premium requests this billing cycle, as Cursor reports them",
        formula="teamMemberSpend[].fastPremiumRequests",
        unit="count",
        sources={"cursor": "POST /teams/spend"},
        caveats=("A legacy counter: its meaning predates token-based pricing",),
    ),
)
