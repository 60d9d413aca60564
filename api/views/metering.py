"""The unified usage-metering view: every connected AI tool's usage in one shape."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions

from analytics.selectors.metering import usage_metering
from integrations.freshness import tool_freshness
from people.access import person_access
from people.models import Person

from .. import params
from ..base import BAD_PARAMS, COMMON_ERRORS, ORG, ListEndpoint, error_response
from ..serializers import MeteringRecordSerializer
from . import teams


@extend_schema(
    tags=["usage"],
    summary="Unified usage metering",
    description=(
        "Usage records of every connected AI tool in one shape: period, product, grouping key "
        "and metrics; `product` is `cursor` or `copilot` (`?product=` keeps one). Cursor's records "
        "count billed usage events; Copilot meters no requests, so its records are its active "
        "person-days, with `usage_events` and tokens null (not reported, never 0) and an "
        "estimated cost (AI credits). `active_users` counts distinct people in the period and "
        "group. `group_by=model|kind` exists for Cursor only. `group_by=user` (each member's "
        "usage and cost) is for owners and admins, and for team leads (the people of their teams)."
    ),
    parameters=[ORG, params.MeteringParams, teams.TEAM_PARAM],
    responses={
        200: MeteringRecordSerializer(many=True),
        **COMMON_ERRORS,
        400: BAD_PARAMS,
        403: error_response("group_by=user is for owners, admins and team leads."),
    },
)
class UsageMetering(ListEndpoint):
    serializer_class = MeteringRecordSerializer

    def get_rows(self):
        p = params.parse(params.MeteringParams, self.request)
        # Per-person cost: the privacy rule (owners and admins everyone, team leads their teams).
        access = None
        if p.get("group_by") == "user":
            access = person_access(self.request.membership, start=p["start"], end=p["end"])
            if not access.sees_individuals:
                raise exceptions.PermissionDenied(
                    "group_by=user shows each member's spend: owners and admins only, or team leads for their teams."
                )
        people = teams.team_people(self.request, self.organization, p["start"], p["end"])
        if people is not None and p.get("group_by") in ("model", "kind"):
            raise exceptions.ValidationError({"team": ["team works without group_by or with group_by=user."]})
        records = usage_metering(
            self.organization,
            p["start"],
            p["end"],
            grain=p["grain"],
            group_by=p.get("group_by"),
            person_ids=people,
            product=p.get("product"),
        )
        if access is not None and not access.everyone:
            visible = set(
                Person.objects.filter(organization=self.organization, pk__in=access.person_ids).values_list(
                    "primary_email", flat=True
                )
            )
            records = [r for r in records if r["key"] in visible]
        return flag_periods(records, p["grain"], tool_freshness(self.organization, now=timezone.now()))


def _period_end(start, grain: str):
    if grain == "week":
        return start + timedelta(days=6)
    if grain == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start


def flag_periods(records, grain: str, freshness):
    """`provisional` on each record: its period holds a day its tool may still revise
    (analytics/freshness.py, each tool its own window)."""
    for record in records:
        first = freshness.provisional_from(record["product"])
        record["provisional"] = _period_end(record["period"], grain) >= first
    return records
