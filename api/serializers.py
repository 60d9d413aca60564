"""Response shapes of the REST API. Read-only: they render selector output, nothing more.

Cents and request-cost units are exact decimals in the database (Cursor sends fractional
cents); the API renders them as JSON numbers so BI tools can sum them without parsing.
"""

from rest_framework import serializers

from analytics.models import CursorMember
from integrations.models import SyncRun

from .metric_fields import not_reported_by, tied


def Cents(**kwargs):  # noqa: N802 - reads like a field class at the call sites
    return serializers.DecimalField(max_digits=None, decimal_places=6, coerce_to_string=False, **kwargs)


def CostUnits(**kwargs):  # noqa: N802
    return serializers.DecimalField(max_digits=None, decimal_places=4, coerce_to_string=False, **kwargs)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


ADMINS_ONLY_FIELD = "Owners and admins only: absent when a plain member asks."


@tied(
    first_seen="first_seen",
    last_active="last_active",
    nulls={"first_seen": "null: never seen yet", "last_active": "null: never active"},
)
class MemberSerializer(serializers.ModelSerializer):
    """A Cursor roster entry. Plain members get `name` and `role` only: the other fields are
    per-person data, for owners and admins."""

    # CharField, not EmailField: addresses come from Cursor as-is and are reported as-is.
    email = serializers.CharField(required=False, help_text=ADMINS_ONLY_FIELD)
    removed = serializers.BooleanField(source="is_removed", required=False, help_text=ADMINS_ONLY_FIELD)
    not_in_roster = serializers.BooleanField(
        required=False, help_text="Seen in usage, absent from Cursor's member list. " + ADMINS_ONLY_FIELD
    )
    first_seen = serializers.DateField(allow_null=True, required=False, help_text=ADMINS_ONLY_FIELD)
    last_active = serializers.DateField(
        source="last_seen", allow_null=True, required=False, help_text=ADMINS_ONLY_FIELD
    )

    class Meta:
        model = CursorMember
        fields = ["email", "name", "role", "removed", "not_in_roster", "first_seen", "last_active"]


class MemberNameSerializer(serializers.ModelSerializer):
    """A roster entry as plain members see it: a name and a Cursor role, no per-person activity
    (no email, first_seen or last_active), like the pages and the CSV exports."""

    class Meta:
        model = CursorMember
        fields = ["name", "role"]


PROVISIONAL_HELP = (
    "True for a day Cursor may still revise: the day of the last successful sync and the "
    "CURSOR_SYNC_LOOKBACK_DAYS (default 2) days before it, which every sync fetches again."
)


COUNTERS = {
    "agent_requests": "agent_requests",
    "chat_requests": "chat_requests",
    "composer_requests": "composer_requests",
    "cmdk_usages": "cmdk_usages",
    "tabs_accepted": "tabs_accepted",
    "accepts": "accepts",
    "rejects": "rejects",
    "usage_events": "usage_events",
    "spend_cents": "spend_cents",
}


@tied(
    active_users="dau",
    tabs_shown="tabs_shown",
    total_lines_added="lines_added",
    accepted_lines_added="accepted_lines",
    request_cost_units="request_cost_units",
    **COUNTERS,
)
class DailyUsageSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    active_users = serializers.IntegerField()
    agent_requests = serializers.IntegerField()
    chat_requests = serializers.IntegerField()
    composer_requests = serializers.IntegerField()
    cmdk_usages = serializers.IntegerField()
    tabs_shown = serializers.IntegerField()
    tabs_accepted = serializers.IntegerField()
    accepts = serializers.IntegerField()
    rejects = serializers.IntegerField()
    total_lines_added = serializers.IntegerField()
    accepted_lines_added = serializers.IntegerField()
    spend_cents = Cents()
    usage_events = serializers.IntegerField()
    request_cost_units = CostUnits()
    provisional = serializers.BooleanField(help_text=PROVISIONAL_HELP)


@tied(
    usage_events="usage_events",
    request_cost_units="request_cost_units",
    users="model_users",
    spend_cents="spend_cents",
)
class ModelUsageSerializer(serializers.Serializer):
    model = serializers.CharField()
    usage_events = serializers.IntegerField()
    request_cost_units = CostUnits()
    users = serializers.IntegerField()
    spend_cents = Cents()


@tied(
    active_days="active_days",
    last_active="last_active",
    acceptance_rate="acceptance_rate",
    cycle_spend_cents="cycle_spend",
    top_model="top_model",
    nulls={
        "last_active": "null: never active",
        "acceptance_rate": "null: no suggestions accepted or rejected in the range",
        "cycle_spend_cents": "null: no spend reported for the member this cycle",
    },
    **COUNTERS,
)
class MemberUsageSerializer(serializers.Serializer):
    email = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    active_days = serializers.IntegerField()
    last_active = serializers.DateField(allow_null=True)
    agent_requests = serializers.IntegerField()
    chat_requests = serializers.IntegerField()
    composer_requests = serializers.IntegerField()
    cmdk_usages = serializers.IntegerField()
    tabs_accepted = serializers.IntegerField()
    accepts = serializers.IntegerField()
    rejects = serializers.IntegerField()
    usage_events = serializers.IntegerField()
    spend_cents = Cents()
    acceptance_rate = serializers.FloatField(allow_null=True)
    cycle_spend_cents = Cents(allow_null=True)
    top_model = serializers.CharField(allow_blank=True)


@tied(
    spend_cents="on_demand_spend",
    overall_spend_cents="cycle_spend",
    fast_premium_requests="fast_premium_requests",
)
class MemberSpendSerializer(serializers.Serializer):
    email = serializers.CharField()
    spend_cents = Cents()
    overall_spend_cents = Cents()
    fast_premium_requests = serializers.IntegerField()


@tied(cycle_start="cycle_start", total_cents="cycle_total")
class SpendSerializer(serializers.Serializer):
    cycle_start = serializers.DateField()
    total_cents = Cents()
    members = MemberSpendSerializer(many=True)


@tied(percent="sync_percent", rows_stored="sync_rows_stored")
class SyncRunSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField()
    rows_stored = serializers.DictField(child=serializers.IntegerField())

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "status",
            "trigger",
            "window_start",
            "window_end",
            "message",
            "percent",
            "rows_stored",
            "created_at",
            "started_at",
            "finished_at",
        ]


NO_TOKENS = not_reported_by("Copilot")


@tied(
    input="input_tokens",
    output="output_tokens",
    cache_read="cache_read_tokens",
    cache_write="cache_write_tokens",
    nulls={"input": NO_TOKENS, "output": NO_TOKENS, "cache_read": NO_TOKENS, "cache_write": NO_TOKENS},
)
class TokenMetricsSerializer(serializers.Serializer):
    # null: the product does not report it (e.g. Copilot's tokens), never 0.
    input = serializers.IntegerField(allow_null=True)
    output = serializers.IntegerField(allow_null=True)
    cache_read = serializers.IntegerField(allow_null=True)
    cache_write = serializers.IntegerField(allow_null=True)


@tied(
    usage_events="usage_events",
    request_cost_units="request_cost_units",
    cost_cents="usage_cost",
    cost_is_estimate="cost_is_estimate",
    active_users="metering_active_users",
    nulls={
        "usage_events": not_reported_by("Copilot", "Claude Code"),
        "request_cost_units": not_reported_by("Claude Code"),
        "cost_cents": "null: the product reports no cost for the record",
    },
)
class MeteringMetricsSerializer(serializers.Serializer):
    usage_events = serializers.IntegerField(allow_null=True)
    request_cost_units = CostUnits(allow_null=True)
    tokens = TokenMetricsSerializer()
    cost_cents = Cents(allow_null=True)
    cost_is_estimate = serializers.BooleanField()
    active_users = serializers.IntegerField()


class MeteringRecordSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="First day of the period (weeks start on Monday).")
    product = serializers.CharField(help_text='The AI tool, e.g. "cursor".')
    group_by = serializers.CharField(allow_null=True)
    key = serializers.CharField(
        allow_null=True, allow_blank=True, help_text="Member email, model or billing kind; null for totals."
    )
    metrics = MeteringMetricsSerializer()
    provisional = serializers.BooleanField(
        help_text="The period holds a day the tool may still revise (each tool its own window: "
        "Cursor CURSOR_SYNC_LOOKBACK_DAYS, Copilot 4, Claude Code its settle days; docs/freshness.md)."
    )
