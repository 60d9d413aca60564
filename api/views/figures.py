"""The dashboard's headline figures, one team's, and AI Code Tracking: the same reads as the
pages (the cached `headline`, `team_headline`, `ai_code_daily`), so page and API agree."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from analytics import cache as analytics_cache
from analytics import selectors
from analytics.selectors.overlap import person_tools
from analytics.selectors.team_lens import team_data_version, team_headline
from integrations.availability import cursor_plan_gaps

from .. import params
from ..base import BAD_PARAMS, COMMON_ERRORS, ORG, OrgAPIView, error_response
from ..figure_fields import HeadlineParams, MemberParams, check_model, figure, member_for, visible_team
from ..metric_fields import NOT_ON_PLAN, not_reported_by, tied
from ..serializers import Cents
from .teams import CompareParams

PERSON_403 = error_response("Another member's figures: owners, admins and their team leads only.")
TEAM_ONLY = "Whole organization only (absent with member)."
MEMBER_ONLY = "With member only."


@tied(days="range_days")
class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    previous_start = serializers.DateField(
        help_text="The previous period of the same length ends the day before start."
    )
    previous_end = serializers.DateField()
    days = serializers.IntegerField()


@tied(overall_spend_cents="cycle_spend", spend_cents="on_demand_spend", monthly_limit_dollars="monthly_limit",
      cycle_start="cycle_start", nulls={"monthly_limit_dollars": "null: no limit set"})  # fmt: skip
class CycleSpendSerializer(serializers.Serializer):
    cycle_start = serializers.DateTimeField()
    overall_spend_cents = Cents()
    spend_cents = Cents()
    monthly_limit_dollars = serializers.DecimalField(
        max_digits=None, decimal_places=2, coerce_to_string=False, allow_null=True
    )


NOT_REPORTED = not_reported_by("this tool")


@tied(
    active_days="active_days",
    accepted_suggestions="accepted_suggestions",
    accepted_lines="accepted_lines",
    cost_cents="usage_cost",
    estimate="cost_is_estimate",
    last_day="last_active",
    nulls={"accepted_suggestions": NOT_REPORTED, "accepted_lines": NOT_REPORTED, "cost_cents": NOT_REPORTED,
           "last_day": "null: not active in the range"},
)  # fmt: skip
class PersonToolSerializer(serializers.Serializer):
    tool = serializers.CharField()
    label = serializers.CharField()
    active_days = serializers.IntegerField()
    accepted_suggestions = serializers.IntegerField(allow_null=True)
    accepted_lines = serializers.IntegerField(allow_null=True)
    cost_cents = Cents(allow_null=True)
    estimate = serializers.BooleanField()
    last_day = serializers.DateField(allow_null=True)


@tied(seats="seats", nulls={"seats": "null: a member's figures have no seats"})
class HeadlineSerializer(PeriodSerializer):
    seats = serializers.IntegerField(allow_null=True)
    ai_requests = figure("ai_requests", "int")()
    tabs_accepted = figure("tabs_accepted", "int")()
    usage_events = figure("usage_events", "int")()
    acceptance_rate = figure("acceptance_rate", "float", rate=True)()
    tab_acceptance_rate = figure("tab_acceptance_rate", "float", rate=True)()
    accepted_lines = figure("accepted_lines", "int")()
    lines_added = figure("lines_added", "int")()
    spend_cents = figure("spend_cents", "cents")()
    avg_dau = figure("avg_dau", "float")(required=False, help_text=TEAM_ONLY)
    wau = figure("wau", "int")(required=False, help_text=TEAM_ONLY)
    mau = figure("mau", "int")(required=False, help_text=TEAM_ONLY)
    active_users = figure("active_users", "int")(required=False, help_text=TEAM_ONLY)
    active_share = figure("active_share", "float", rate=True)(required=False, help_text=TEAM_ONLY)
    active_days = figure("active_days", "int")(required=False, help_text=MEMBER_ONLY)
    cycle_spend = CycleSpendSerializer(
        required=False, allow_null=True, help_text=MEMBER_ONLY + " null: no spend reported this cycle."
    )
    tools = PersonToolSerializer(
        many=True, required=False, help_text=MEMBER_ONLY + " Every AI tool the person used in the range."
    )


class Headline(OrgAPIView):
    serializer_class = HeadlineSerializer

    @extend_schema(
        tags=["figures"],
        summary="Headline figures (the dashboard's cards)",
        description=(
            "The AI Analytics dashboard's headline for start..end, each figure with its value for "
            "the previous period of the same length and the change: WAU, MAU, average daily active "
            "people, active share of seats, requests, acceptance, lines and spend. With `member`, "
            "one member's page instead (active days, their cycle spend and every AI tool they used): "
            "owners and admins for anyone, team leads for their teams' people, everyone for themselves."
        ),
        parameters=[ORG, HeadlineParams],
        responses={200: HeadlineSerializer, **COMMON_ERRORS, 400: BAD_PARAMS, 403: PERSON_403},
    )
    def get(self, request, *args, **kwargs):
        p = params.parse(HeadlineParams, request)
        org, start, end = self.organization, p["start"], p["end"]
        member = member_for(request, org, p.get("member"), start, end)
        model = check_model(org, p.get("model"))
        version = analytics_cache.data_version(org)
        head = dict(analytics_cache.headline(org, version, start, end, member=member, model=model))
        if member is not None:
            head["cycle_spend"] = selectors.member_cycle_spend(org, member)
            head["tools"] = person_tools(org, member.person_id, start, end)
        return Response(self.get_serializer(head).data)


@tied(seats="seats")
class TeamHeadlineSerializer(PeriodSerializer):
    seats = serializers.IntegerField(
        help_text="People in the team (sub-teams included) on the range's last day."
    )
    avg_dau = figure("avg_dau", "float")()
    active_users = figure("active_users", "int")()
    active_share = figure("active_share", "float", rate=True)()
    requests = figure("requests", "int")()
    acceptance_rate = figure("line_acceptance_rate", "float", rate=True)()
    accepted_lines = figure("accepted_lines", "int")()
    spend_cents = figure("spend_cents", "cents")()


class TeamHeadline(OrgAPIView):
    serializer_class = TeamHeadlineSerializer

    @extend_schema(
        tags=["figures"],
        summary="One team's headline figures (the team dashboard's cards)",
        description=(
            'The dashboard filtered to one team (its sub-teams included; "none": people in no team), '
            "from the team rollup, against the previous period. A group smaller than the "
            "organization's minimum answers 403 unless the caller may see its people."
        ),
        parameters=[ORG, OpenApiParameter("team", str, OpenApiParameter.PATH), CompareParams],
        responses={
            200: TeamHeadlineSerializer,
            **COMMON_ERRORS,
            400: BAD_PARAMS,
            403: error_response("The group is too small for the caller to see."),
        },
    )
    def get(self, request, team, *args, **kwargs):
        p = params.parse(CompareParams, request)
        org, start, end = self.organization, p["start"], p["end"]
        visible_team(request, org, team, start, end)
        # The team dashboard's own cache entry (web/pages/teams.load_team): one computation.
        version = analytics_cache.data_version(org) + "|" + team_data_version(org)
        head = analytics_cache.cached(
            org, version, "team_headline", (team, start, end), lambda: team_headline(org, team, start, end)
        )
        return Response(self.get_serializer(head).data)


UNAVAILABLE = NOT_ON_PLAN + " (AI Code Tracking is Cursor Enterprise only)"
AI_NULLS = {
    k: UNAVAILABLE for k in ("commits", "total_lines_added", "tab_lines_added", "composer_lines_added")
}
CODE = {"commits": "ai_commits", "total_lines_added": "committed_lines", "tab_lines_added": "tab_lines_committed",
        "composer_lines_added": "agent_lines_committed", "non_ai_lines_added": "non_ai_lines_committed",
        "ai_share": "ai_share"}  # fmt: skip


@tied(nulls={**AI_NULLS, "non_ai_lines_added": UNAVAILABLE + "; or Cursor could not tell",
             "ai_share": UNAVAILABLE + "; or no committed lines"}, **CODE)  # fmt: skip
class AiCodeFiguresSerializer(serializers.Serializer):
    commits = serializers.IntegerField(allow_null=True)
    total_lines_added = serializers.IntegerField(allow_null=True)
    tab_lines_added = serializers.IntegerField(allow_null=True)
    composer_lines_added = serializers.IntegerField(allow_null=True, help_text="Agent (Composer) lines.")
    non_ai_lines_added = serializers.IntegerField(allow_null=True)
    ai_share = serializers.FloatField(allow_null=True)


class AiCodeDaySerializer(AiCodeFiguresSerializer):
    date = serializers.DateField(source="day")


class AiCodeSerializer(serializers.Serializer):
    available = serializers.BooleanField(help_text="False: the Cursor plan has no AI Code Tracking.")
    reason = serializers.CharField(
        allow_null=True, help_text="Why the figures are null; null when available."
    )
    totals = AiCodeFiguresSerializer()
    days = AiCodeDaySerializer(many=True, help_text="Days with commits, oldest first.")


def _share(row) -> float | None:
    total = row["total_lines_added"] or 0
    ai = (row["tab_lines_added"] or 0) + (row["composer_lines_added"] or 0)
    return ai / total if total else None


def ai_code_figures(org, start, end, member=None) -> dict:
    """The usage page's AI Code Tracking charts as figures (the same `ai_code_daily` read)."""
    rows = [{**r, "ai_share": _share(r)} for r in selectors.ai_code_daily(org, start, end, member=member)]
    gap = None if rows else cursor_plan_gaps(org).get("ai_code")
    if gap is not None:
        return {"available": False, "reason": gap.reason, "totals": dict.fromkeys(CODE), "days": []}
    totals = {k: sum(r[k] or 0 for r in rows) for k in CODE if k != "ai_share"}
    if any(r["non_ai_lines_added"] is None for r in rows):
        totals["non_ai_lines_added"] = None
    totals["ai_share"] = _share(totals)
    return {"available": True, "reason": None, "totals": totals, "days": rows}


class AiCode(OrgAPIView):
    serializer_class = AiCodeSerializer

    @extend_schema(
        tags=["figures"],
        summary="AI Code Tracking: AI share of committed code",
        description=(
            "Commits and committed lines by source (Tab, agent, non-AI) and the AI share of "
            "committed code for start..end, per day and in total, from Cursor's AI Code Tracking "
            "(Enterprise). On a plan without it, `available` is false and every figure is null "
            "(never 0). `member` as on /usage/headline."
        ),
        parameters=[ORG, MemberParams],
        responses={200: AiCodeSerializer, **COMMON_ERRORS, 400: BAD_PARAMS, 403: PERSON_403},
    )
    def get(self, request, *args, **kwargs):
        p = params.parse(MemberParams, request)
        member = member_for(request, self.organization, p.get("member"), p["start"], p["end"])
        return Response(
            self.get_serializer(ai_code_figures(self.organization, p["start"], p["end"], member)).data
        )
