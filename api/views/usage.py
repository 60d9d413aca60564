"""Usage and spend endpoints: the dashboard's own selectors, so the figures match its pages."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from analytics import selectors
from analytics.freshness import flag_rows
from analytics.models import Tool
from integrations.freshness import tool_freshness
from people.access import person_access

from .. import params
from ..base import ADMIN_ERRORS, BAD_PARAMS, COMMON_ERRORS, ORG, ListEndpoint, OrgAPIView
from ..serializers import (
    DailyUsageSerializer,
    MemberUsageSerializer,
    ModelUsageSerializer,
    SpendSerializer,
)
from . import teams


class DateRangeList(ListEndpoint):
    """A paginated list over `start`..`end` (UTC days, inclusive, at most 366 days)."""

    def get_rows(self):
        p = params.parse(params.DateRangeParams, self.request)
        return self.select(p["start"], p["end"])

    def select(self, start, end):
        raise NotImplementedError


def range_schema(serializer, *, summary, description, errors=COMMON_ERRORS, tags=("usage",), extra=()):
    return extend_schema(
        tags=list(tags),
        summary=summary,
        description=description,
        parameters=[ORG, params.DateRangeParams, *extra],
        responses={200: serializer(many=True), **errors, 400: BAD_PARAMS},
    )


@range_schema(
    DailyUsageSerializer,
    summary="Daily usage",
    description=(
        "One row per UTC day from start to end, days without activity included (zeros). "
        "The same figures as the AI Analytics dashboard for the same range; `spend_cents` "
        "sums the usage events' charged cents."
    ),
)
class DailyUsage(DateRangeList):
    serializer_class = DailyUsageSerializer

    def select(self, start, end):
        teams.refuse_team(self.request, "/usage/daily")
        rows = selectors.daily_series(self.organization, start, end)
        first = tool_freshness(self.organization, now=timezone.now()).provisional_from(Tool.CURSOR)
        return flag_rows(rows, first)


@range_schema(
    ModelUsageSerializer,
    summary="Usage per model",
    description="Usage events, request cost units, distinct users and spend per model, most used first.",
)
class ModelUsage(DateRangeList):
    serializer_class = ModelUsageSerializer

    def select(self, start, end):
        teams.refuse_team(self.request, "/usage/models")
        return selectors.model_usage(self.organization, start, end)


@range_schema(
    MemberUsageSerializer,
    summary="Usage per member (owners, admins and team leads)",
    description=(
        "One row per Cursor member (the roster, plus removed members with activity in the "
        "range), sorted by email. Owners and admins get everyone; a team lead gets the people "
        "of the teams they lead (and their sub-teams) during the range; others get 403."
    ),
    errors={**ADMIN_ERRORS, 403: ADMIN_ERRORS[403]},
    extra=[teams.TEAM_PARAM],
)
class MemberUsage(DateRangeList):
    serializer_class = MemberUsageSerializer

    def select(self, start, end):
        access = person_access(self.request.membership, start=start, end=end)
        if not access.sees_individuals:
            raise exceptions.PermissionDenied("Per-member usage is for owners, admins and team leads.")
        people = teams.team_people(self.request, self.organization, start, end)
        if not access.everyone:
            people = access.person_ids if people is None else people & access.person_ids
        return selectors.member_usage(self.organization, start, end, person_ids=people)


class Spend(OrgAPIView):
    required_capability = "can_see_member_spend"
    serializer_class = SpendSerializer

    @extend_schema(
        tags=["spend"],
        summary="Spend this billing cycle (owners and admins)",
        description=(
            "The current billing cycle's start (UTC day), the organization's total and each "
            "member's spend as Cursor reported it, highest first."
        ),
        parameters=[ORG],
        responses={200: SpendSerializer, **ADMIN_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(selectors.spend_overview(self.organization)).data)
