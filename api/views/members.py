"""The Cursor team roster.

Per-person activity (email, first and last active day) is for owners and admins, as on the
pages and in the exports; plain members get each member's name and role only.
"""

from drf_spectacular.utils import extend_schema

from .. import selectors
from ..base import COMMON_ERRORS, ORG, ListEndpoint
from ..serializers import MemberNameSerializer, MemberSerializer


@extend_schema(
    tags=["members"],
    summary="Cursor team members",
    description=(
        "The Cursor team as synced, including removed members and people seen in usage but "
        "absent from Cursor's member list (`not_in_roster`). `last_active` is the last UTC day "
        "with activity.\n\n"
        "Owners and admins get every field, sorted by email. Plain members get `name` and `role` "
        "only, sorted by name: email, first_seen, last_active and the roster flags are "
        "per-person data."
    ),
    parameters=[ORG],
    responses={200: MemberSerializer(many=True), **COMMON_ERRORS},
)
class MemberList(ListEndpoint):
    def get_serializer_class(self):
        if self.request.membership.can_see_member_spend:
            return MemberSerializer
        return MemberNameSerializer

    def get_rows(self):
        if self.request.membership.can_see_member_spend:
            return selectors.member_roster(self.organization)
        return selectors.member_roster(self.organization).order_by("name", "pk")
