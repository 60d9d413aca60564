"""AI analytics pages: the team dashboard, My usage, a member's page, the spend review and
their CSV exports.

Views are adapters: parse the filters, call selectors, build figures, render. Every page
goes through the tenancy chokepoint (`org_required`); per-member data is only ever read
for roles with `can_see_member_spend`, so a member's response cannot contain it.
"""

from datetime import UTC

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from koalr.accounts.tenancy import org_required

from . import cache as analytics_cache
from . import charts, selectors, tables
from .cache import data_version
from .exports import csv_response
from .forms import SeatPriceForm, apply_model, parse_range
from .services_settings import update_seat_price
from .templatetags.analytics_format import dollars, number, percent

SPEND_CAPABILITY = "can_see_member_spend"
IDLE_ROWS_SHOWN = 100


def _today():
    return timezone.now().astimezone(UTC).date()


def _figure(element_id, title, figure, help_text):
    return {
        "id": element_id,
        "title": title,
        "help": help_text,
        "script": charts.to_script(figure, element_id),
    }


def _stat(key, label, figure, fmt, *, rate=False, good_when="up", sub=""):
    return {
        "key": key,
        "label": label,
        "figure": figure,
        "value": fmt(figure["value"]),
        "previous": fmt(figure["previous"]),
        "kind": "rate" if rate else "count",
        "good_when": good_when,
        "sub": sub,
    }


def headline_stats(head, *, member=None) -> list[dict]:
    """Stat cards for the headline figures, formatted for display."""
    if member is None:
        seats = head["seats"]
        activity = [
            _stat(
                "avg_dau",
                "Active users (avg. daily)",
                head["avg_dau"],
                lambda v: number(v, 1),
                sub=f"WAU {head['wau']['value']:,} · MAU {head['mau']['value']:,}",
            ),
            _stat(
                "active_share",
                "Active share of seats",
                head["active_share"],
                percent,
                rate=True,
                sub=f"{head['active_users']['value']:,} of {seats:,} seats active in the range",
            ),
        ]
    else:
        activity = [_stat("active_days", "Active days", head["active_days"], number)]
    return activity + [
        _stat("ai_requests", "AI requests", head["ai_requests"], number, sub="Agent, chat, composer, Cmd-K"),
        _stat("acceptance_rate", "Acceptance rate", head["acceptance_rate"], percent, rate=True),
        _stat("tab_acceptance_rate", "Tab acceptance rate", head["tab_acceptance_rate"], percent, rate=True),
        _stat("accepted_lines", "Accepted lines", head["accepted_lines"], number),
        _stat(
            "spend_cents",
            "Team spend" if member is None else "Spend",
            head["spend_cents"],
            dollars,
            good_when="down",
            sub="Charged usage in the range",
        ),
    ]


def _usage_context(request, *, member=None) -> dict:
    """Filters, headline figures and charts for the team (member=None) or one member."""
    org = request.organization
    filters = parse_range(request.GET, _today())
    start, end = filters.start, filters.end
    model_daily = selectors.model_daily_usage(org, start, end, member=member)
    models = selectors.models_from_daily(model_daily)
    apply_model(filters, request.GET.get("model", ""), {m["model"] for m in models})
    model = filters.model or None

    # The cycle-to-date line needs the spend since the cycle start before `start`.
    anchor = selectors.latest_cycle_start(org)
    series_start = min(start, selectors.cycle_start_for(start, anchor))
    full_series = selectors.daily_series(org, series_start, end, member=member, model=model)
    series = [row for row in full_series if row["day"] >= start]
    cumulative = [point for point in charts.cycle_to_date(full_series, anchor) if point[0] >= start]
    # The headline's distinct-active-members pass is the costliest read: cache it per data version.
    version = data_version(org)
    head = analytics_cache.headline(org, version, start, end, member=member, model=model)
    ai_code = selectors.ai_code_daily(org, start, end, member=member)

    has_data = any(row["active_users"] or row["usage_events"] or row["agent_requests"] for row in series)
    last_day_empty = bool(series) and not (series[-1]["active_users"] or series[-1]["usage_events"])
    who = "your" if member is not None else "the team's"
    figures = []
    if member is None:
        figures.append(
            _figure(
                "fig-dau",
                "Daily active users",
                charts.dau_figure(series),
                "Members with any Cursor activity on each UTC day.",
            )
        )
    figures += [
        _figure(
            "fig-requests",
            "Requests per day by kind",
            charts.requests_figure(series),
            "Agent, chat, composer and Cmd-K requests and accepted tab completions.",
        ),
        _figure(
            "fig-model-mix",
            "Model mix",
            charts.model_mix_figure(models),
            "Share of billed requests (usage events) by model over the range.",
        ),
        _figure(
            "fig-model-trend",
            "Top models per day",
            charts.model_trend_figure(model_daily, models, [r["day"] for r in series]),
            f"Billed requests per day for the {charts.TOP_MODELS} most used models.",
        ),
        _figure(
            "fig-spend",
            "Spend per day" if member is not None else "Team spend per day",
            charts.spend_figure(series, cumulative),
            f"Charged usage per day and {who} running total since the billing cycle began.",
        ),
        _figure(
            "fig-lines",
            "Lines added and accepted AI lines",
            charts.lines_figure(series),
            "All lines added in Cursor against lines accepted from AI suggestions.",
        ),
    ]
    if ai_code:
        figures += [
            _figure(
                "fig-ai-share",
                "AI share of committed code",
                charts.ai_share_figure(ai_code),
                "Committed lines written with tab or agent, from AI Code Tracking (Enterprise).",
            ),
            _figure(
                "fig-agent-tab",
                "Agent and tab lines committed",
                charts.agent_tab_figure(ai_code),
                "Committed lines by AI source, from AI Code Tracking (Enterprise).",
            ),
        ]
    return {
        "filters": filters,
        "filter_query": filters.query(),
        "presets": ["7", "30", "90"],
        "models": models,
        "headline": head,
        "stats": headline_stats(head, member=member),
        "figures": figures,
        "has_data": has_data,
        "last_day_empty": last_day_empty,
        "sync": selectors.connection_status(org),
        "is_admin": request.membership.can_see_member_spend,
        "nav_section": "analytics",
        "data_version": version,
    }


def _member_table(request, filters, version) -> dict:
    """One page of the member table, sorted and sliced in the database (cached per data
    version: it aggregates every member's days in the range)."""
    sort = tables.clean_sort(
        request.GET.get("sort"), tables.MEMBER_COLUMNS, tables.MEMBER_DEFAULT_SORT, tables.MEMBER_UNSORTABLE
    )
    number = tables.page_number(request.GET.get("page"))
    org = request.organization
    rows, total = analytics_cache.member_table_page(
        org, version, filters.start, filters.end, sort=sort, number=number, page_size=tables.PAGE_SIZE
    )
    return {
        "columns": tables.MEMBER_COLUMNS,
        "headers": tables.header_links(tables.MEMBER_COLUMNS, sort, tables.MEMBER_UNSORTABLE),
        "page": tables.prefetched_page(tables.with_cells(rows, tables.MEMBER_COLUMNS), total, number),
        "sort": sort,
        "link_query": "?" + urlencode(filters.query()),
        "count": total,
    }


@require_GET
@org_required
def dashboard(request):
    context = _usage_context(request)
    context["view"] = "team"
    if request.membership.can_see_member_spend:
        context["member_table"] = _member_table(request, context["filters"], context["data_version"])
    return render(request, "analytics/dashboard.html", context)


def _member_page(request, member, *, own: bool):
    context = _usage_context(request, member=member)
    context.update(
        {
            "view": "me" if own else "member",
            "subject": member,
            "cycle_spend": selectors.member_cycle_spend(request.organization, member),
        }
    )
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


@require_GET
@org_required(capability=SPEND_CAPABILITY)
def member_detail(request, member_id):
    member = selectors.get_member(request.organization, member_id)
    if member is None:
        raise Http404("No such member.")
    return _member_page(request, member, own=False)


@require_GET
@org_required(capability=SPEND_CAPABILITY)
def members_csv(request):
    filters = parse_range(request.GET, _today())
    sort = tables.clean_sort(
        request.GET.get("sort"), tables.MEMBER_COLUMNS, tables.MEMBER_DEFAULT_SORT, tables.MEMBER_UNSORTABLE
    )
    rows = selectors.member_usage(request.organization, filters.start, filters.end, sort=sort)
    filename = f"ai-usage-by-member-{filters.start}-to-{filters.end}.csv"
    return csv_response(filename, tables.MEMBER_COLUMNS, rows)


def _spend_context(request, overview, form=None) -> dict:
    sort = tables.clean_sort(request.GET.get("sort"), tables.SPEND_COLUMNS, tables.SPEND_DEFAULT_SORT)
    number = tables.page_number(request.GET.get("page"))
    total = overview["member_count"]
    pages = max(1, -(-total // tables.PAGE_SIZE))
    number = min(number, pages)
    rows = selectors.spend_members(
        request.organization,
        overview["snapshot_cycle_start"],
        sort=sort,
        limit=tables.PAGE_SIZE,
        offset=(number - 1) * tables.PAGE_SIZE,
    )
    page = tables.prefetched_page(tables.with_cells(rows, tables.SPEND_COLUMNS), total, number)
    daily = {row["day"]: row for row in overview["daily"]}
    cycle_days = selectors.days_in(overview["cycle_start"], overview["today"])
    series = [{"day": d, "spend_cents": daily.get(d, {}).get("spend_cents") or 0} for d in cycle_days]
    figures = [
        _figure(
            "fig-cycle-spend",
            "Spend this cycle",
            charts.spend_figure(series, charts.cycle_to_date(series, overview["cycle_start"])),
            "Charged usage per day since the cycle began and the running total.",
        )
    ]
    if overview["by_model"]:
        figures.append(
            _figure(
                "fig-model-spend",
                "Spend and cost per request by model",
                charts.model_spend_figure(overview["by_model"]),
                "Charged usage this cycle per model, and the average cost of one request.",
            )
        )
    return {
        "overview": overview,
        "figures": figures,
        "filter_query": {},
        "view_table": {
            "headers": tables.header_links(tables.SPEND_COLUMNS, sort),
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
        "sync": selectors.connection_status(request.organization),
        "is_admin": True,
        "view": "spend",
        "nav_section": "spend",
    }


@require_GET
@org_required(capability=SPEND_CAPABILITY)
def spend_review(request):
    overview = selectors.spend_overview(request.organization, today=_today(), include_members=False)
    return render(request, "analytics/spend_review.html", _spend_context(request, overview))


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
    overview = selectors.spend_overview(org, today=_today(), include_members=False)
    sort = tables.clean_sort(request.GET.get("sort"), tables.SPEND_COLUMNS, tables.SPEND_DEFAULT_SORT)
    rows = selectors.spend_members(org, overview["snapshot_cycle_start"], sort=sort)
    filename = f"ai-spend-cycle-{overview['cycle_start']}.csv"
    return csv_response(filename, tables.SPEND_COLUMNS, rows)


@require_GET
@org_required
def sync_status(request):
    """Progress of the running sync, for the dashboard's small poll. No secrets, no rows."""
    sync = selectors.connection_status(request.organization)
    return JsonResponse(
        {"status": sync["status"], "syncing": sync["syncing"], "percent": sync["percent"]},
    )
