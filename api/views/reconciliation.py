"""Reconciliation of spend (owners and admins): Cursor's cycle totals next to the sum of the
cycle's usage events' charged cents, per person, with each difference's known causes
(analytics/selectors/reconciliation.py)."""

from datetime import UTC

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from analytics.selectors.reconciliation import spend_reconciliation

from ..base import ADMIN_ERRORS, ORG, OrgAPIView
from ..metric_fields import tied
from ..serializers import Cents


class ReconciliationCauseSerializer(serializers.Serializer):
    cause = serializers.ChoiceField(
        choices=["token_fees", "errored_requests", "included_usage", "events_arriving", "unknown"]
    )
    confidence = serializers.ChoiceField(
        choices=["known", "possible"], help_text="`known`: the amount matches the difference."
    )
    text = serializers.CharField()


@tied(
    nulls={"difference_pct": "null: Cursor's total is 0, so no share can be computed"},
    cursor_cents="reconciliation_cursor_cents",
    events_cents="reconciliation_events_cents",
    difference_cents="reconciliation_difference_cents",
    difference_pct="reconciliation_difference_pct",
    events="reconciliation_events",
    token_fee_cents="token_fee_cents",  # noqa: S106  # nosec B106  # a metric key, not a secret
    included_zero_events="included_zero_events",
    errored_events="errored_events",
    errored_cents="errored_cents",
    recent_cents="recent_cents",
)
class ReconciliationPersonSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField(allow_blank=True)
    cursor_cents = Cents()
    events_cents = Cents()
    difference_cents = Cents()
    difference_pct = serializers.FloatField(allow_null=True)
    off = serializers.BooleanField(help_text="The difference is beyond the tolerance.")
    events = serializers.IntegerField()
    token_fee_cents = Cents()
    included_zero_events = serializers.IntegerField()
    errored_events = serializers.IntegerField()
    errored_cents = Cents()
    recent_cents = Cents()
    causes = ReconciliationCauseSerializer(many=True)


@tied(events="reconciliation_events", events_cents="reconciliation_events_cents")
class ReconciliationUnlistedSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField(allow_blank=True)
    events = serializers.IntegerField()
    events_cents = Cents()


@tied(
    nulls={"difference_pct": "null: Cursor's total is 0, so no share can be computed"},
    cursor_cents="reconciliation_cursor_cents",
    events_cents="reconciliation_events_cents",
    difference_cents="reconciliation_difference_cents",
    difference_pct="reconciliation_difference_pct",
)
class ReconciliationTotalsSerializer(serializers.Serializer):
    cursor_cents = Cents()
    events_cents = Cents()
    difference_cents = Cents()
    difference_pct = serializers.FloatField(allow_null=True)


@tied(
    tolerance_pct="reconciliation_tolerance_pct",
    tolerance_cents="reconciliation_tolerance_cents",
    matching="reconciliation_matching",
    not_in_spend_cents="not_in_spend_cents",
)
class ReconciliationSerializer(serializers.Serializer):
    cycle_start = serializers.DateField(allow_null=True, help_text="null until Cursor reports spend.")
    tolerance_pct = serializers.FloatField()
    tolerance_cents = serializers.FloatField()
    totals = ReconciliationTotalsSerializer()
    matching = serializers.IntegerField()
    people = ReconciliationPersonSerializer(many=True, source="rows")
    not_in_spend = ReconciliationUnlistedSerializer(
        many=True, help_text="People with charged events this cycle whom Cursor's spend does not list."
    )
    not_in_spend_cents = Cents()


class SpendReconciliation(OrgAPIView):
    required_capability = "can_see_member_spend"
    serializer_class = ReconciliationSerializer

    @extend_schema(
        tags=["spend"],
        summary="Reconciliation of this cycle's spend (owners and admins)",
        description=(
            "Cursor's cycle total per person (/teams/spend) next to the sum of the cycle's usage "
            "events' charged cents, the difference, and its causes where known: token fees, "
            "errored requests, included usage charged 0, events of the provisional last days still "
            "arriving. Largest differences first."
        ),
        parameters=[ORG],
        responses={200: ReconciliationSerializer, **ADMIN_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        today = timezone.now().astimezone(UTC).date()
        return Response(self.get_serializer(spend_reconciliation(self.organization, today=today)).data)
