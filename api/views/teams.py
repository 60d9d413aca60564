"""Teams, people, the team comparison, chargeback, and the `team` filter of the usage
endpoints. Same auth, tenancy, privacy and 400 rules as the rest of the API: per-person
data only as `people.access.person_access` allows, groups smaller than
TEAM_MIN_GROUP_SIZE merged into "other" for who may not see them.
"""

from datetime import UTC

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from analytics.defaults import EARLIEST_DAY
from analytics.selectors.people import describe_people, people_queryset, team_tree
from analytics.selectors.team_lens import cached_team_comparison, team_person_ids
from analytics.selectors.teams import NO_TEAM, TIER_RULE
from analytics.services import chargeback as chargeback_service
from people.access import person_access
from people.models import Team

from .. import params
from ..base import ADMIN_ERRORS, BAD_PARAMS, COMMON_ERRORS, ORG, ListEndpoint, OrgAPIView
from ..metric_fields import NO_DENOMINATOR, tied
from ..serializers import Cents


def _today():
    return timezone.now().astimezone(UTC).date()


TEAM_PARAM = OpenApiParameter(
    "team",
    str,
    OpenApiParameter.QUERY,
    required=False,
    description='A team\'s slug (its sub-teams included, membership valid during the range) or "none" for people in no team.',
)


def team_people(request, organization, start, end):
    """Person ids of `?team=` (None when absent); a 400 keyed by `team` when unknown."""
    key = (request.query_params.get("team") or "").strip()
    if not key:
        return None
    people = team_person_ids(organization, key, start, end)
    if people is None:
        raise exceptions.ValidationError({"team": [f"team must be a team's slug or {NO_TEAM}."]})
    return people


def refuse_team(request, where: str):
    if request.query_params.get("team"):
        raise exceptions.ValidationError(
            {"team": [f"team is not available on {where}: use /usage or /usage/members."]}
        )


# --- teams ----------------------------------------------------------------------------------


@tied(depth="team_depth", direct_members="team_direct_members", members="team_members")
class TeamSerializer(serializers.Serializer):
    slug = serializers.CharField(source="team.slug")
    name = serializers.CharField(source="team.name")
    parent = serializers.CharField(source="team.parent.slug", allow_null=True, default=None)
    depth = serializers.IntegerField()
    cost_centre = serializers.CharField(source="team.cost_centre")
    lead = serializers.EmailField(source="team.lead.email", allow_null=True, default=None)
    from_cursor = serializers.SerializerMethodField()
    direct_members = serializers.IntegerField(source="direct")
    members = serializers.IntegerField(help_text="People in the team or its sub-teams today")

    def get_from_cursor(self, row) -> bool:
        return row["team"].source == Team.Source.CURSOR


@extend_schema(
    tags=["teams"],
    summary="Teams",
    description="The organization's teams in tree order (parents first); `parent` is the parent team's slug.",
    parameters=[ORG],
    responses={200: TeamSerializer(many=True), **COMMON_ERRORS},
)
class TeamList(ListEndpoint):
    serializer_class = TeamSerializer

    def get_rows(self):
        return team_tree(self.organization, today=_today())


# --- people ---------------------------------------------------------------------------------


@tied(last_active="last_active", nulls={"last_active": "null: never active in any tool"})
class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.name")
    email = serializers.EmailField(source="person.primary_email")
    emails = serializers.ListField(child=serializers.EmailField())
    github_login = serializers.CharField(source="person.github_login")
    left_on = serializers.DateField(source="person.left_on", allow_null=True)
    teams = serializers.SerializerMethodField()
    tools = serializers.ListField(child=serializers.CharField())
    last_active = serializers.DateField(allow_null=True)

    def get_teams(self, row) -> list[str]:
        return [t.slug for t in row["teams"]]


@extend_schema(
    tags=["teams"],
    summary="People (owners and admins)",
    description="The directory: each person's aliases, current teams (slugs), tools and last active UTC day.",
    parameters=[ORG],
    responses={200: PersonSerializer(many=True), **ADMIN_ERRORS},
)
class PeopleList(OrgAPIView):
    required_capability = "can_manage_members"
    serializer_class = PersonSerializer

    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(people_queryset(self.organization))
        rows = describe_people(self.organization, page, today=_today())
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


# --- comparison -----------------------------------------------------------------------------


class CompareParams(params.DateRangeParams):
    """A range and its previous period, both within the days Koalr can hold."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs["start"] < EARLIEST_DAY:
            raise serializers.ValidationError({"start": f"start must be on or after {EARLIEST_DAY}."})
        return attrs


@tied(
    depth="team_depth",
    seats="seats",
    active_people="active_users",
    active_share="active_share",
    active_share_change="active_share_change",
    avg_dau="avg_dau",
    requests_per_active="requests_per_active",
    acceptance_rate="line_acceptance_rate",
    accepted_lines_per_active="accepted_lines_per_active",
    spend_cents="spend_cents",
    spend_previous_cents="spend_previous",
    spend_change_pct="spend_change_pct",
    spend_per_active_cents="spend_per_active",
    daily_active="team_daily_active",
    nulls={
        "active_share": "null: the team has no seats on the range's last day",
        "active_share_change": "null: no active share in this or the previous period",
        "requests_per_active": NO_DENOMINATOR + " (nobody active)",
        "acceptance_rate": NO_DENOMINATOR + " (no suggested lines)",
        "accepted_lines_per_active": NO_DENOMINATOR + " (nobody active)",
        "spend_change_pct": "null: no spend in the previous period",
        "spend_per_active_cents": NO_DENOMINATOR + " (nobody active)",
    },
)
class TeamCompareSerializer(serializers.Serializer):
    team = serializers.CharField(
        source="key", help_text='A team slug, "none" (no team) or "other" (small groups merged)'
    )
    name = serializers.CharField()
    depth = serializers.IntegerField()
    cost_centre = serializers.CharField()
    seats = serializers.IntegerField()
    active_people = serializers.IntegerField(source="active")
    active_share = serializers.FloatField(allow_null=True)
    active_share_change = serializers.FloatField(
        allow_null=True, help_text="Against the previous period, as a fraction"
    )
    avg_dau = serializers.FloatField()
    requests_per_active = serializers.FloatField(allow_null=True)
    acceptance_rate = serializers.FloatField(allow_null=True)
    accepted_lines_per_active = serializers.FloatField(allow_null=True)
    spend_cents = Cents()
    spend_previous_cents = Cents(source="spend_prev_cents")
    spend_change_pct = serializers.FloatField(allow_null=True)
    spend_per_active_cents = Cents(allow_null=True)
    daily_active = serializers.ListField(child=serializers.IntegerField(), source="sparkline")
    tier = serializers.CharField()
    merged = serializers.ListField(child=serializers.CharField(), allow_null=True)


@extend_schema(
    tags=["teams"],
    summary="Team comparison",
    description=(
        "One row per team (sub-teams included; each person counted once, in the team they were "
        "in each day), then people in no team, for start..end against the previous period of "
        f"the same length. Tier: {TIER_RULE} Groups smaller than the organization's minimum "
        'are merged into "other" unless the caller may see their members.'
    ),
    parameters=[ORG, CompareParams],
    responses={200: TeamCompareSerializer(many=True), **COMMON_ERRORS, 400: BAD_PARAMS},
)
class TeamCompare(ListEndpoint):
    serializer_class = TeamCompareSerializer

    def get_rows(self):
        p = params.parse(CompareParams, self.request)
        access = person_access(self.request.membership, start=p["start"], end=p["end"])
        return cached_team_comparison(self.organization, p["start"], p["end"], access=access)


# --- chargeback -----------------------------------------------------------------------------


class ChargebackParams(serializers.Serializer):
    cycle = params.DayField(required=False, help_text="First day of a billing cycle, YYYY-MM-DD.")
    month = serializers.RegexField(
        r"^\d{4}-\d{2}$",
        required=False,
        error_messages={"invalid": "month must be YYYY-MM."},
        help_text="A calendar month, YYYY-MM. Neither: the last closed billing cycle.",
    )


@tied(spend_cents="chargeback_spend", spend_whole_cents="chargeback_spend", seats="chargeback_seats")
class ChargebackLineSerializer(serializers.Serializer):
    team = serializers.CharField(source="team_slug", help_text='"" for unassigned')
    name = serializers.CharField(source="team_name")
    cost_centre = serializers.CharField()
    spend_cents = Cents(help_text="Exact")
    spend_whole_cents = serializers.IntegerField(source="cents", help_text="Rounded so that the lines add up")
    seats = serializers.DecimalField(max_digits=None, decimal_places=4, coerce_to_string=False)


@tied(
    total_spend_cents="chargeback_spend", total_whole_cents="chargeback_spend", total_seats="chargeback_seats"
)
class ChargebackSerializer(serializers.Serializer):
    period = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    closed = serializers.BooleanField()
    frozen_at = serializers.DateTimeField(allow_null=True)
    total_spend_cents = Cents()
    total_whole_cents = serializers.IntegerField(source="total_cents")
    total_seats = serializers.DecimalField(max_digits=None, decimal_places=4, coerce_to_string=False)
    lines = ChargebackLineSerializer(many=True)


class Chargeback(OrgAPIView):
    required_capability = "can_see_member_spend"
    serializer_class = ChargebackSerializer

    @extend_schema(
        tags=["teams"],
        summary="Chargeback (owners and admins)",
        description=(
            "Spend and seats of a billing cycle or calendar month allocated to teams (unassigned "
            'as team ""). The lines add up to the organization\'s spend exactly; a closed '
            "period is frozen and returned unchanged."
        ),
        parameters=[ORG, ChargebackParams],
        responses={200: ChargebackSerializer, **ADMIN_ERRORS, 400: BAD_PARAMS},
    )
    def get(self, request, *args, **kwargs):
        p = params.parse(ChargebackParams, request)
        cycle = p.get("cycle")
        try:
            period = chargeback_service.period_from(
                self.organization,
                cycle=cycle.isoformat() if cycle else None,
                month=p.get("month"),
                today=_today(),
            )
            cb = chargeback_service.chargeback(self.organization, *period, today=_today())
        except chargeback_service.PeriodError as exc:
            field = "month" if p.get("month") else "cycle"
            raise exceptions.ValidationError({field: [str(exc)]}) from None
        return Response(self.get_serializer(cb).data)
