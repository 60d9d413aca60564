"""The unified usage-metering view: every connected AI tool's usage in one shape."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions

from analytics.selectors.metering import usage_metering

from .. import params
from ..base import BAD_PARAMS, COMMON_ERRORS, ORG, ListEndpoint, error_response
from ..serializers import MeteringRecordSerializer


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
        "usage and cost) is for owners and admins."
    ),
    parameters=[ORG, params.MeteringParams],
    responses={
        200: MeteringRecordSerializer(many=True),
        400: BAD_PARAMS,
        **COMMON_ERRORS,
        403: error_response("group_by=user is for owners and admins."),
    },
)
class UsageMetering(ListEndpoint):
    serializer_class = MeteringRecordSerializer

    def get_rows(self):
        p = params.parse(params.MeteringParams, self.request)
        # Per-member cost is member spend: the same capability as the spend review.
        if p.get("group_by") == "user" and not self.request.membership.can_see_member_spend:
            raise exceptions.PermissionDenied(
                "group_by=user shows each member's spend: owners and admins only."
            )
        return usage_metering(
            self.organization,
            p["start"],
            p["end"],
            grain=p["grain"],
            group_by=p.get("group_by"),
            product=p.get("product"),
        )
