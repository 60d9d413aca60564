"""Organization resolution for the API, through the tenancy chokepoint.

Every API view has the organization's slug in its path. `OrgMember` resolves it with
`membership_for_slug` (404 for anyone outside the organization, exactly like a slug that
does not exist), then checks the view's `required_capability` (403 when the role lacks it).

For a token, the role is the creator's CURRENT membership role, never one frozen at creation,
and a token only opens the organization it was created for: any other slug answers 404.
"""

from django.http import Http404
from rest_framework import exceptions, permissions

from koalr.accounts.models import ApiToken
from koalr.accounts.tenancy import attach, membership_for_slug

CAPABILITY_DENIED = "Your role in this organization does not allow this."


def membership_for_request(request, slug):
    membership = membership_for_slug(request.user, slug)
    token = request.auth if isinstance(request.auth, ApiToken) else None
    if token is not None and token.organization_id != membership.organization_id:
        raise Http404("No such organization.")
    return membership


class OrgMember(permissions.BasePermission):
    """Authenticated member of the path's organization (+ the view's capability, if any)."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False  # DRF answers 401 with the Bearer challenge
        membership = membership_for_request(request, view.kwargs["org"])
        attach(request, membership)
        capability = getattr(view, "required_capability", None)
        if capability and not getattr(membership, capability):
            raise exceptions.PermissionDenied(CAPABILITY_DENIED)
        return True
