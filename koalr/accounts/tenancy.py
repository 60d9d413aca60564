"""The tenancy chokepoint: resolve the organization for a request and check membership.

Every page view uses `org_required` (function views) or `OrgRequiredMixin` (class views);
the REST API uses `membership_for_slug`. They set `request.organization` and
`request.membership`. An organization the user does not belong to answers 404, exactly
like one that does not exist; a capability the role lacks answers 403.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect

from .models import Membership

SESSION_KEY = "active_organization_id"


def active_membership(request):
    """The user's membership in the session's active organization, or their first one.

    The session only stores a preference: membership is re-checked on every request, so a
    removed member loses access at once.
    """
    user = request.user
    if not user.is_authenticated:
        return None
    # One query for all of them (a user belongs to a handful of organizations): the
    # organization switcher of every page lists them too (context_processors.tenancy).
    memberships = list(Membership.objects.select_related("organization").filter(user=user))
    request.user_memberships = memberships
    org_id = request.session.get(SESSION_KEY)
    membership = next((m for m in memberships if m.organization_id == org_id), None) if org_id else None
    if membership is None:
        membership = min(memberships, key=lambda m: (m.created_at, m.pk), default=None)
        if membership is not None:
            request.session[SESSION_KEY] = membership.organization_id
    return membership


def membership_for_slug(user, slug):
    """Membership of `user` in the organization `slug`, or Http404 (also for outsiders)."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organization").filter(user=user, organization__slug=slug).first()
    )
    if membership is None:
        raise Http404("No such organization.")
    return membership


def attach(request, membership):
    request.membership = membership
    request.organization = membership.organization


def require_capability(membership, capability):
    if capability and not getattr(membership, capability):
        raise PermissionDenied("Your role in this organization does not allow this.")


def org_required(view=None, *, capability=None):
    """Decorator: login + active organization membership (+ an optional capability)."""

    def decorator(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = active_membership(request)
            if membership is None:
                return redirect("accounts:no_organization")
            attach(request, membership)
            require_capability(membership, capability)
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator


class OrgRequiredMixin:
    """Class-based-view twin of `org_required`; set `required_capability` to gate by role."""

    required_capability = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = active_membership(request)
        if membership is None:
            return redirect("accounts:no_organization")
        attach(request, membership)
        require_capability(membership, self.required_capability)
        return super().dispatch(request, *args, **kwargs)
