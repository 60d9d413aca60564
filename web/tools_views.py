"""The Tools page (every AI tool side by side, overlapping seats, idle Copilot seats), its CSV
and the Copilot seat price. Kept apart from web/views.py.

Everyone in the organization sees the per-tool aggregates; the per-person overlap, idle seats,
CSV and price form need `can_see_member_spend` (the figures name people and what they cost).
"""

from datetime import UTC

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from analytics.models import Tool
from integrations.copilot import services as copilot
from integrations.models import Provider
from integrations.seat_prices import LOOK_UP, seat_prices
from koalr.accounts.tenancy import org_required

from .exports import csv_response
from .forms import SeatPriceForm, parse_range
from .freshness import chart_provisional, page_freshness
from .pages import render_charts, tools

SPEND_CAPABILITY = "can_see_member_spend"
ROWS_SHOWN = 100  # rows of the per-person lists the page shows (the CSV and the API have all)


def _today():
    return timezone.now().astimezone(UTC).date()


def _context(request, form=None) -> dict:
    org = request.organization
    filters = parse_range(request.GET, _today())
    per_person = request.membership.can_see_member_spend
    freshness = page_freshness(request)
    connection = freshness.connections.get(Provider.COPILOT)  # read with the freshness line
    prices = seat_prices(org, connection)
    data = tools.load(
        org, filters.start, filters.end, _today(), prices=prices, per_person=per_person, rows=ROWS_SHOWN
    )
    return {
        "data": data,
        "filters": filters,
        "filter_query": filters.query(),
        "presets": ["7", "30", "90"],
        "figures": render_charts(tools.CHARTS, data, chart_provisional(freshness, tool=None)),
        "freshness": freshness,
        "overlap_columns": tools.OVERLAP_COLUMNS,
        "copilot_price_form": form
        or SeatPriceForm(initial={"seat_price": f"{prices[Tool.COPILOT].cents / 100:.2f}"}),
        "copilot_connected": connection is not None,
        "is_admin": per_person,
        "view": "tools",
        "nav_section": "analytics",
    }


@require_GET
@org_required
def tools_page(request):
    return render(request, "analytics/tools.html", _context(request))


@require_GET
@org_required(capability=SPEND_CAPABILITY)
def overlap_csv(request):
    org = request.organization
    overlap = tools.seat_overlap(org, _today(), prices=seat_prices(org))
    return csv_response(f"seats-in-both-tools-{overlap['end']}.csv", tools.OVERLAP_COLUMNS, overlap["rows"])


@require_POST
@org_required(capability=SPEND_CAPABILITY)
def copilot_seat_price(request):
    connection = copilot.copilot_connection(request.organization)
    if connection is None:
        raise Http404("GitHub Copilot is not connected.")
    form = SeatPriceForm(request.POST)
    if not form.is_valid():
        return render(request, "analytics/tools.html", _context(request, form), status=400)
    copilot.set_seat_price(connection, request.user, form.cleaned_data["seat_price"])
    messages.success(
        request, f"Copilot seat price set to ${form.cleaned_data['seat_price'] / 100:,.2f} per month."
    )
    return redirect(reverse("analytics:tools") + "#overlap")


def compare_dashboard(request):
    """The dashboard with the tool switch on Copilot or All (web.views.dashboard delegates here)."""
    from .pages import tool_switch

    org = request.organization
    filters = parse_range(request.GET, _today())
    choice = tool_switch.parse_tool(request.GET.get("tool"))
    data = tool_switch.load(org, filters.start, filters.end, choice)
    freshness = page_freshness(request)
    # One tool: its own window; All tools: each trace its tool's window, by trace name.
    provisional = chart_provisional(freshness, tool=None if choice == "all" else choice)
    return render(
        request,
        "analytics/dashboard_tools.html",
        {
            "data": data,
            "filters": filters,
            "tool": choice,
            "tool_choices": tool_switch.CHOICES,
            "presets": ["7", "30", "90"],
            "figures": render_charts(tool_switch.CHARTS, data, provisional),
            "freshness": freshness,
            "is_admin": request.membership.can_see_member_spend,
            "view": "team",
            "nav_section": "analytics",
        },
    )


def copilot_idle_for(org, today, connection=LOOK_UP):
    """Copilot's idle seats for the spend review (the first ROWS_SHOWN, with every seat's
    counts), or None when Copilot is not connected. `connection`: the Copilot connection (or
    None) when the caller has it already."""
    from analytics.selectors.tools import copilot_idle_seats

    if connection is LOOK_UP:
        connection = copilot.copilot_connection(org)
    if connection is None:
        return None
    price = seat_prices(org, connection)[Tool.COPILOT]
    return copilot_idle_seats(org, today, price=price, limit=ROWS_SHOWN)
