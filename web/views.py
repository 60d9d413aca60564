"""AI analytics pages: the team dashboard, My usage, a member's page, the spend review and
their CSV exports.

Views are adapters: parse the filters, load the page's data and render its declaration
(web/pages/). Every page
goes through the tenancy chokepoint (`org_required`); per-member data is only ever read
for whom the privacy rule (`people.access.person_access`) allows: owners and admins see
everyone, team leads the people of their teams, so a member's response cannot contain it.
"""

from datetime import UTC

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from analytics import cache as analytics_cache
from analytics import selectors
from analytics.defaults import MEMBER_DEFAULT_SORT, PAGE_SIZE
from analytics.selectors.own_teams import own_team_comparison
from analytics.selectors.reconciliation import spend_reconciliation
from analytics.selectors.teams import min_group_size
from analytics.services import update_seat_price
from integrations.availability import cursor_plan_gaps
from integrations.models import Provider
from integrations.selectors import connection_status
from koalr.accounts.tenancy import org_required
from people.access import led_team_ids, person_access

from . import tables
from .exports import csv_response
from .forms import SeatPriceForm, parse_range
from .freshness import chart_provisional, page_connection_status, page_freshness
from .pages import render_cards, render_charts, spend, unavailable_charts, usage

SPEND_CAPABILITY = "can_see_member_spend"
IDLE_ROWS_SHOWN = 100


def _today():
    return timezone.now().astimezone(UTC).date()


def _usage_context(request, *, member=None, filters=None) -> dict:
    """Filters, headline cards and charts for the team (member=None) or one member."""
    org = request.organization
    filters = filters or parse_range(request.GET, _today())
    data = usage.load(org, filters, request.GET.get("model", ""), member=member)
    freshness = page_freshness(request)
    sync = page_connection_status(request)
    return {
        "filters": filters,
        "filter_query": filters.query(),
        "presets": ["7", "30", "90"],
        "models": data.models,
        "headline": data.head,
        "stats": render_cards(usage.CARDS, data.head, data),
        "figures": render_charts(usage.CHARTS, data, chart_provisional(freshness)),
        "freshness": freshness,
        # The plan's gaps come from the connection the status already read: no query of its own.
        "unavailable": unavailable_charts(usage.CHARTS, data, cursor_plan_gaps(org, sync["connection"])),
        "has_data": usage.has_data(data),
        "last_day_empty": usage.last_day_empty(data),
        "sync": sync,
        "is_admin": request.membership.can_see_member_spend,
        "nav_section": "analytics",
        "data_version": data.data_version,
    }


def _member_table(request, filters, version, access, *, person_ids=None) -> dict:
    """One page of the member table, sorted and sliced in the database (cached per data
    version when it shows everyone: it aggregates every member's days in the range).
    `person_ids` narrows it further (a team filter, already intersected with `access`)."""
    sort = tables.clean_sort(
        request.GET.get("sort"), tables.MEMBER_COLUMNS, MEMBER_DEFAULT_SORT, tables.MEMBER_UNSORTABLE
    )
    number = tables.page_number(request.GET.get("page"))
    org = request.organization
    if access.everyone and person_ids is None:
        rows, total = analytics_cache.member_table_page(
            org, version, filters.start, filters.end, sort=sort, number=number, page_size=PAGE_SIZE
        )
    else:  # a team lead, or a team filter: only those people (cached per version and people)
        ids = access.person_ids if person_ids is None else person_ids
        rows, total = analytics_cache.cached(
            org,
            version,
            "member_table_people",
            (filters.start, filters.end, sort, number, PAGE_SIZE, tuple(sorted(ids))),
            lambda: selectors.member_usage_page(
                org, filters.start, filters.end, sort=sort, page=number, page_size=PAGE_SIZE, person_ids=ids
            ),
        )
    return {
        "columns": tables.MEMBER_COLUMNS,
        "headers": tables.header_links(tables.MEMBER_COLUMNS, sort, tables.MEMBER_UNSORTABLE),
        "page": tables.prefetched_page(tables.with_cells(rows, tables.MEMBER_COLUMNS), total, number),
        "sort": sort,
        "link_query": "?" + urlencode(filters.query()),
        "count": total,
        "scope": "Owners and admins only." if access.everyone else "The people of the teams you lead.",
    }


@require_GET
@org_required
def dashboard(request):
    if request.GET.get("tool") in ("copilot", "claude_code", "all"):  # the tool switch (web/tools_views.py)
        from .tools_views import compare_dashboard

        return compare_dashboard(request)
    filters = None
    if request.GET.get("team"):  # the team lens (web/views_teams.py)
        from .views_teams import team_dashboard

        response, filters = team_dashboard(request)
        if response is not None:
            return response
    context = _usage_context(request, filters=filters)
    context["view"] = "team"
    context["team_lens"] = True  # a link to pick a team on the Teams tab: no query here
    context.update(
        tool="cursor",
        tool_choices=(
            ("cursor", "Cursor"),
            ("copilot", "GitHub Copilot"),
            ("claude_code", "Claude Code"),
            ("all", "All tools"),
        ),
    )
    filters = context["filters"]
    access = person_access(request.membership, start=filters.start, end=filters.end)
    if access.sees_individuals:
        context["member_table"] = _member_table(request, filters, context["data_version"], access)
    return render(request, "analytics/dashboard.html", context)


def _own_teams(request, member, filters) -> dict:
    """My usage's comparison with one's own teams (`?team=` picks one of them): aggregates
    only; a team too small for the viewer shows no average (analytics/selectors/own_teams)."""
    if member.person_id is None:
        return {}
    org = request.organization
    led = []  # read only if a team is small enough to matter (most pages never ask)

    def may_see_team(team_id) -> bool:
        """Owners and admins see every team's people; a lead their teams' and sub-teams'."""
        if request.membership.is_admin:
            return True
        if not led:
            led.append(led_team_ids(org.pk, request.user))
        return team_id in led[0]

    comparison = own_team_comparison(
        org, member.person_id, filters.start, filters.end, may_see_team=may_see_team
    )
    rows = comparison["teams"]
    requested = (request.GET.get("team") or "").strip()[:100]
    if requested:
        chosen = [r for r in rows if r.slug == requested]
        if chosen:
            rows, filters.team = chosen, requested
        else:
            filters.messages.append(
                f"You aren’t in a team “{requested}” in this range; showing all your teams."
            )
    return {
        "own_figures": comparison["own"],
        "own_teams": rows,
        "own_team_choices": [(r.slug, r.name) for r in comparison["teams"]],
        "min_group": min_group_size(),
        "filter_query": filters.query(),
    }


def _member_page(request, member, *, own: bool):
    context = _usage_context(request, member=member)
    context.update(
        {
            "view": "me" if own else "member",
            "subject": member,
            "cycle_spend": selectors.member_cycle_spend(request.organization, member),
        }
    )
    from analytics.selectors.overlap import person_tools  # every AI tool this person used

    filters = context["filters"]
    context["person_tools"] = person_tools(request.organization, member.person_id, filters.start, filters.end)
    if own:
        context.update(_own_teams(request, member, context["filters"]))
    return render(request, "analytics/member_usage.html", context)


@require_GET
@org_required
def my_usage(request):
    member = selectors.member_for_user(request.organization, request.user)
    if member is None:
        return render(
            request,
            "analytics/member_usage.html",
            {
                "view": "me",
                "subject": None,
                "is_admin": request.membership.can_see_member_spend,
                "nav_section": "analytics",
            },
        )
    return _member_page(request, member, own=True)


def _people_access(request):
    """The privacy rule for the range the request asks about."""
    filters = parse_range(request.GET, _today())
    return filters, person_access(request.membership, start=filters.start, end=filters.end)


@require_GET
@org_required
def member_detail(request, member_id):
    member = selectors.get_member(request.organization, member_id)
    if member is None:
        raise Http404("No such member.")
    if not _people_access(request)[1].may_see(member.person_id):
        raise PermissionDenied("Owners, admins and the member's team leads only.")
    return _member_page(request, member, own=False)


@require_GET
@org_required
def daily_csv(request):
    """The dashboard's daily rows for the range (and model filter) as CSV: organization-wide
    figures every member sees on the dashboard's charts, each day flagged `provisional`."""
    from analytics.freshness import flag_rows

    org = request.organization
    filters = parse_range(request.GET, _today())
    model = (request.GET.get("model") or "").strip()[:200]
    known = {
        m["model"]
        for m in selectors.models_from_daily(selectors.model_daily_usage(org, filters.start, filters.end))
    }
    rows = selectors.daily_series(org, filters.start, filters.end, model=model if model in known else None)
    flag_rows(rows, page_freshness(request).provisional_from("cursor"))
    filename = f"ai-usage-daily-{filters.start}-to-{filters.end}.csv"
    return csv_response(filename, tables.DAILY_COLUMNS, rows)


@require_GET
@org_required
def members_csv(request):
    filters, access = _people_access(request)
    if not access.sees_individuals:
        raise PermissionDenied("Owners, admins and team leads only.")
    from .views_teams import team_filter, team_people  # the team lens: ?team=

    team_filter(request, filters, access)
    sort = tables.clean_sort(
        request.GET.get("sort"), tables.MEMBER_COLUMNS, MEMBER_DEFAULT_SORT, tables.MEMBER_UNSORTABLE
    )
    rows = selectors.member_usage(
        request.organization,
        filters.start,
        filters.end,
        sort=sort,
        person_ids=team_people(request, filters, access),
    )
    team = f"-team-{filters.team}" if filters.team else ""
    filename = f"ai-usage-by-member{team}-{filters.start}-to-{filters.end}.csv"
    return csv_response(filename, tables.MEMBER_COLUMNS, rows)


def _spend_team(request):
    """`?team=` on the spend review and its CSV (admins only, so every team and "No team" is
    shown): the kept slug ("" for everyone), its display name, and the filter's messages."""
    from analytics.selectors.team_lens import team_choices
    from analytics.selectors.teams import NO_TEAM

    from .forms import DashboardFilters, apply_team

    today = _today()
    filters = DashboardFilters(start=today, end=today, range_key="")
    choices = dict(team_choices(request.organization))
    apply_team(filters, request.GET.get("team", ""), choices)
    name = "No team" if filters.team == NO_TEAM else choices.get(filters.team, "").strip()
    return filters, name


def _spend_context(request, overview, form=None, filters=None, team_name="") -> dict:
    sort = tables.clean_sort(request.GET.get("sort"), tables.SPEND_COLUMNS, tables.SPEND_DEFAULT_SORT)
    number = tables.page_number(request.GET.get("page"))
    total = overview["member_count"]
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(number, pages)
    rows = selectors.spend_members(
        request.organization,
        overview["snapshot_cycle_start"],
        sort=sort,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
        member_q=overview.get("member_q"),
    )
    page = tables.prefetched_page(tables.with_cells(rows, tables.SPEND_COLUMNS), total, number)
    from analytics.selectors.team_lens import team_choices

    freshness = page_freshness(request)
    return {
        "overview": overview,
        "figures": render_charts(spend.CHARTS, spend.load(overview), chart_provisional(freshness)),
        "freshness": freshness,
        "filter_query": filters.query() if filters else {},
        "filters": filters,
        "team_choices": team_choices(request.organization),
        "team_name": team_name,
        "view_table": {
            "headers": tables.header_links(tables.SPEND_COLUMNS, sort, metrics=tables.SPEND_COLUMN_METRICS),
            "columns": tables.SPEND_COLUMNS,
            "page": page,
            "sort": sort,
            "link_query": "",
        },
        "sort": sort,
        "idle_rows": overview["idle_14"][:IDLE_ROWS_SHOWN],
        "idle_more": max(0, len(overview["idle_14"]) - IDLE_ROWS_SHOWN),
        "seat_form": form
        or SeatPriceForm(initial={"seat_price": f"{overview['seat_price_cents'] / 100:.2f}"}),
        "sync": page_connection_status(request),
        "is_admin": True,
        "view": "spend",
        "nav_section": "spend",
    }


@require_GET
@org_required(capability=SPEND_CAPABILITY)
def spend_review(request):
    filters, name = _spend_team(request)
    overview = selectors.spend_overview(
        request.organization, today=_today(), include_members=False, team=filters.team
    )
    context = _spend_context(request, overview, filters=filters, team_name=name)
    from .tools_views import copilot_idle_for  # Copilot's idle seats join the list (tools_views.py)

    context["copilot_idle"] = copilot_idle_for(
        request.organization, _today(), page_freshness(request).connections.get(Provider.COPILOT)
    )
    context["reconciliation"] = spend_reconciliation(
        request.organization,
        today=_today(),
        member_q=overview.get("member_q"),
        cycle_start_at=overview["snapshot_cycle_start"],
        read_cycle=False,
        summary=True,  # the page shows the totals and the rows that differ, not everyone's
    )
    return render(request, "analytics/spend_review.html", context)


@require_POST
@org_required(capability=SPEND_CAPABILITY)
def seat_price(request):
    form = SeatPriceForm(request.POST)
    if not form.is_valid():
        overview = selectors.spend_overview(request.organization, today=_today())
        return render(
            request, "analytics/spend_review.html", _spend_context(request, overview, form), status=400
        )
    update_seat_price(request.organization, seat_price_cents=form.cleaned_data["seat_price"])
    messages.success(request, f"Seat price set to ${form.cleaned_data['seat_price'] / 100:,.2f} per month.")
    return redirect(reverse("analytics:spend") + "#idle-seats")


@require_GET
@org_required(capability=SPEND_CAPABILITY)
def spend_csv(request):
    org = request.organization
    filters, _ = _spend_team(request)  # an unknown team: the whole organization, as on the page
    overview = selectors.spend_overview(org, today=_today(), include_members=False, team=filters.team)
    sort = tables.clean_sort(request.GET.get("sort"), tables.SPEND_COLUMNS, tables.SPEND_DEFAULT_SORT)
    rows = selectors.spend_members(
        org, overview["snapshot_cycle_start"], sort=sort, member_q=overview["member_q"]
    )
    team = f"-team-{filters.team}" if filters.team else ""
    filename = f"ai-spend{team}-cycle-{overview['cycle_start']}.csv"
    return csv_response(filename, tables.SPEND_COLUMNS, rows)


@require_GET
@org_required
def sync_status(request):
    """Progress of the running sync, for the dashboard's small poll. No secrets, no rows."""
    sync = connection_status(request.organization)  # the light read: this is polled
    return JsonResponse(
        {"status": sync["status"], "syncing": sync["syncing"], "percent": sync["percent"]},
    )
