"""API views over the roster, sync runs and the unified metering view. Thin adapters:
parse the query, call one selector or service, render with a serializer."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from analytics.selectors_metering import usage_metering

from . import params, selectors, services
from .base import ADMIN_ERRORS, BAD_PARAMS, COMMON_ERRORS, ORG, OrgAPIView, error_response
from .serializers import MemberSerializer, MeteringRecordSerializer, SyncRunSerializer


class ListEndpoint(OrgAPIView):
    """GET a paginated list (`limit`/`offset`; `count`, `next`, `previous`, `results`)."""

    def get_rows(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        rows = self.get_rows()
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(
    tags=["members"],
    summary="Cursor team members",
    description=(
        "The Cursor team as synced, including removed members and people seen in usage but "
        "absent from Cursor's member list (`not_in_roster`). `last_active` is the last UTC day "
        "with activity."
    ),
    parameters=[ORG],
    responses={200: MemberSerializer(many=True), **COMMON_ERRORS},
)
class MemberList(ListEndpoint):
    serializer_class = MemberSerializer

    def get_rows(self):
        return selectors.member_roster(self.organization)


@extend_schema(
    tags=["sync"],
    summary="Sync runs, newest first",
    description="Cursor syncs of this organization: status, trigger, progress and rows stored.",
    parameters=[ORG],
    responses={200: SyncRunSerializer(many=True), **COMMON_ERRORS},
)
class SyncRunList(ListEndpoint):
    serializer_class = SyncRunSerializer

    def get_rows(self):
        return selectors.sync_runs(self.organization)


class CursorSyncTrigger(OrgAPIView):
    required_capability = "can_manage_integrations"
    serializer_class = SyncRunSerializer

    @extend_schema(
        tags=["sync"],
        summary="Start a Cursor sync (owners and admins)",
        description=(
            "Queues a sync of the organization's Cursor connection and returns its run (or the "
            "run already queued or running: syncs never stack); poll `sync-runs` for progress. "
            "409 when Cursor is not connected."
        ),
        parameters=[ORG],
        request=None,
        responses={
            202: SyncRunSerializer,
            409: error_response("Cursor is not connected for this organization."),
            **ADMIN_ERRORS,
        },
    )
    def post(self, request, *args, **kwargs):
        try:
            run = services.start_cursor_sync(organization=self.organization, actor=request.user)
        except services.NotConnected as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["usage"],
    summary="Unified usage metering",
    description=(
        "Usage records of every connected AI tool in one shape: period, product, grouping key "
        "and metrics. Today the product is always `cursor`. Periods without usage events have "
        "no record; `active_users` counts distinct members with at least one usage event in "
        "the period and group. `group_by=user` (each member's usage and cost) is for owners "
        "and admins."
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
            self.organization, p["start"], p["end"], grain=p["grain"], group_by=p.get("group_by")
        )
