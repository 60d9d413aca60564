"""The Tools page and the dashboard's tool switch: each AI tool side by side (aggregates, for
every member), their daily figures, and the seats held in both Cursor and Copilot (owners
and admins). The same reads as the pages, so page and API agree."""

from datetime import UTC

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from analytics.selectors import claude_code as claude_code_selectors
from analytics.selectors.overlap import tool_overlap
from analytics.selectors.tools import COMPARED_TOOLS, model_mix, seat_overlap, tool_daily, tool_summaries
from integrations.seat_prices import seat_prices

from .. import params
from ..base import ADMIN_ERRORS, BAD_PARAMS, COMMON_ERRORS, ORG, ListEndpoint, OrgAPIView
from ..metric_fields import NO_DENOMINATOR, not_reported_by, tied
from ..serializers import Cents

NOT_REPORTED = not_reported_by("this tool")


def _today():
    return timezone.now().astimezone(UTC).date()


@tied(count="tool_model_mix")
class ToolModelSerializer(serializers.Serializer):
    model = serializers.CharField()
    count = serializers.IntegerField()
    unit = serializers.CharField(help_text="What `count` counts for this tool.")


@tied(
    seats="seats", active_people="active_users", active_share="active_share", usage_cents="usage_cost",
    seat_cents="seat_cost", cost_cents="usage_cost", cost_per_active_cents="cost_per_active",
    cost_is_estimate="cost_is_estimate", acceptance_rate="tool_acceptance_rate", accepted_lines="accepted_lines",
    suggested_lines="lines_added", requests="requests", seat_price_cents="seat_price",
    nulls={"active_share": "null: no seats", "usage_cents": NOT_REPORTED,
           "cost_per_active_cents": NO_DENOMINATOR + " (nobody active)",
           "acceptance_rate": NO_DENOMINATOR + " (nothing suggested)", "accepted_lines": NOT_REPORTED,
           "suggested_lines": NOT_REPORTED + " (Claude Code reports only the lines it added)",
           "requests": NOT_REPORTED + " (Claude Code's Console report has none)"},
)  # fmt: skip
class ToolSummarySerializer(serializers.Serializer):
    tool = serializers.CharField()
    label = serializers.CharField()
    seats = serializers.IntegerField()
    active_people = serializers.IntegerField()
    active_share = serializers.FloatField(allow_null=True)
    usage_cents = Cents(allow_null=True)
    seat_cents = Cents()
    seat_price_cents = serializers.IntegerField(source="seat_price.cents")
    cost_cents = Cents(help_text="Seat cost + usage cost for the range.")
    cost_per_active_cents = Cents(allow_null=True)
    cost_is_estimate = serializers.BooleanField()
    acceptance_rate = serializers.FloatField(allow_null=True)
    acceptance_definition = serializers.CharField()
    accepted_lines = serializers.IntegerField(allow_null=True)
    suggested_lines = serializers.IntegerField(allow_null=True)
    requests = serializers.IntegerField(allow_null=True)
    models = ToolModelSerializer(many=True, help_text="The tool's model mix (top 8), in its own unit.")


@tied(people="people_by_tool_count")
class ToolComboSerializer(serializers.Serializer):
    tools = serializers.ListField(child=serializers.CharField())
    labels = serializers.CharField()
    people = serializers.IntegerField()


@tied(
    people="active_users",
    one="people_by_tool_count",
    two="people_by_tool_count",
    three="people_by_tool_count",
)
class ToolOverlapSerializer(serializers.Serializer):
    people = serializers.IntegerField(help_text="People active in any tool.")
    one = serializers.IntegerField(help_text="People active in exactly one tool.")
    two = serializers.IntegerField(help_text="People active in exactly two tools.")
    three = serializers.IntegerField(help_text="People active in all three tools.")
    combos = ToolComboSerializer(many=True)


@tied(sessions="cc_sessions", remote_sessions="cc_remote_sessions", commits="cc_commits",
      pull_requests="cc_pull_requests", accepted="cc_actions_accepted", rejected="cc_actions_rejected",
      lines_added="cc_lines_added", lines_removed="cc_lines_removed", api_key_cents="cc_api_key_cost")  # fmt: skip
class ClaudeCodeFiguresSerializer(serializers.Serializer):
    sessions = serializers.IntegerField()
    remote_sessions = serializers.IntegerField()
    commits = serializers.IntegerField()
    pull_requests = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    lines_added = serializers.IntegerField()
    lines_removed = serializers.IntegerField()
    api_key_cents = Cents()
    api_keys = serializers.ListField(child=serializers.CharField())


@tied(members="seats", never_in_usage="cc_roster_never_in_usage")
class RosterGapSerializer(serializers.Serializer):
    members = serializers.IntegerField()
    never_in_usage = serializers.IntegerField()


class ToolsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    tools = ToolSummarySerializer(
        many=True, help_text="Tools with seats or data, Cursor, Copilot, Claude Code."
    )
    tool_overlap = ToolOverlapSerializer()
    claude_code = ClaudeCodeFiguresSerializer(
        allow_null=True, help_text="null: no Claude Code data in the range."
    )
    claude_code_gap = RosterGapSerializer(allow_null=True, help_text="null: no Anthropic roster.")


def _overlap(overlap: dict) -> dict:
    by_count = overlap["by_count"]
    return {**overlap, "one": by_count[1], "two": by_count[2], "three": by_count[3]}


class Tools(OrgAPIView):
    serializer_class = ToolsSerializer

    @extend_schema(
        tags=["tools"],
        summary="Each AI tool side by side",
        description=(
            "The Tools page and the tool switch's summaries for start..end: seats, active people, "
            "seat and usage cost, cost per active person, each tool's own acceptance, lines, "
            "requests and model mix; people active in one, two or three tools; what only Claude "
            "Code reports. A figure a tool does not report is null, never 0. Aggregates only."
        ),
        parameters=[ORG, params.DateRangeParams],
        responses={200: ToolsSerializer, **COMMON_ERRORS, 400: BAD_PARAMS},
    )
    def get(self, request, *args, **kwargs):
        p = params.parse(params.DateRangeParams, request)
        org, start, end = self.organization, p["start"], p["end"]
        overlap = tool_overlap(org, start, end)
        rows = tool_summaries(org, start, end, prices=seat_prices(org), overlap=overlap)
        for row in rows:
            row["models"] = model_mix(org, start, end, row["tool"])[:8]
        body = {
            "start": start,
            "end": end,
            "tools": rows,
            "tool_overlap": _overlap(overlap),
            "claude_code": claude_code_selectors.own_figures(org, start, end),
            "claude_code_gap": claude_code_selectors.roster_gap(org),
        }
        return Response(self.get_serializer(body).data)


class ToolDayParams(params.DateRangeParams):
    tool = serializers.ChoiceField(
        choices=COMPARED_TOOLS, required=False, error_messages={"invalid_choice": "tool must be one of cursor, copilot, claude_code."},
        help_text="Only this tool's days; omit for every tool.",
    )  # fmt: skip


@tied(active_people="dau", requests="requests", cost_cents="usage_cost",
      nulls={"requests": NOT_REPORTED, "cost_cents": NOT_REPORTED})  # fmt: skip
class ToolDaySerializer(serializers.Serializer):
    tool = serializers.CharField()
    date = serializers.DateField(source="day")
    active_people = serializers.IntegerField()
    requests = serializers.IntegerField(allow_null=True)
    cost_cents = Cents(allow_null=True)


@extend_schema(
    tags=["tools"],
    summary="Daily figures by tool (the tool switch's charts)",
    description=(
        "Active people, requests and usage cost per tool and UTC day. Sparse: a day a tool has "
        "not reported (yet) is absent, not a row of zeros."
    ),
    parameters=[ORG, ToolDayParams],
    responses={200: ToolDaySerializer(many=True), **COMMON_ERRORS, 400: BAD_PARAMS},
)
class ToolDaily(ListEndpoint):
    serializer_class = ToolDaySerializer

    def get_rows(self):
        p = params.parse(ToolDayParams, self.request)
        tools = (p["tool"],) if p.get("tool") else COMPARED_TOOLS
        daily = tool_daily(self.organization, p["start"], p["end"], tools)
        return [
            {**row, "tool": tool}
            for tool in tools
            for _, row in sorted(daily[tool].items(), key=lambda kv: kv[0])
        ]


@tied(cursor_days="overlap_active_days", copilot_days="overlap_active_days", cursor_last="last_active",
      copilot_last="last_active", saving_cents="overlap_saving",
      nulls={"cursor_last": "null: not active in the window", "copilot_last": "null: not active in the window"})  # fmt: skip
class OverlapRowSerializer(serializers.Serializer):
    person_id = serializers.IntegerField(help_text="The person's id in /people.")
    name = serializers.CharField()
    email = serializers.CharField()
    github_login = serializers.CharField()
    cursor_days = serializers.IntegerField()
    copilot_days = serializers.IntegerField()
    cursor_last = serializers.DateField(allow_null=True)
    copilot_last = serializers.DateField(allow_null=True)
    uses = serializers.ChoiceField(choices=("both", "cursor", "copilot", "neither"))
    drop = serializers.ChoiceField(choices=("", "copilot", "cursor", "both"))
    saving_cents = serializers.IntegerField()


@tied(people="seats_in_both", saving_cents="overlap_saving")
class OverlapSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    people = serializers.IntegerField()
    saving_cents = serializers.IntegerField()
    rows = OverlapRowSerializer(many=True)


class SeatOverlap(OrgAPIView):
    required_capability = "can_see_member_spend"
    serializer_class = OverlapSerializer

    @extend_schema(
        tags=["tools"],
        summary="Seats in both Cursor and Copilot (owners and admins)",
        description=(
            "People holding a seat in both tools, which they used in the last 30 UTC days and the "
            "monthly saving from dropping the unused seat (both when neither was used)."
        ),
        parameters=[ORG],
        responses={200: OverlapSerializer, **ADMIN_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        org = self.organization
        return Response(self.get_serializer(seat_overlap(org, _today(), prices=seat_prices(org))).data)
