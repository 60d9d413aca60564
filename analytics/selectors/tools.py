"""Reads for the Tools page: each tool side by side, the people holding seats in two tools, and
Copilot's idle seats.

The cross-tool figures (active people, lines, usage cost, the trend) read `ToolDay` /
`ToolOrgDay`. Seats and each tool's acceptance rate are the tools' own mechanics, read from
their own tables and labelled with their own definitions. Every query filters by organization.
Seat prices are handed in (`SeatPrice`): the web layer knows where an admin set them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from ..models import (
    CopilotDayTotals,
    CopilotSeat,
    CursorMember,
    OrgDailyRollup,
    Tool,
    ToolOrgDay,
)
from . import claude_code
from .activity import distinct_active_by_tool
from .seat_lists import IDLE_WINDOWS, OVERLAP_WINDOW_DAYS, copilot_idle_seats, seat_overlap
from .tool_reads import COMPARED_TOOLS, _org_days, _seats_and_acceptance

__all__ = [
    "ACCEPTANCE", "COMPARED_TOOLS", "IDLE_WINDOWS", "MODEL_MIX", "OVERLAP_WINDOW_DAYS", "SEAT_COUNTS", "SeatPrice",
    "acceptance", "copilot_idle_seats", "model_mix", "seat_overlap", "tool_daily", "tool_summaries",
]  # fmt: skip
ZERO = Decimal(0)


@dataclass(frozen=True)
class SeatPrice:
    """A monthly seat price in cents; `estimate` when it is a list-price default, not the
    organization's own figure."""

    cents: int
    estimate: bool
    note: str = ""


# -- seats and acceptance: each tool's own ------------------------------------------------------


SEAT_COUNTS: dict[str, Callable] = {
    Tool.CURSOR: lambda org: CursorMember.objects.filter(
        organization=org, is_removed=False, not_in_roster=False
    ).count(),
    Tool.COPILOT: lambda org: CopilotSeat.objects.filter(organization=org, removed_at__isnull=True).count(),
    Tool.CLAUDE_CODE: claude_code.seat_count,
}


def _cursor_acceptance(org, start: date, end: date):
    sums = OrgDailyRollup.objects.filter(organization=org, day__range=(start, end)).aggregate(
        a=Sum("accepts"), r=Sum("rejects")
    )
    accepted, rejected = sums["a"] or 0, sums["r"] or 0
    return (accepted / (accepted + rejected)) if accepted + rejected else None


def _copilot_acceptance(org, start: date, end: date):
    sums = CopilotDayTotals.objects.filter(organization=org, day__range=(start, end)).aggregate(
        a=Sum("acceptances"), g=Sum("generations")
    )
    accepted, generated = sums["a"] or 0, sums["g"] or 0
    return (accepted / generated) if generated else None


# tool → (reader, the definition shown beside the rate)
ACCEPTANCE: dict[str, tuple[Callable, str]] = {
    Tool.CURSOR: (_cursor_acceptance, "accepted ÷ (accepted + rejected) agent and chat suggestions"),
    Tool.COPILOT: (_copilot_acceptance, "accept actions ÷ code generations"),
    Tool.CLAUDE_CODE: (claude_code.acceptance, claude_code.ACCEPTANCE_DEFINITION),
}


# -- per tool -----------------------------------------------------------------------------------


def tool_summaries(
    org, start: date, end: date, *, prices: dict[str, SeatPrice], overlap: dict | None = None
) -> list[dict]:
    """One row per tool the organization has data for (seats or facts), in COMPARED_TOOLS order.

    Each: seats, active_people (distinct people active in start..end), usage_cents (the
    tool's charged or estimated usage), seat_cents (seats × monthly price, prorated to the
    range), cost_per_active_cents ((seats + usage) ÷ active people, None without activity),
    cost_is_estimate, acceptance_rate + acceptance_definition, accepted_lines, suggested_lines,
    requests, trend ({day: active people}). Three queries whatever the number of tools;
    two given `overlap`, the range's `tool_overlap` (its people per tool are the active ones).
    """
    days = (end - start).days + 1
    sums, trends = _org_days(org, start, end)
    seat_counts, rates = _seats_and_acceptance(org, start, end)
    if overlap is not None:
        active_people = overlap["by_tool"]
    else:
        active_people = distinct_active_by_tool(org, start, end, COMPARED_TOOLS)
    rows = []
    for tool in COMPARED_TOOLS:
        seats = seat_counts[tool]
        if not seats and tool not in sums:
            continue
        s = sums.get(tool, {})
        active = active_people.get(tool, 0)
        price = prices[tool]
        seat_cents = Decimal(seats * price.cents * days) / 30
        usage = s.get("usage")
        total = seat_cents + (usage or ZERO)
        rows.append(
            {
                "tool": tool,
                "label": Tool(tool).label,
                "seats": seats,
                "active_people": active,
                "active_share": (active / seats) if seats else None,
                "usage_cents": usage,
                "seat_cents": seat_cents,
                "seat_price": price,
                "cost_cents": total,
                "cost_per_active_cents": (total / active) if active else None,
                "cost_is_estimate": price.estimate or bool(s.get("estimate")),
                "acceptance_rate": rates[tool],
                "acceptance_definition": ACCEPTANCE[tool][1],
                "accepted_lines": s.get("accepted_lines"),
                "suggested_lines": s.get("suggested_lines"),
                "requests": s.get("requests"),
                "trend": trends.get(tool, {}),
            }
        )
    return rows


# -- the dashboard's tool switch ----------------------------------------------------------------


def tool_daily(org, start: date, end: date, tools) -> dict[str, dict[date, dict]]:
    """tool → day → {active_people, requests, cost_cents} from ToolOrgDay (sparse: a day a
    tool has no facts for is absent, so a chart shows a gap rather than a zero)."""
    result: dict[str, dict[date, dict]] = {tool: {} for tool in tools}
    rows = ToolOrgDay.objects.filter(organization=org, tool__in=list(tools), day__range=(start, end)).values(
        "tool", "day", "active_people", "requests", "cost_cents"
    )
    for row in rows:
        result[row["tool"]][row["day"]] = row
    return result


def _cursor_models(org, start: date, end: date) -> list[dict]:
    from .model_usage import model_usage

    return [
        {"model": m["model"] or "unknown", "count": m["usage_events"], "unit": "requests"}
        for m in model_usage(org, start, end, with_users=False)
    ]


def _copilot_models(org, start: date, end: date) -> list[dict]:
    from ..models import CopilotUserDayBreakdown

    rows = (
        CopilotUserDayBreakdown.objects.filter(organization=org, dimension="model", day__range=(start, end))
        .values("value")
        .annotate(count=Sum("interactions"))
        .order_by("-count", "value")
    )
    return [{"model": r["value"], "count": r["count"] or 0, "unit": "chat prompts"} for r in rows]


# tool → its model mix (each tool counts in its own unit)
MODEL_MIX: dict[str, Callable] = {
    Tool.CURSOR: _cursor_models,
    Tool.COPILOT: _copilot_models,
    Tool.CLAUDE_CODE: claude_code.model_mix,
}


def model_mix(org, start: date, end: date, tool: str) -> list[dict]:
    return MODEL_MIX[tool](org, start, end)


def acceptance(org, start: date, end: date, tool: str) -> tuple[float | None, str]:
    reader, definition = ACCEPTANCE[tool]
    return reader(org, start, end), definition
