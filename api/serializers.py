"""Response shapes of the REST API. Read-only: they render selector output, nothing more.

Cents and request-cost units are exact decimals in the database (Cursor sends fractional
cents); the API renders them as JSON numbers so BI tools can sum them without parsing.
"""

from rest_framework import serializers

from analytics.models import CursorMember
from integrations.models import SyncRun


def Cents(**kwargs):  # noqa: N802 - reads like a field class at the call sites
    return serializers.DecimalField(max_digits=None, decimal_places=6, coerce_to_string=False, **kwargs)


def CostUnits(**kwargs):  # noqa: N802
    return serializers.DecimalField(max_digits=None, decimal_places=4, coerce_to_string=False, **kwargs)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


ADMINS_ONLY_FIELD = "Owners and admins only: absent when a plain member asks."


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
    spend_cents = Cents(help_text="Sum of the day's usage events' charged cents.")
    usage_events = serializers.IntegerField()
    request_cost_units = CostUnits()
    provisional = serializers.BooleanField(help_text=PROVISIONAL_HELP)


class ModelUsageSerializer(serializers.Serializer):
    model = serializers.CharField()
    usage_events = serializers.IntegerField()
    request_cost_units = CostUnits()
    users = serializers.IntegerField(help_text="Distinct members who used the model in the range.")
    spend_cents = Cents()


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


class MemberSpendSerializer(serializers.Serializer):
    email = serializers.CharField()
    spend_cents = Cents(help_text="On-demand (usage-based) spend this billing cycle.")
    overall_spend_cents = Cents(help_text="Included plus on-demand spend this billing cycle.")
    fast_premium_requests = serializers.IntegerField()


class SpendSerializer(serializers.Serializer):
    cycle_start = serializers.DateField(help_text="UTC day the current billing cycle began.")
    total_cents = Cents()
    members = MemberSpendSerializer(many=True)


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


class TokenMetricsSerializer(serializers.Serializer):
    # null: the product does not report it (e.g. Copilot's tokens), never 0.
    input = serializers.IntegerField(allow_null=True)
    output = serializers.IntegerField(allow_null=True)
    cache_read = serializers.IntegerField(allow_null=True)
    cache_write = serializers.IntegerField(allow_null=True)


class MeteringMetricsSerializer(serializers.Serializer):
    usage_events = serializers.IntegerField(
        allow_null=True, help_text="Billed requests; null for a product that meters none (Copilot)."
    )
    request_cost_units = CostUnits(
        allow_null=True, help_text="The product's own units (Copilot: AI credits)."
    )
    tokens = TokenMetricsSerializer()
    cost_cents = Cents(allow_null=True)
    cost_is_estimate = serializers.BooleanField(
        help_text="The cost is an estimate (Copilot: AI credits used × 1 cent), not a bill."
    )
    active_users = serializers.IntegerField(
        help_text="Distinct members with at least one usage event in the period and group."
    )


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
