"""Data health: per tool, the data-quality checks of its latest checked sync (integrations/quality.py).

Every member may read it; the people a check names (emails in usage but not in the roster,
unused seats, people whose spend disagrees) are shown to owners and admins only: members get
the counts.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from analytics.selectors.data_quality import public_numbers
from integrations.models import Connection, Provider
from integrations.quality import latest_checks

from ..base import COMMON_ERRORS, ORG, OrgAPIView
from ..metric_fields import tied

NOT_CHECKED = "not_checked"


class DataHealthCheckSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="What is checked, e.g. `missing_days`, `spend_vs_events`.")
    status = serializers.ChoiceField(choices=["ok", "warning"])
    title = serializers.CharField()
    message = serializers.CharField(help_text="The finding in plain words.")
    numbers = serializers.JSONField(
        help_text="The numbers behind it (cents as exact decimal strings). Keys ending in `_emails` "
        "list people and are only present for owners and admins."
    )


@tied(warnings="data_health_warnings")
class DataHealthToolSerializer(serializers.Serializer):
    tool = serializers.ChoiceField(choices=Provider.values)
    name = serializers.CharField()
    connected = serializers.BooleanField()
    status = serializers.ChoiceField(
        choices=["ok", "warning", NOT_CHECKED],
        help_text="`warning` when any check of the latest checked sync warns; `not_checked` before "
        "the first checked sync (Copilot and Claude Code syncs are not checked yet).",
    )
    warnings = serializers.IntegerField()
    sync_run_id = serializers.IntegerField(
        allow_null=True, help_text="The sync run the checks belong to; null before the first checked sync."
    )
    checked_at = serializers.DateTimeField(allow_null=True)
    window_start = serializers.DateField(allow_null=True, help_text="First UTC day that sync covered.")
    window_end = serializers.DateField(allow_null=True)
    data_through = serializers.DateField(allow_null=True, help_text="Last ended UTC day with daily usage.")
    checks = DataHealthCheckSerializer(many=True)


class DataHealthSerializer(serializers.Serializer):
    tools = DataHealthToolSerializer(many=True)


def tool_health(organization, provider: str, name: str, connected: bool, *, can_see_people: bool) -> dict:
    latest = latest_checks(organization, provider)
    if latest is None:
        return {
            "tool": provider,
            "name": name,
            "connected": connected,
            "status": NOT_CHECKED,
            "warnings": 0,
            "sync_run_id": None,
            "checked_at": None,
            "window_start": None,
            "window_end": None,
            "data_through": None,
            "checks": [],
        }
    run = latest["run"]
    return {
        "tool": provider,
        "name": name,
        "connected": connected,
        "status": latest["status"],
        "warnings": latest["warnings"],
        "sync_run_id": run.pk,
        "checked_at": max(c.created_at for c in latest["checks"]),
        "window_start": run.window_start,
        "window_end": run.window_end,
        "data_through": latest["data_through"],
        "checks": [
            {
                "key": c.key,
                "status": c.status,
                "title": c.title,
                "message": c.message,
                "numbers": public_numbers(c.numbers, can_see_people=can_see_people),
            }
            for c in latest["checks"]
        ],
    }


class DataHealth(OrgAPIView):
    serializer_class = DataHealthSerializer

    @extend_schema(
        tags=["data health"],
        summary="Data health per tool",
        description=(
            "For each AI tool, the data-quality checks run after its latest checked sync: missing "
            "days, days Cursor revised since the previous sync (events, spend), daily usage against "
            "usage events, Cursor's /teams/spend against the events' charged cents, usage from people "
            "not in the roster and roster members with no usage, malformed records skipped, errored "
            "requests left out of spend. Each check has a status (ok / warning), plain words and its "
            "numbers. Per-person lists only for owners and admins."
        ),
        parameters=[ORG],
        responses={200: DataHealthSerializer, **COMMON_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        org = self.organization
        connected = set(Connection.objects.filter(organization=org).values_list("provider", flat=True))
        people = request.membership.can_see_member_spend
        tools = [
            tool_health(org, value, label, value in connected, can_see_people=people)
            for value, label in Provider.choices
        ]
        return Response(self.get_serializer({"tools": tools}).data)
