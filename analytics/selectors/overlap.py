"""Which people are active in more than one AI tool: read from ToolDay only (people, not API
keys or seats), so it covers every tool the organization has connected."""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.db import connection

from ..models import Tool, ToolDay, ToolPersonMonth
from .activity_months import Windows


def tool_overlap(org, start: date, end: date) -> dict:
    """People active in start..end by how many tools they used.

    Returns {"people": n active in any tool, "by_count": {1: n, 2: n, 3: n}, "combos":
    [{"tools": ("cursor", "claude_code"), "labels": "Cursor + Claude Code", "people": n}, …]}
    with combos of two or more tools, largest first. Aggregates only: no names.
    """
    tools_of: dict[int, set[str]] = {}
    w = Windows()  # from the per-month activity bitmasks: a row per person, tool and month
    test = w.test(start, end)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT DISTINCT t.person_id, t.tool FROM {ToolPersonMonth._meta.db_table} t
            WHERE t.organization_id = %(org)s AND {w.month_range()} AND {test}
            """,  # nosec B608  # identifiers from model metadata; every value is a bound parameter
            {"org": org.pk, **w.params},
        )
        rows = cursor.fetchall()
    for person_id, tool in rows:
        tools_of.setdefault(person_id, set()).add(tool)
    order = {t: i for i, t in enumerate(Tool.values)}
    by_count = Counter(len(t) for t in tools_of.values())
    combos = Counter(tuple(sorted(t, key=order.get)) for t in tools_of.values() if len(t) > 1)
    return {
        "people": len(tools_of),
        "by_count": {n: by_count.get(n, 0) for n in (1, 2, 3)},
        "combos": [
            {"tools": combo, "labels": " + ".join(Tool(t).label for t in combo), "people": n}
            for combo, n in sorted(combos.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


def person_tools(org, person_id: int | None, start: date, end: date) -> list[dict]:
    """One person's use of every tool in start..end, from ToolDay: active days, accepted
    suggestions, accepted lines, cost (None where the tool reports none) and whether the cost
    is an estimate. Tools the person never used in the range are left out."""
    if person_id is None:
        return []
    from django.db.models import Count, Max, Q, Sum

    rows = (
        # Every tool named, so the (organization, tool, person, day) index answers it.
        ToolDay.objects.filter(
            organization=org, tool__in=list(Tool.values), person_id=person_id, day__range=(start, end)
        )
        .values("tool")
        .annotate(
            active_days=Count("pk", filter=Q(active=True)),
            accepted_suggestions=Sum("accepted_suggestions"),
            accepted_lines=Sum("accepted_lines"),
            cost_cents=Sum("cost_cents"),
            estimate=Count("pk", filter=Q(cost_is_estimate=True)),
            last_day=Max("day", filter=Q(active=True)),
        )
        .order_by()
    )
    order = {t: i for i, t in enumerate(Tool.values)}
    return sorted(
        (
            {**r, "estimate": bool(r["estimate"]), "label": Tool(r["tool"]).label}
            for r in rows
            if r["active_days"]
        ),
        key=lambda r: order.get(r["tool"], 99),
    )
