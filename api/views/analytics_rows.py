"""Cursor's Analytics API rows (Enterprise) as Koalr stored them: dau, models, agent-edits,
tabs, client-versions, top-file-extensions, mcp, commands, plans, ask-mode."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from analytics.selectors.analytics_api import team_analytics_rows
from integrations.availability import cursor_plan_gaps

from .. import params
from ..base import BAD_PARAMS, COMMON_ERRORS, ORG, ListEndpoint
from ..metric_fields import NOT_ON_PLAN, tied

METRICS = ("dau", "models", "agent-edits", "tabs", "client-versions", "top-file-extensions", "mcp",
           "commands", "plans", "skills", "ask-mode")  # fmt: skip


class AnalyticsParams(params.DateRangeParams):
    metric = serializers.ChoiceField(
        choices=METRICS,
        required=False,
        error_messages={"invalid_choice": "metric must be one of " + ", ".join(METRICS) + "."},
        help_text="Only this Analytics API endpoint's rows; omit for every one.",
    )


@tied(values="analytics_value")
class AnalyticsRowSerializer(serializers.Serializer):
    metric = serializers.CharField(help_text="The Analytics API endpoint, e.g. dau or agent-edits.")
    date = serializers.DateField(source="day")
    key = serializers.CharField(
        allow_blank=True, help_text='The row\'s dimension (model, version, extension …); "" when none.'
    )
    values = serializers.DictField(help_text="The row's numbers, by Cursor's field name.")


class AnalyticsPageSerializer(serializers.Serializer):
    available = serializers.BooleanField(help_text="False: the Cursor plan has no Analytics API.")
    reason = serializers.CharField(allow_null=True, help_text=f"{NOT_ON_PLAN}, or null.")
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AnalyticsRowSerializer(many=True)


@extend_schema(
    tags=["figures"],
    summary="Cursor Analytics API rows (Enterprise)",
    description=(
        "The team rows of Cursor's Analytics API for start..end as synced, one per (metric, day, "
        "key). On a plan without the Analytics API, `available` is false, `reason` says why and "
        "there are no rows (not rows of zeros)."
    ),
    parameters=[ORG, AnalyticsParams],
    responses={200: AnalyticsPageSerializer, **COMMON_ERRORS, 400: BAD_PARAMS},
)
class AnalyticsRows(ListEndpoint):
    serializer_class = AnalyticsRowSerializer

    def get(self, request, *args, **kwargs):
        p = params.parse(AnalyticsParams, request)
        rows = team_analytics_rows(self.organization, p["start"], p["end"], metric=p.get("metric"))
        page = self.paginate_queryset(rows)
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        gap = cursor_plan_gaps(self.organization).get("analytics")
        response.data = {"available": gap is None, "reason": gap.reason if gap else None, **response.data}
        return response
