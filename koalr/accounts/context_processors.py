def tenancy(request):
    """Expose the organization resolved by the tenancy chokepoint to templates.

    It reads what `org_required` attached; it never resolves an organization itself.
    """
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    from .models import Membership

    return {
        "current_org": membership.organization,
        "current_membership": membership,
        # Evaluated lazily by the switcher in the base template.
        "user_memberships": Membership.objects.filter(user=request.user).select_related("organization"),
    }
