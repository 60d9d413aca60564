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
    with combos of two or more tools, largest first, and "by_tool": {tool: distinct people
    active in it} (a tool nobody used is absent; `tool_summaries` reads it instead of counting
    again). Aggregates only: no names.

    Counted in SQL from the per-month activity bitmasks: each person's tools as one bit per
    tool (the sum of each tool's bit, once), then people per combination: a row per
    combination comes back (at most 7), whatever the number of people.
    """
    w = Windows()  # from the per-month activity bitmasks: a row per person, tool and month
    test = w.test(start, end)
    bit = {tool: 1 << i for i, tool in enumerate(Tool.values)}
    params = {"org": org.pk, **{f"tool_{i}": tool for i, tool in enumerate(Tool.values)}}
    combo = " + ".join(
        f"MAX(CASE WHEN t.tool = %(tool_{i})s THEN {bit[tool]} ELSE 0 END)"
        for i, tool in enumerate(Tool.values)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT p.combo, COUNT(*) FROM (
                SELECT t.person_id, {combo} AS combo FROM {ToolPersonMonth._meta.db_table} t
                WHERE t.organization_id = %(org)s AND {w.month_range()} AND {test}
                GROUP BY t.person_id
            ) p
            GROUP BY p.combo
            """,  # nosec B608  # identifiers from model metadata, bits from code constants; every value is a bound parameter
            {**params, **w.params},
        )
        rows = cursor.fetchall()
    people, by_count, by_tool, combos = 0, Counter(), Counter(), []
    for mask, n in rows:
        tools = tuple(tool for tool in Tool.values if mask & bit[tool])  # in Tool order
        people += n
        by_tool.update(dict.fromkeys(tools, n))
        by_count[len(tools)] += n
        if len(tools) > 1:
            combos.append((tools, n))
    return {
        "people": people,
        "by_count": {k: by_count.get(k, 0) for k in (1, 2, 3)},
        "combos": [
            {"tools": tools, "labels": " + ".join(Tool(t).label for t in tools), "people": n}
            for tools, n in sorted(combos, key=lambda kv: (-kv[1], kv[0]))
        ],
        "by_tool": dict(by_tool),
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
