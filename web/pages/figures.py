"""The metric key of every figure a template writes out itself (not through a Card, a Chart
or a column table): keyed by template, then by the figure's `data-stat` / `data-field` /
`data-metric` / `data-count` attribute, or by a table's column. The info control (and
tests/metrics/test_metric_keys.py, which reads the templates) use these; a figure added to a
template without an entry here fails that test."""

TEMPLATE_FIGURES: dict[str, dict[str, str]] = {
    "analytics/_reconciliation.html": {
        "reconciliation_cursor": "reconciliation_cursor_cents",
        "reconciliation_events": "reconciliation_events_cents",
        "reconciliation_difference": "reconciliation_difference_cents",
    },
    "analytics/_freshness.html": {"provisional": "provisional_days"},
    "analytics/spend_review.html": {
        "cycle_start": "cycle_start",
        "total": "cycle_total",
        "projected": "projected_spend",
        "idle": "idle_seats_30",
    },
    "analytics/member_usage.html": {
        "cycle_spend": "cycle_spend",
        # AI tools used (per tool)
        "active_days": "active_days",
        "accepted_lines": "accepted_lines",
        "cost": "usage_cost",
        # You and your teams
        "requests": "requests",
        "spend_cents": "spend_cents",
    },
    "analytics/tools.html": {
        "seats": "seats",
        "active": "active_users",
        "cost_per_active": "cost_per_active",
        "acceptance": "tool_acceptance_rate",
        "suggested_lines": "lines_added",
        "accepted_lines": "accepted_lines",
        "accepted": "cc_actions_accepted",
        "lines": "cc_lines_added",
        "commits": "cc_commits",
        "pull_requests": "cc_pull_requests",
        "sessions": "cc_sessions",
        "1": "people_by_tool_count",
        "2": "people_by_tool_count",
        "3": "people_by_tool_count",
    },
    "analytics/dashboard_tools.html": {
        "active": "active_users",
        "requests": "requests",
        "cost": "usage_cost",
        "acceptance": "tool_acceptance_rate",
        "models": "tool_model_mix",
    },
}

# Tables a template writes column by column: table → column header → metric key.
TEMPLATE_TABLES: dict[str, dict[str, str]] = {
    "spend_review.top_spenders": {
        "Total": "cycle_spend",
        "On-demand": "on_demand_spend",
        "Limit": "effective_limit",
    },
    "spend_review.by_model": {
        "Requests": "usage_events",
        "Spend": "spend_cents",
        "Cost per request": "cost_per_request",
    },
    "spend_review.idle_seats": {"Last active": "last_active", "Idle for": "idle_days"},
    "copilot_idle": {"Last activity (GitHub)": "last_active", "Idle": "idle_days"},
    "member_usage.person_tools": {
        "Active days": "active_days",
        "Accepted suggestions / tool actions": "accepted_suggestions",
        "Lines accepted": "accepted_lines",
        "Usage cost": "usage_cost",
        "Last active": "last_active",
    },
    "member_usage.my_teams": {
        "Active people": "active_users",
        "Requests": "requests",
        "Accepted lines": "accepted_lines",
        "Spend": "spend_cents",
        "Active days": "active_days",
    },
    "tools.tool_overlap": {"People": "people_by_tool_count"},
}
