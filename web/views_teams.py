"""The team lens: the Team comparison page and its CSV (every member of the organization:
aggregates only; groups smaller than TEAM_MIN_GROUP_SIZE merge into "Other" for anyone
the privacy rule does not let see them), and the chargeback pages.

Views are adapters: parse the filters, call one selector, render the page's declaration.
"""

import csv
from datetime import UTC, date
from decimal import Decimal

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from analytics.selectors.team_lens import (
    cached_team_comparison,
    dashboard_team_version,
    team_choices,
    team_person_ids,
    team_seats,
)
from analytics.selectors.teams import NO_TEAM, TIER_RULE, min_group_size
from analytics.services import chargeback as chargeback_service
from koalr.accounts.tenancy import org_required
from people.access import person_access
from people.models import Team

from .exports import _neutralise
from .forms import apply_team, parse_range
from .freshness import chart_provisional, page_connection_status, page_freshness
from .pages import render_cards, render_charts
from .pages import teams as page


def _today():
    return timezone.now().astimezone(UTC).date()


def _comparison(request):
    filters = parse_range(request.GET, _today())
    access = person_access(request.membership, start=filters.start, end=filters.end)
    rows = cached_team_comparison(request.organization, filters.start, filters.end, access=access)
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
            "freshness": page_freshness(request),
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
        # Only a known slug reaches the database (a NUL byte would make PostgreSQL raise).
        team = Team.objects.filter(organization=org, slug=requested).first() if requested in choices else None
        if requested == NO_TEAM or (team is not None and not access.may_see_team(team.pk)):
            if team_seats(org, requested, filters.start, filters.end) < limit:
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
    version = dashboard_team_version(org)  # data_version(org) + "|" + team_data_version(org)
    data = page.load_team(org, filters, name, version=version)
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
        "figures": render_charts(
            page.TEAM_CHARTS, data, chart_provisional(page_freshness(request), tool=None)
        ),
        "freshness": page_freshness(request),
        "has_data": any(r["active_users"] or r["spend_cents"] or r["requests"] for r in data.series),
        "last_day_empty": False,
        "sync": page_connection_status(request),
        "is_admin": request.membership.can_see_member_spend,
        "nav_section": "analytics",
        "view": "team",
    }
    if people:
        context["member_table"] = _member_table(request, filters, version, access, person_ids=people)
    return render(request, "analytics/dashboard.html", context), filters


# --- Chargeback (owners and admins) -------------------------------------------------------

CHARGEBACK_CAPABILITY = "can_see_member_spend"


def _chargeback(request, *, rerun=False):
    params = request.POST if rerun else request.GET
    period = chargeback_service.period_from(
        request.organization, cycle=params.get("cycle"), month=params.get("month"), today=_today()
    )
    return chargeback_service.chargeback(
        request.organization, *period, today=_today(), rerun=rerun, actor=request.user
    )


def _months_back(today: date, n: int) -> date:
    index = today.year * 12 + today.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def _period_query(cb) -> dict:
    if cb.period == "month":
        return {"month": f"{cb.start:%Y-%m}"}
    return {"cycle": cb.start.isoformat()}


@require_GET
@org_required(capability=CHARGEBACK_CAPABILITY)
def chargeback_page(request):
    context = {"nav_section": "spend", "view": "chargeback", "is_admin": True}
    status = 200
    try:
        cb = _chargeback(request)
    except chargeback_service.PeriodError as exc:
        context["error"] = str(exc)
        status = 400
    else:
        context.update(
            cb=cb,
            period_query=_period_query(cb),
            by_centre=cb.by_cost_centre(),
            org_spend=chargeback_service.organization_spend(request.organization, cb.start, cb.end),
        )
    today = _today()
    context["cycles"] = chargeback_service.available_cycles(request.organization, today=today)
    context["months"] = [_months_back(today, i) for i in range(12)]
    context["freshness"] = page_freshness(request)
    return render(request, "teams/chargeback.html", context, status=status)


@require_POST
@org_required(capability=CHARGEBACK_CAPABILITY)
def chargeback_rerun(request):
    try:
        cb = _chargeback(request, rerun=True)
    except chargeback_service.PeriodError as exc:
        messages.error(request, str(exc))
        return redirect("analytics:chargeback")
    messages.success(
        request, f"Chargeback for {cb.start:%-d %b %Y} – {cb.end:%-d %b %Y} re-run with today's teams."
    )
    return redirect(reverse("analytics:chargeback") + "?" + urlencode(_period_query(cb)))


CHARGEBACK_COLUMNS = ("Team slug", "Team", "Cost centre", "Spend ($)", "Spend exact (cents)", "Seats")


@require_GET
@org_required(capability=CHARGEBACK_CAPABILITY)
def chargeback_csv(request):
    try:
        cb = _chargeback(request)
    except chargeback_service.PeriodError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="chargeback-{cb.period}-{cb.start}-to-{cb.end}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(CHARGEBACK_COLUMNS)
    for line in cb.lines:
        writer.writerow(
            [
                line.team_slug,
                _neutralise(line.team_name),
                _neutralise(line.cost_centre),
                f"{Decimal(line.cents) / 100:.2f}",
                f"{line.spend_cents:f}",
                f"{line.seats.normalize():f}",
            ]
        )
    writer.writerow(
        [
            "",
            "Total",
            "",
            f"{Decimal(cb.total_cents) / 100:.2f}",
            f"{cb.total_spend_cents:f}",
            f"{cb.total_seats.normalize():f}",
        ]
    )
    return response
