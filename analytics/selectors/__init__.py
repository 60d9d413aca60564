"""Reads for the pages, the exports and the REST API, split by concern.

- `fields`: the counters the rollups carry and how event counters are aggregated;
- `daily`: per-day series for the charts; `model_usage`: the model mix and filter;
- `headline`: headline figures against the previous period;
- `members`: the member table and "who am I"; `spend`: billing cycle, projection, idle seats;
- `activity`: who was active, read from the tool-neutral `ToolDay` facts;
- `metering`: the unified usage-metering records of the API.

Invariants: every query filters by organization in its WHERE clause; charts and headline
figures read rollups, so each read costs a constant number of queries; days are UTC
`date`s, ranges inclusive, money `Decimal` cents. The names below are the public surface.
"""

from .daily import ai_code_daily, daily_series
from .fields import days_in
from .headline import headline, previous_period
from .members import get_member, member_for_user, member_usage, member_usage_page
from .model_usage import available_models, model_daily_usage, model_usage, models_from_daily
from .spend import cycle_start_for, latest_cycle_start, member_cycle_spend, spend_members, spend_overview

__all__ = [
    "ai_code_daily", "available_models", "cycle_start_for", "daily_series", "days_in", "get_member",
    "headline", "latest_cycle_start", "member_cycle_spend", "member_for_user", "member_usage",
    "member_usage_page", "model_daily_usage", "model_usage", "models_from_daily", "previous_period",
    "spend_members", "spend_overview",
]  # fmt: skip
