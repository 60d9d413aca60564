"""Serializer building blocks for the figures endpoints: a headline figure (value against the
previous period) tied to its metric, and the member and team query parameters with the
pages' privacy rules."""

import re
from functools import cache

from rest_framework import exceptions, serializers

from analytics import selectors
from analytics.selectors.team_lens import team_seats
from analytics.selectors.teams import NO_TEAM, min_group_size
from people.access import person_access
from people.models import Team

from . import selectors as api_selectors
from .metric_fields import tied
from .serializers import Cents
from .views.teams import CompareParams

VALUE_FIELDS = {
    "int": serializers.IntegerField,
    "float": serializers.FloatField,
    "cents": Cents,
}
CHANGE = "change: value − previous (for rates, in percentage points as a fraction)."
CHANGE_PCT = "change_pct: the change in % of previous; null for rates and when previous is 0."


@cache  # one component class per metric, however many responses use it
def figure(key: str, kind: str, *, rate: bool = False, null: str = "") -> type[serializers.Serializer]:
    """A headline figure {value, previous, change, change_pct}, every part tied to `key`."""
    value_field = VALUE_FIELDS["float" if rate else kind]
    why = null or ("null: nothing to divide by in the period" if rate else "null: not reported")
    attrs = {
        "value": value_field(allow_null=True),
        "previous": value_field(allow_null=True, help_text="The same figure for the previous period."),
        "change": serializers.FloatField(allow_null=True, help_text=CHANGE),
        "change_pct": serializers.FloatField(allow_null=True, help_text=CHANGE_PCT),
    }
    name = "".join(part.title() for part in re.split(r"[_\W]+", key)) + "Figure"
    cls = type(name, (serializers.Serializer,), attrs)
    nulls = {"value": why, "previous": why, "change": why, "change_pct": why}
    return tied(value=key, previous=key, change=key, change_pct=key, nulls=nulls)(cls)


class MemberParams(CompareParams):  # a range and its previous period, as the cards compare
    member = serializers.EmailField(
        required=False,
        help_text="A Cursor member's email: their figures (owners, admins, their team leads, or themselves).",
    )


class HeadlineParams(MemberParams):
    model = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Only this model's usage events and spend (as the dashboard's filter).",
    )


def member_for(request, organization, email, start, end):
    """The Cursor member `email` names, if the caller may see their figures: owners and admins
    everyone, a team lead the people of their teams, anyone themselves; else 403."""
    if not email:
        return None
    own = selectors.member_for_user(organization, request.user)
    if own is not None and own.email.lower() == email.lower():
        return own
    access = person_access(request.membership, start=start, end=end)
    if not access.sees_individuals:
        raise exceptions.PermissionDenied(
            "Another member's figures are for owners, admins and their team leads."
        )
    member = api_selectors.member_by_email(organization, email)
    if member is None:
        raise exceptions.ValidationError({"member": ["member must be the email of a Cursor member."]})
    if not access.may_see(member.person_id):
        raise exceptions.PermissionDenied("Only the people of the teams you lead.")
    return member


def check_model(organization, model):
    if model and model not in selectors.available_models(organization):
        raise exceptions.ValidationError(
            {"model": ["model must be a model seen in the organization's usage."]}
        )
    return model or None


def visible_team(request, organization, key, start, end):
    """`key` (a team slug or "none") if the caller may see its aggregates: a group smaller than
    the organization's minimum is only for who may see its people (the pages' rule); else 400."""
    team = None if key == NO_TEAM else Team.objects.filter(organization=organization, slug=key).first()
    if key != NO_TEAM and team is None:
        raise exceptions.NotFound("No such team.")
    access = person_access(request.membership, start=start, end=end)
    if not access.everyone and (team is None or not access.may_see_team(team.pk)):
        if team_seats(organization, key, start, end) < min_group_size():
            raise exceptions.PermissionDenied(
                f"This group has fewer than {min_group_size()} people: its figures would show theirs."
            )
    return team
