"""The team lens: the Team comparison page and its CSV (every member of the organization:
aggregates only; groups smaller than TEAM_MIN_GROUP_SIZE merge into "Other" for anyone
the privacy rule does not let see them), and the chargeback pages.

Views are adapters: parse the filters, call one selector, render the page's declaration.
"""

import csv
from datetime import UTC

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from analytics.selectors.teams import (
    NO_TEAM,
    TIER_RULE,
    min_group_size,
    team_choices,
    team_comparison,
    team_headline,
    team_person_ids,
)
from integrations.selectors import connection_status
from koalr.accounts.tenancy import org_required
from people.access import person_access
from people.models import Team

from .exports import _neutralise
from .forms import apply_team, parse_range
from .pages import render_cards, render_charts
from .pages import teams as page


def _today():
    return timezone.now().astimezone(UTC).date()


def _comparison(request):
    filters = parse_range(request.GET, _today())
    access = person_access(request.membership, start=filters.start, end=filters.end)
    rows = team_comparison(request.organization, filters.start, filters.end, access=access)
    rows, sort = page.sort_rows(rows, (request.GET.get("sort") or "").strip())
    return filters, rows, sort


@require_GET
@org_required
def team_compare(request):
    filters, rows, sort = _comparison(request)
    return render(
        request,
        "teams/compare.html",
        {
            "filters": filters,
            "filter_query": filters.query(),
            "presets": ["7", "30", "90"],
            "rows": page.table_rows(rows),
            "headers": page.headers(sort),
            "sort": sort,
            "tier_rule": TIER_RULE,
            "min_group": min_group_size(),
            "has_teams": any(r.team_id for r in rows) or any(r.key == "other" for r in rows),
            "view": "teams",
            "hide_model": True,
            "is_admin": request.membership.can_see_member_spend,
            "nav_section": "analytics",
        },
    )


@require_GET
@org_required
def team_compare_csv(request):
    filters, rows, _ = _comparison(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="team-comparison-{filters.start}-to-{filters.end}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(["Team slug", "Depth"] + [c.label for c in page.COLUMNS])
    for r in rows:
        writer.writerow([r.key, r.depth] + [_neutralise(page.text(r, c, for_csv=True)) for c in page.COLUMNS])
    return response


def team_filter(request, filters, access):
    """Apply `?team=` to `filters` (unknown teams and groups too small for this viewer are
    dropped with a message); returns the team's display name, or None for everyone."""
    org = request.organization
    requested = (request.GET.get("team") or "").strip()
    choices = dict(team_choices(org))
    hidden = set()
    if requested and not access.everyone:
        limit = min_group_size()
        team = Team.objects.filter(organization=org, slug=requested).first()
        if requested == NO_TEAM:
            if team_headline(org, NO_TEAM, filters.start, filters.end)["seats"] < limit:
                hidden.add(NO_TEAM)
        elif team is not None and not access.may_see_team(team.pk):
            if team_headline(org, requested, filters.start, filters.end)["seats"] < limit:
                hidden.add(requested)
    apply_team(filters, requested, choices, hidden=hidden)
    if not filters.team:
        return None
    return "No team" if filters.team == NO_TEAM else choices[filters.team].strip()


def team_people(request, filters, access):
    """People of the filtered team the viewer may see individually (None: no narrowing)."""
    if not filters.team:
        return None if access.everyone else access.person_ids
    people = team_person_ids(request.organization, filters.team, filters.start, filters.end) or set()
    return people if access.everyone else people & access.person_ids


def team_dashboard(request):
    """The dashboard for one team (`?team=slug` or `none`): figures from the team rollup."""
    from .views import _member_table  # the dashboard's own member table, narrowed here

    org = request.organization
    filters = parse_range(request.GET, _today())
    access = person_access(request.membership, start=filters.start, end=filters.end)
    name = team_filter(request, filters, access)
    if name is None:  # dropped (unknown or too small): the everyone view says why
        return None, filters
    if request.GET.get("model"):
        filters.messages.append("The model filter does not apply to a team; showing all models.")
    data = page.load_team(org, filters, name)
    people = team_people(request, filters, access)
    context = {
        "filters": filters,
        "filter_query": filters.query(),
        "presets": ["7", "30", "90"],
        "hide_model": True,
        "team_choices": team_choices(org),
        "team_name": name,
        "headline": data.head,
        "stats": render_cards(page.TEAM_CARDS, data.head, data),
        "figures": render_charts(page.TEAM_CHARTS, data),
        "has_data": any(r["active_users"] or r["spend_cents"] or r["requests"] for r in data.series),
        "last_day_empty": False,
        "sync": connection_status(org),
        "is_admin": request.membership.can_see_member_spend,
        "nav_section": "analytics",
        "view": "team",
    }
    if people:
        context["member_table"] = _member_table(request, filters, None, access, person_ids=people)
    return render(request, "analytics/dashboard.html", context), filters
