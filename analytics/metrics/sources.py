"""The upstream endpoints metrics are read from, named once (docs/cursor-api.md,
docs/copilot-api.md, docs/claude-code-api.md), and caveats several entries share."""

# Cursor (Admin API: Team and Enterprise; Analytics and AI Code Tracking: Enterprise only)
CURSOR_DAILY = "POST /teams/daily-usage-data"
CURSOR_EVENTS = "POST /teams/filtered-usage-events"
CURSOR_SPEND = "POST /teams/spend"
CURSOR_MEMBERS = "GET /teams/members"
CURSOR_AI_CODE = "GET /analytics/ai-code/commits"
CURSOR_ANALYTICS = "GET /analytics/team/{metric}"
CURSOR_DAILY_AND_EVENTS = f"{CURSOR_DAILY} (isActive) and {CURSOR_EVENTS}"

# GitHub Copilot
COPILOT_USERS = "GET /orgs/{org}/copilot/metrics/reports/users-1-day"
COPILOT_SEATS = "GET /orgs/{org}/copilot/billing/seats"

# Claude Code (Console: Admin key; Enterprise: Analytics key)
CLAUDE_CODE_REPORT = (
    "GET /v1/organizations/usage_report/claude_code (Console) or "
    "GET /v1/organizations/analytics/users (Enterprise)"
)
CLAUDE_CODE_COST = (
    "GET /v1/organizations/usage_report/claude_code estimated_cost (Console) or "
    "GET /v1/organizations/analytics/user_cost_report (Enterprise)"
)
CLAUDE_CODE_TOKENS = (
    "GET /v1/organizations/usage_report/claude_code model_breakdown (Console) or "
    "GET /v1/organizations/analytics/user_usage_report (Enterprise)"
)
CLAUDE_CODE_USERS = "GET /v1/organizations/users"

# Figures Koalr computes from its own settings rather than reads from a tool.
KOALR_SEAT_PRICE = "Koalr setting: the monthly seat price an admin sets (spend review, Tools page)"
KOALR_DIRECTORY = "Koalr's people and teams directory (Settings → People and teams)"

ENTERPRISE = "Enterprise"
AI_CODE_PLAN = {"cursor": "Enterprise (AI Code Tracking API)"}
ANALYTICS_PLAN = {"cursor": "Enterprise (Analytics API)"}

DELAY = "Cursor reports usage with up to 24 hours of delay and revises the last two days"
COPILOT_DELAY = "GitHub publishes a day's Copilot report up to three full UTC days after it closes"
ALL_LINES = (
    "Cursor's totalLinesAdded counts every line changed in the editor, not only AI lines, so "
    "accepted ÷ added is not the share of code written by AI"
)
AGENT_UNDERCOUNT = "Agent edits are undercounted in accepted lines (Cursor's acceptedLinesAdded)"
COPILOT_ESTIMATE = "Copilot costs are estimates: AI credits used × US$0.01, not a billed total"
CLAUDE_ESTIMATE = "Claude Code costs are Anthropic's estimates, not an invoice"
SNAPSHOT = "Cursor reports spend for the current billing cycle only; there is no history"
