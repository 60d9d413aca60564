"""The metric registry (analytics.metrics): what every figure of the pages and the API means.

Not an organization's data: any authenticated caller (a token of any organization, or a
signed-in session) may read it; it answers 401 to anyone else.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import authentication, exceptions, generics, permissions, serializers
from rest_framework.response import Response

from analytics.metrics import TOOLS, UNITS, all_metrics, metric

from ..authentication import BearerTokenAuthentication
from ..base import BAD_PARAMS, COMMON_ERRORS, Pagination, error_response
from ..throttling import TokenRateThrottle

ERRORS = {code: response for code, response in COMMON_ERRORS.items() if code != 404}


class MetricSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The key pages and API fields name the metric by.")
    name = serializers.CharField()
    definition = serializers.CharField(help_text="What the figure means, in plain words.")
    formula = serializers.CharField()
    unit = serializers.ChoiceField(choices=sorted(UNITS))
    sources = serializers.DictField(
        child=serializers.CharField(),
        help_text="Tool → the upstream endpoint(s) it is read from. A tool absent here does not report it.",
    )
    plans = serializers.DictField(
        child=serializers.CharField(), help_text="Tool → the plans that provide it, when not every plan does."
    )
    caveats = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField(
        help_text="The OpenAPI description of the fields tied to this metric."
    )


def _row(entry) -> dict:
    return {
        "key": entry.key,
        "name": entry.name,
        "definition": entry.definition,
        "formula": entry.formula,
        "unit": entry.unit,
        "sources": dict(entry.sources),
        "plans": dict(entry.plans),
        "caveats": list(entry.caveats),
        "description": entry.description(),
    }


class RegistryView(generics.GenericAPIView):
    authentication_classes = [BearerTokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [TokenRateThrottle]
    pagination_class = Pagination
    serializer_class = MetricSerializer


@extend_schema(
    tags=["metrics"],
    summary="Metric definitions",
    description=(
        "Every figure Koalr shows or serves, sorted by key: definition, formula, unit, the "
        "upstream endpoint per tool, the plans that provide it and known caveats. The same "
        "entries explain the pages' figures and describe this schema's fields."
    ),
    parameters=[
        OpenApiParameter(
            "tool", str, required=False, enum=TOOLS, description="Only metrics this tool reports."
        ),
    ],
    responses={200: MetricSerializer(many=True), **ERRORS, 400: BAD_PARAMS},
)
class MetricList(RegistryView):
    def get(self, request, *args, **kwargs):
        tool = request.query_params.get("tool")
        entries = list(all_metrics())
        if tool:
            if tool not in TOOLS:
                raise exceptions.ValidationError(
                    {"tool": ["tool must be one of cursor, copilot, claude_code."]}
                )
            entries = [e for e in entries if e.reported_by(tool)]
        page = self.paginate_queryset([_row(e) for e in entries])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(
    tags=["metrics"],
    summary="One metric's definition",
    responses={200: MetricSerializer, **ERRORS, 404: error_response("No metric with this key.")},
)
class MetricDetail(RegistryView):
    def get(self, request, key, *args, **kwargs):
        try:
            entry = metric(key)
        except KeyError:
            raise exceptions.NotFound("No such metric.") from None
        return Response(self.get_serializer(_row(entry)).data)
