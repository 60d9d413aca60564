"""The Cursor team roster."""

from drf_spectacular.utils import extend_schema

from .. import selectors
from ..base import COMMON_ERRORS, ORG, ListEndpoint
from ..serializers import MemberSerializer


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
