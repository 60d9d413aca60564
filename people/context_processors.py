"""Template flags from the directory: whether the signed-in member leads a team (the nav shows
them the Alerts page, which lists their teams' alerts). Evaluated lazily: a page that never
reads the flag costs no query."""

from django.utils.functional import SimpleLazyObject

from .models import Team


def team_lead(request):
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "leads_a_team": SimpleLazyObject(
            lambda: Team.objects.filter(
                organization_id=membership.organization_id, lead_id=membership.user_id
            ).exists()
        )
    }
