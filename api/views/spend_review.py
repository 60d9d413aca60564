"""The spend review's figures (owners and admins): the billing cycle, its projection, top
spenders, spend by model, and the idle seats of Cursor and Copilot. The same reads as the
page (`spend_overview`, `copilot_idle_seats`), so page and API agree."""

from datetime import UTC

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from analytics import selectors
from analytics.models import Tool
from analytics.selectors.team_lens import team_choices
from analytics.selectors.teams import NO_TEAM
from analytics.selectors.tools import copilot_idle_seats
from integrations.copilot import services as copilot
from integrations.seat_prices import seat_prices

from ..base import ADMIN_ERRORS, BAD_PARAMS, ORG, ListEndpoint, OrgAPIView
from ..metric_fields import NO_DENOMINATOR, tied
from ..serializers import Cents, CostUnits

SPEND_CAPABILITY = "can_see_member_spend"
NO_LIMIT = "null: no limit"


def _today():
    return timezone.now().astimezone(UTC).date()


@tied(overall_spend_cents="cycle_spend", spend_cents="on_demand_spend", included_cents="included_spend",
      fast_premium_requests="fast_premium_requests", monthly_limit_dollars="monthly_limit",
      effective_per_user_limit_dollars="effective_limit", last_active="last_active",
      nulls={"monthly_limit_dollars": NO_LIMIT, "effective_per_user_limit_dollars": NO_LIMIT,
             "last_active": "null: never active"})  # fmt: skip
class TopSpenderSerializer(serializers.Serializer):
    email = serializers.CharField()
    name = serializers.CharField(allow_blank=True, allow_null=True)
    overall_spend_cents = Cents()
    spend_cents = Cents()
    included_cents = Cents()
    fast_premium_requests = serializers.IntegerField()
    monthly_limit_dollars = serializers.DecimalField(
        max_digits=None, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    effective_per_user_limit_dollars = serializers.DecimalField(
        max_digits=None, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    last_active = serializers.DateField(allow_null=True)


@tied(usage_events="usage_events", request_cost_units="request_cost_units", spend_cents="spend_cents",
      cost_per_request_cents="cost_per_request",
      nulls={"cost_per_request_cents": NO_DENOMINATOR + " (no usage events)"})  # fmt: skip
class ModelSpendSerializer(serializers.Serializer):
    model = serializers.CharField(allow_blank=True)
    usage_events = serializers.IntegerField()
    request_cost_units = CostUnits()
    spend_cents = Cents()
    cost_per_request_cents = Cents(allow_null=True)


@tied(spend_cents="daily_spend", nulls={"spend_cents": "null: no charged usage stored for the day"})
class DaySpendSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    spend_cents = Cents(allow_null=True)


@tied(cycle_start="cycle_start", cycle_end="cycle_end", cycle_days="cycle_days", days_elapsed="days_elapsed",
      total_cents="cycle_total", daily_rate_cents="daily_rate", projected_cents="projected_spend",
      member_count="seats", seat_price_cents="seat_price", idle_30="idle_seats_30", idle_14="idle_seats_14",
      monthly_saving_cents="idle_saving_30", monthly_saving_14_cents="idle_saving_14")  # fmt: skip
class SpendReviewSerializer(serializers.Serializer):
    today = serializers.DateField(help_text="The UTC day the figures are computed for.")
    cycle_start = serializers.DateField()
    cycle_end = serializers.DateField(help_text="Exclusive.")
    cycle_days = serializers.IntegerField()
    days_elapsed = serializers.IntegerField()
    has_snapshots = serializers.BooleanField(
        help_text="False: Cursor has not reported this cycle's spend yet; totals come from usage events."
    )
    total_cents = Cents()
    daily_rate_cents = Cents()
    projected_cents = Cents()
    member_count = serializers.IntegerField(help_text="Members with a spend row this cycle.")
    seat_price_cents = serializers.IntegerField()
    idle_30 = serializers.IntegerField()
    idle_14 = serializers.IntegerField()
    monthly_saving_cents = serializers.IntegerField()
    monthly_saving_14_cents = serializers.IntegerField()
    top_spenders = TopSpenderSerializer(many=True)
    by_model = ModelSpendSerializer(many=True, help_text="The organization's, also with team.")
    daily = DaySpendSerializer(many=True, help_text="Days of the cycle with stored usage.")


TEAM = OpenApiParameter(
    "team", str, required=False, description='A team\'s slug (sub-teams included) or "none".'
)


def _team(request, organization) -> str:
    key = (request.query_params.get("team") or "").strip()
    if key and key != NO_TEAM and key not in dict(team_choices(organization)):
        raise exceptions.ValidationError({"team": [f"team must be a team's slug or {NO_TEAM}."]})
    return key


class SpendReview(OrgAPIView):
    required_capability = SPEND_CAPABILITY
    serializer_class = SpendReviewSerializer

    @extend_schema(
        tags=["spend"],
        summary="Spend review (owners and admins)",
        description=(
            "The spend review's figures for the current billing cycle: its days, spend to date and "
            "the projection at cycle end, the top spenders, spend by model, the cycle's daily spend, "
            "idle seats and what reclaiming them saves. `team` narrows it as on the page."
        ),
        parameters=[ORG, TEAM],
        responses={200: SpendReviewSerializer, **ADMIN_ERRORS, 400: BAD_PARAMS},
    )
    def get(self, request, *args, **kwargs):
        team = _team(request, self.organization)
        o = selectors.spend_overview(self.organization, today=_today(), include_members=False, team=team)
        body = {**o, "idle_30": len(o["idle_30"]), "idle_14": len(o["idle_14"])}
        return Response(self.get_serializer(body).data)


@tied(idle_days="idle_days", last_active="last_active", nulls={"last_active": "null: never used"})
class IdleSeatSerializer(serializers.Serializer):
    tool = serializers.CharField()
    email = serializers.CharField(allow_blank=True, help_text="Cursor: the member's email; Copilot: blank.")
    login = serializers.CharField(allow_blank=True, help_text="Copilot: the GitHub login; Cursor: blank.")
    name = serializers.CharField(allow_blank=True, allow_null=True)
    last_active = serializers.DateField(allow_null=True)
    idle_days = serializers.IntegerField()
    pending_cancellation_date = serializers.DateField(
        allow_null=True, help_text="Copilot: when the seat ends."
    )


def idle_seat_rows(org, today) -> list[dict]:
    """Cursor's idle seats (the spend review's list) then Copilot's (the Tools page's), by tool."""
    o = selectors.spend_overview(org, today=today, include_members=False)
    rows = [
        {"tool": Tool.CURSOR, "email": r["email"], "login": "", "name": r["name"], "last_active": r["last_seen"],
         "idle_days": r["idle_days"], "pending_cancellation_date": None}
        for r in o["idle_14"]
    ]  # fmt: skip
    if copilot.copilot_connection(org) is not None:
        idle = copilot_idle_seats(org, today, price=seat_prices(org)[Tool.COPILOT])
        rows += [
            {"tool": Tool.COPILOT, "email": "", "login": r["login"], "name": r["name"],
             "last_active": r["last_activity_at"].astimezone(UTC).date() if r["last_activity_at"] else None,
             "idle_days": r["idle_days"], "pending_cancellation_date": r["pending_cancellation_date"]}
            for r in idle["idle_14"]
        ]  # fmt: skip
    return rows


@extend_schema(
    tags=["spend"],
    summary="Idle seats (owners and admins)",
    description=(
        "Seats with no activity for 14 days or more (`idle_days`: 30 when idle for 30): Cursor's by "
        "the member's last active day, Copilot's by GitHub's last activity."
    ),
    parameters=[ORG],
    responses={200: IdleSeatSerializer(many=True), **ADMIN_ERRORS},
)
class IdleSeats(ListEndpoint):
    required_capability = SPEND_CAPABILITY
    serializer_class = IdleSeatSerializer

    def get_rows(self):
        return idle_seat_rows(self.organization, _today())
