"""The base every API view builds on: authentication, tenancy, throttling, documented errors."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import authentication, generics, pagination

from .authentication import BearerTokenAuthentication
from .permissions import OrgMember
from .serializers import ErrorSerializer
from .throttling import TokenRateThrottle


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Declares `Authorization: Bearer <token>` in the OpenAPI schema."""

    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from Settings → API tokens.",
        }


class Pagination(pagination.LimitOffsetPagination):
    """`limit`/`offset` pages (`count`, `next`, `previous`, `results`); 100 a page, 1000 at most."""

    max_limit = 1000


class OrgAPIView(generics.GenericAPIView):
    """An endpoint of one organization; `org` in the path is its slug."""

    authentication_classes = [BearerTokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [OrgMember]
    throttle_classes = [TokenRateThrottle]
    pagination_class = Pagination
    required_capability: str | None = None

    @property
    def organization(self):
        return self.request.organization


class ListEndpoint(OrgAPIView):
    """GET a paginated list (`limit`/`offset`; `count`, `next`, `previous`, `results`)."""

    def get_rows(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        rows = self.get_rows()
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def error_response(description):
    return OpenApiResponse(ErrorSerializer, description=description)


BAD_PARAMS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description='Invalid query parameter; keyed by the field, e.g. {"start": ["start is required …"]}.',
)
COMMON_ERRORS = {
    # koalr.middleware.RejectNulCharacters: no parameter of any endpoint may hold a NUL.
    400: error_response("A query parameter holds a NUL character."),
    401: error_response("Missing, invalid or revoked token."),
    404: error_response("No such organization, or not one the caller (or token) belongs to."),
    429: error_response("Too many requests for this token; retry after the Retry-After header's seconds."),
}
ADMIN_ERRORS = {**COMMON_ERRORS, 403: error_response("Owners and admins only.")}

ORG = OpenApiParameter(
    "org",
    str,
    OpenApiParameter.PATH,
    required=True,
    description="The organization's slug. A token only opens the organization it was created for.",
    pattern=r"^[-a-zA-Z0-9_]+$",
)
