"""Names shared by the reads: which rollup counters exist, which are money, and the one
definition of how per-member event counters are aggregated from raw usage events."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Sum

# Rollup counters that come from Cursor's daily usage data: not broken down by model.
DAILY_FIELDS = (
    "agent_requests",
    "chat_requests",
    "composer_requests",
    "cmdk_usages",
    "tabs_shown",
    "tabs_accepted",
    "accepts",
    "rejects",
    "total_lines_added",
    "accepted_lines_added",
)
# Rollup counters computed from usage events: the only ones a model filter narrows.
EVENT_FIELDS = ("usage_events", "request_cost_units", "spend_cents")
DECIMAL_FIELDS = frozenset({"request_cost_units", "spend_cents"})
SERIES_FIELDS = ("active_users",) + DAILY_FIELDS + EVENT_FIELDS
ZERO = Decimal(0)

# The usage-event columns behind each event counter (None: a row count).
EVENT_SOURCES = {"usage_events": None, "request_cost_units": "requests_costs", "spend_cents": "charged_cents"}


def event_aggregates(**filter_kwargs) -> dict:
    """Aggregates over UsageEvent rows giving EVENT_FIELDS (a model rollup has no member
    dimension, so per-member reads with a model aggregate the member's events)."""
    return {
        field: Count("id", **filter_kwargs) if source is None else Sum(source, **filter_kwargs)
        for field, source in EVENT_SOURCES.items()
    }


def zero(field: str):
    return ZERO if field in DECIMAL_FIELDS else 0


def days_in(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def pk(obj):
    return getattr(obj, "pk", obj)
