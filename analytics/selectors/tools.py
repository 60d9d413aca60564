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
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import Sum

from ..models import (
    CopilotSeat,
    CopilotUserDay,
    CursorMember,
    OrgDailyRollup,
    Tool,
    ToolOrgDay,
)
from . import claude_code
from .activity import distinct_active_by_tool
from .tool_reads import COMPARED_TOOLS, _active_days, _org_days, _seat_people, _seats_and_acceptance

OVERLAP_WINDOW_DAYS = 30
IDLE_WINDOWS = (14, 30)
ZERO = Decimal(0)


@dataclass(frozen=True)
class SeatPrice:
    """A monthly seat price in cents; `estimate` when it is a list-price default, not the
    organization's own figure."""

    cents: int
    estimate: bool
    note: str = ""


# -- seats and acceptance: each tool's own ------------------------------------------------------


def _cursor_seat_people(org) -> dict[int, int]:
    """person id → Cursor member id, for listed members who are not removed."""
    rows = CursorMember.objects.filter(
        organization=org, is_removed=False, not_in_roster=False, person__isnull=False
    ).values_list("person_id", "id")
    return dict(rows)


def _copilot_seat_people(org) -> dict[int, str]:
    rows = CopilotSeat.objects.filter(
        organization=org, removed_at__isnull=True, person__isnull=False
    ).values_list("person_id", "login")
    return dict(rows)


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
    sums = CopilotUserDay.objects.filter(organization=org, day__range=(start, end)).aggregate(
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


def tool_summaries(org, start: date, end: date, *, prices: dict[str, SeatPrice]) -> list[dict]:
    """One row per tool the organization has data for (seats or facts), in COMPARED_TOOLS order.

    Each: seats, active_people (distinct people active in start..end), usage_cents (the
    tool's charged or estimated usage), seat_cents (seats × monthly price, prorated to the
    range), cost_per_active_cents ((seats + usage) ÷ active people, None without activity),
    cost_is_estimate, acceptance_rate + acceptance_definition, accepted_lines, suggested_lines,
    requests, trend ({day: active people}). Three queries whatever the number of tools.
    """
    days = (end - start).days + 1
    sums, trends = _org_days(org, start, end)
    seat_counts, rates = _seats_and_acceptance(org, start, end)
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


# -- overlap ------------------------------------------------------------------------------------


def seat_overlap(
    org, today: date, *, prices: dict[str, SeatPrice], window_days: int = OVERLAP_WINDOW_DAYS
) -> dict:
    """People holding a seat in both Cursor and Copilot, which one they used in the last
    `window_days` UTC days (today included), and the monthly saving from dropping the unused
    seat (both seats when neither was used).

    Returns {"rows": [...], "people": n, "saving_cents": total, "start", "end"}; each row:
    person_id, name, email, github_login, cursor_days, copilot_days, cursor_last, copilot_last,
    uses ("both", "cursor", "copilot", "neither"), drop ("", "copilot", "cursor", "both"),
    saving_cents.
    """
    start = today - timedelta(days=window_days - 1)
    cursor, copilot, people = _seat_people(org)
    both = sorted(cursor.keys() & copilot.keys())
    activity = _active_days(org, both, start, today)
    rows, saving = [], 0
    for pid in both:
        c = activity.get((pid, Tool.CURSOR), {})
        g = activity.get((pid, Tool.COPILOT), {})
        cursor_days, copilot_days = c.get("days", 0), g.get("days", 0)
        if cursor_days and copilot_days:
            uses, drop, cents = "both", "", 0
        elif cursor_days:
            uses, drop, cents = "cursor", "copilot", prices[Tool.COPILOT].cents
        elif copilot_days:
            uses, drop, cents = "copilot", "cursor", prices[Tool.CURSOR].cents
        else:
            uses, drop, cents = "neither", "both", prices[Tool.COPILOT].cents + prices[Tool.CURSOR].cents
        name, email = people[pid]
        rows.append(
            {
                "person_id": pid,
                "name": name,
                "email": email,
                "github_login": copilot[pid],
                "cursor_days": cursor_days,
                "copilot_days": copilot_days,
                "cursor_last": c.get("last"),
                "copilot_last": g.get("last"),
                "uses": uses,
                "drop": drop,
                "saving_cents": cents,
            }
        )
        saving += cents
    rows.sort(key=lambda r: (-r["saving_cents"], r["name"].lower()))
    return {"rows": rows, "people": len(rows), "saving_cents": saving, "start": start, "end": today}


# -- Copilot idle seats -------------------------------------------------------------------------


def copilot_idle_seats(org, today: date, *, price: SeatPrice) -> dict:
    """Copilot seats without activity for 14 / 30 days by GitHub's `last_activity_at` (a seat
    never used counts from when it was granted). Each row: login, person, last_activity_at,
    idle_days (the longest window), pending_cancellation_date."""
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
    idle = {days: [] for days in IDLE_WINDOWS}
    seats = (
        CopilotSeat.objects.filter(organization=org, removed_at__isnull=True)
        .select_related("person")
        .order_by("last_activity_at", "login")
    )
    for seat in seats:
        since = seat.last_activity_at or seat.seat_created_at
        if since is None:
            continue
        windows = [days for days in IDLE_WINDOWS if since <= now - timedelta(days=days)]
        if not windows:
            continue
        row = {
            "login": seat.login,
            "name": seat.person.display_name if seat.person else seat.login,
            "last_activity_at": seat.last_activity_at,
            "idle_days": max(windows),
            "pending_cancellation_date": seat.pending_cancellation_date,
        }
        for days in windows:
            idle[days].append(row)
    return {
        "idle_14": idle[14],
        "idle_30": idle[30],
        "monthly_saving_cents": sum(price.cents for r in idle[30] if not r["pending_cancellation_date"]),
    }


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
