"""Unified usage metering: one record shape for every AI coding product.

A record is `{period, product, group_by, key, metrics}` with metrics
`{usage_events, request_cost_units, tokens {input, output, cache_read, cache_write},
cost_cents, active_users}`. The organization-wide and per-user records of every tool come
from the tool-neutral ToolDay facts (product = tool); groups only a tool's own tables know
(model, billing kind) come from that tool's source in `METERING_SOURCES`. A new tool that
writes ToolDay rows shows up without changing the API's shape.

Metering counts billed requests (Cursor's usage events): `active_users` is the number of
distinct people with at least one billed request in the period and group. Periods without events
produce no record. Every query here is scoped by organization in its WHERE clause.
"""

from collections.abc import Callable
from datetime import date

from django.db.models import Count, DateField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, NullIf, TruncMonth, TruncWeek

from ..models import ModelDailyRollup, Tool, ToolDay, UsageEvent

GRAINS = ("day", "week", "month")
GROUPS = ("user", "model", "kind")

# (metric name in the record, rollup column)
_SUMMED = [
    ("usage_events", "usage_events"),
    ("request_cost_units", "request_cost_units"),
    ("input", "input_tokens"),
    ("output", "output_tokens"),
    ("cache_read", "cache_read_tokens"),
    ("cache_write", "cache_write_tokens"),
    ("cost_cents", "spend_cents"),
]


# The same metrics as ToolDay columns.
_TOOL_DAY_SUMMED = [
    ("usage_events", "billed_requests"),
    ("request_cost_units", "request_units"),
    ("input", "input_tokens"),
    ("output", "output_tokens"),
    ("cache_read", "cache_read_tokens"),
    ("cache_write", "cache_write_tokens"),
    ("cost_cents", "cost_cents"),
]


def _period(grain: str):
    if grain == "day":
        return F("day")
    trunc = {"week": TruncWeek, "month": TruncMonth}[grain]
    return trunc("day", output_field=DateField())


def _sums(columns=_SUMMED):
    return {f"m_{name}": Sum(column) for name, column in columns}


def _record(product, group_by, row, active_users, *, nullable=False) -> dict:
    """`nullable`: a metric the product does not report (all NULL in ToolDay) stays None."""

    def metric(name):
        value = row[f"m_{name}"]
        if value is None:
            return None if nullable else 0
        return value

    return {
        "period": row["period"],
        "product": product,
        "group_by": group_by,
        "key": row.get("key"),
        "metrics": {
            "usage_events": metric("usage_events"),
            "request_cost_units": metric("request_cost_units"),
            "tokens": {
                "input": metric("input"),
                "output": metric("output"),
                "cache_read": metric("cache_read"),
                "cache_write": metric("cache_write"),
            },
            "cost_cents": metric("cost_cents"),
            "cost_is_estimate": bool(row.get("estimate")),
            "active_users": active_users,
        },
    }


def person_metering(
    organization, start: date, end: date, *, grain: str, by_user: bool, products=None, person_ids=None
) -> list[dict]:
    """Every tool's records for the whole organization or per person, from ToolDay: the
    person-days that carry billed requests give both the sums and the distinct people; for a
    tool that meters no requests (Copilot: `billed_requests` NULL), its active person-days.
    A metric the tool does not report is None (null), never 0. `person_ids` keeps only those
    people (a team filter); None keeps everyone."""
    rows = ToolDay.objects.filter(organization=organization, day__range=(start, end)).filter(
        Q(billed_requests__gt=0) | Q(billed_requests__isnull=True, active=True)
    )
    if products:
        rows = rows.filter(tool__in=products)
    if person_ids is not None:
        rows = rows.filter(person_id__in=person_ids)
    rows = rows.annotate(period=_period(grain))
    keys = ["period", "tool"]
    if by_user:
        # A person known only by a GitHub login (no email yet) is keyed by the login.
        rows = rows.annotate(key=Coalesce(NullIf("person__primary_email", Value("")), "person__github_login"))
        keys.append("key")
    rows = rows.values(*keys).annotate(
        **_sums(_TOOL_DAY_SUMMED),
        active=Count("person_id", distinct=True),
        estimate=Count("pk", filter=Q(cost_is_estimate=True)),
    )
    group_by = "user" if by_user else None
    return [
        _record(row["tool"], group_by, row, row["active"], nullable=row["tool"] != Tool.CURSOR)
        for row in rows.order_by(*keys)
    ]


def cursor_model_metering(organization, start: date, end: date, *, grain: str, group_by: str) -> list[dict]:
    """Cursor's records by model or billing kind: sums from the model rollup, distinct members
    from the events (a per-day distinct count cannot be added up into a per-week one)."""
    period = _period(grain)
    column = {"model": "model", "kind": "kind"}[group_by]
    sums = (
        ModelDailyRollup.objects.filter(organization=organization, day__range=(start, end))
        .annotate(period=period, key=F(column))
        .values("period", "key")
        .annotate(**_sums())
        .order_by("period", "key")
    )
    users = (
        UsageEvent.objects.filter(organization=organization, day__range=(start, end))
        .annotate(period=period, key=F(column))
        .values("period", "key")
        .annotate(active=Count("member_id", distinct=True))
    )
    active = {(u["period"], u["key"]): u["active"] for u in users}
    return [
        _record(Tool.CURSOR.value, group_by, row, active.get((row["period"], row["key"]), 0)) for row in sums
    ]


# Per tool, the records for the groups only that tool's own tables know (model, kind).
MeteringSource = Callable[..., list[dict]]
METERING_SOURCES: dict[str, MeteringSource] = {Tool.CURSOR.value: cursor_model_metering}


def _claude_code_model_metering(*args, **kwargs) -> list[dict]:
    from .claude_code import model_metering  # imported late: claude_code reads this module too

    return model_metering(*args, **kwargs)


METERING_SOURCES[Tool.CLAUDE_CODE.value] = _claude_code_model_metering


def usage_metering(
    organization,
    start: date,
    end: date,
    *,
    grain: str = "day",
    group_by=None,
    product: str | None = None,
    person_ids=None,
) -> list[dict]:
    """Metering records of every product (or only `product`) for the UTC days start..end
    inclusive. Model and kind groups exist only for products with a source of their own.
    `person_ids`: only those people's records, for no grouping or per user."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}")
    if group_by is not None and group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")
    if product is not None and product not in Tool.values:
        raise ValueError(f"product must be one of {', '.join(Tool.values)}")
    products = [product] if product else None
    if group_by in (None, "user"):
        records = person_metering(
            organization,
            start,
            end,
            grain=grain,
            by_user=group_by == "user",
            products=products,
            person_ids=person_ids,
        )
    elif person_ids is not None:
        raise ValueError("a people filter applies to the totals and group_by=user only")
    else:
        records = []
        for name, source in METERING_SOURCES.items():
            if products is None or name in products:
                records.extend(source(organization, start, end, grain=grain, group_by=group_by))
    records.sort(key=lambda r: (r["period"], r["product"], r["key"] or ""))
    return records
