from .models import Membership

# Navigation sections by URL prefix; the longest matching prefix wins, so
# /ai-analytics/spend/ is "spend", not "analytics".
NAV_SECTIONS = (
    ("/ai-analytics/spend/", "spend"),
    ("/ai-analytics/", "analytics"),
    ("/settings/integrations/", "integrations"),
    ("/settings/api-tokens/", "api_tokens"),
    ("/accounts/members/", "members"),
)


def nav_section(path):
    matches = [(prefix, name) for prefix, name in NAV_SECTIONS if path.startswith(prefix)]
    return max(matches, key=lambda m: len(m[0]))[1] if matches else ""


def tenancy(request):
    """Expose the organization resolved by the tenancy chokepoint to templates.

    It reads what `org_required` attached; it never resolves an organization itself, so a
    page that did not go through the chokepoint shows no organization navigation.
    """
    context = {"nav_section": nav_section(request.path)}
    membership = getattr(request, "membership", None)
    if membership is None:
        return context
    context.update(
        current_org=membership.organization,
        current_membership=membership,
        # Read by the switcher in the base template: the chokepoint's own list when it made
        # one (no second query), else evaluated lazily.
        user_memberships=getattr(request, "user_memberships", None)
        or Membership.objects.filter(user=request.user).select_related("organization"),
    )
    return context
