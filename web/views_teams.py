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

from analytics.selectors.teams import TIER_RULE, min_group_size, team_comparison
from koalr.accounts.tenancy import org_required
from people.access import person_access

from .exports import _neutralise
from .forms import parse_range
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
