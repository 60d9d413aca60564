"""My usage's "You and your teams": the caller's own figures next to each of their teams'
averages per active person (aggregates only; a team too small for the caller shows none).
The same read as the page (`own_team_comparison`)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from analytics import selectors
from analytics.selectors.own_teams import own_team_comparison
from analytics.selectors.teams import min_group_size
from people.access import person_access

from .. import params
from ..base import BAD_PARAMS, COMMON_ERRORS, ORG, OrgAPIView
from ..metric_fields import tied
from ..serializers import Cents
from .teams import CompareParams

HIDDEN = "null: the team is smaller than the organization's minimum group, or nobody was active"
FIGURES = {"requests": "requests", "accepted_lines": "accepted_lines", "spend_cents": "spend_cents",
           "active_days": "active_days"}  # fmt: skip


@tied(**FIGURES)
class OwnFiguresSerializer(serializers.Serializer):
    requests = serializers.IntegerField()
    accepted_lines = serializers.IntegerField()
    spend_cents = Cents()
    active_days = serializers.IntegerField()


@tied(nulls=dict.fromkeys(FIGURES, HIDDEN), **FIGURES)
class TeamAverageSerializer(serializers.Serializer):
    requests = serializers.FloatField(allow_null=True, help_text="Per active person of the team.")
    accepted_lines = serializers.FloatField(allow_null=True, help_text="Per active person of the team.")
    spend_cents = Cents(allow_null=True, help_text="Per active person of the team.")
    active_days = serializers.FloatField(allow_null=True, help_text="Per active person of the team.")


@tied(seats="team_members", active_people="active_users")
class OwnTeamSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    seats = serializers.IntegerField()
    active_people = serializers.IntegerField(help_text="0 when hidden.")
    hidden = serializers.BooleanField(help_text="Too small to show an average to the caller.")
    average = TeamAverageSerializer()


@tied(min_group="min_group_size")
class OwnTeamsSerializer(serializers.Serializer):
    own = OwnFiguresSerializer(
        allow_null=True, help_text="null: the caller has no Cursor usage matched to a person."
    )
    teams = OwnTeamSerializer(many=True)
    min_group = serializers.IntegerField(
        help_text="Teams smaller than this show no average to who may not see their people."
    )


class OwnTeams(OrgAPIView):
    serializer_class = OwnTeamsSerializer

    @extend_schema(
        tags=["figures"],
        summary="You and your teams (My usage)",
        description=(
            "The caller's own Cursor figures for start..end next to each team they were in during "
            "it (sub-teams included): the team's average per active person. Aggregates only."
        ),
        parameters=[ORG, CompareParams],
        responses={200: OwnTeamsSerializer, **COMMON_ERRORS, 400: BAD_PARAMS},
    )
    def get(self, request, *args, **kwargs):
        p = params.parse(CompareParams, request)
        org, start, end = self.organization, p["start"], p["end"]
        member = selectors.member_for_user(org, request.user)
        body = {"own": None, "teams": [], "min_group": min_group_size()}
        if member is not None and member.person_id is not None:
            access = person_access(request.membership, start=start, end=end)
            comparison = own_team_comparison(
                org, member.person_id, start, end, may_see_team=access.may_see_team
            )
            body.update(comparison)
        return Response(self.get_serializer(body).data)
