"""Sync runs of the organization's Cursor connection, and starting one."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from integrations.services import SyncQueueFailed

from .. import selectors, services
from ..base import ADMIN_ERRORS, COMMON_ERRORS, ORG, ListEndpoint, OrgAPIView, error_response
from ..serializers import SyncRunSerializer


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
            "409 when Cursor is not connected, or when Cursor rejected the stored key (syncs are "
            "paused until an admin replaces it). 503 when the sync could not be queued (the "
            "job queue is unavailable); nothing is left queued, so retrying is safe."
        ),
        parameters=[ORG],
        request=None,
        responses={
            202: SyncRunSerializer,
            409: error_response("Cursor is not connected, or its key was rejected."),
            503: error_response("The sync could not be queued; try again."),
            **ADMIN_ERRORS,
        },
    )
    def post(self, request, *args, **kwargs):
        try:
            run = services.start_cursor_sync(organization=self.organization, actor=request.user)
        except services.SyncRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except SyncQueueFailed as exc:
            return Response(
                {"detail": exc.user_message},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "5"},
            )
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)
