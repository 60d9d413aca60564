"""Per-model reads: the model filter's choices, the model mix and per-day model counters.

Team-wide sums come from ModelDailyRollup. The model rollup has no member dimension, so a
member's figures come from their own usage events (the (organization, member, day) index
keeps that one query small). Every query filters by organization.
"""

from datetime import date

from django.db.models import Count, Sum

from ..models import ModelDailyRollup, UsageEvent
from .fields import EVENT_FIELDS, ZERO, event_aggregates, pk


def event_counters(org, start: date, end: date, *, member=None, model=None, by=("day", "model")):
    """EVENT_FIELDS summed per `by` columns over start..end (sparse: no zero rows)."""
    if member is None:
        qs = ModelDailyRollup.objects.filter(organization=org, day__range=(start, end))
        aggregates = {f: Sum(f) for f in EVENT_FIELDS}
    else:
        qs = UsageEvent.objects.filter(organization=org, member=pk(member), day__range=(start, end))
        aggregates = event_aggregates()
    if model is not None:
        qs = qs.filter(model=model)
    return qs.values(*by).annotate(**aggregates)


def available_models(org) -> list[str]:
    """Models seen in the organization's usage, for the model filter."""
    return list(
        ModelDailyRollup.objects.filter(organization=org)
        .exclude(model="")
        .values_list("model", flat=True)
        .distinct()
        .order_by("model")
    )


def _model_total(model, usage_events=0, request_cost_units=ZERO, spend_cents=ZERO, users=None) -> dict:
    return {
        "model": model,
        "usage_events": usage_events or 0,
        "request_cost_units": request_cost_units or ZERO,
        "users": users,
        "spend_cents": spend_cents or ZERO,
    }


def model_usage(org, start: date, end: date, *, member=None, with_users: bool = True) -> list[dict]:
    """Per model over the range: usage_events, request_cost_units, users, spend_cents.

    `users` is the number of distinct members over the whole range, which a daily rollup
    cannot give: it is one aggregate over UsageEvent (scoped by organization and day).
    Pages that only chart the mix pass `with_users=False` and get `users=None`. With
    `member`, everything comes from that member's own events and `users` is 1.
    """
    rows = event_counters(org, start, end, member=member, by=("model",)).order_by()
    users = {}
    if with_users and member is None:
        users = dict(
            UsageEvent.objects.filter(organization=org, day__range=(start, end))
            .values("model")
            .annotate(users=Count("member_id", distinct=True))
            .order_by()
            .values_list("model", "users")
        )
    result = []
    for row in rows:
        count = None
        if with_users:
            count = 1 if member is not None else users.get(row["model"], 0)
        result.append(_model_total(users=count, **row))
    result.sort(key=lambda r: (-r["usage_events"], r["model"]))
    return result


def model_daily_usage(org, start: date, end: date, *, member=None) -> list[dict]:
    """Per (day, model): usage_events, request_cost_units, spend_cents. Sparse: no zero rows."""
    return list(event_counters(org, start, end, member=member).order_by("day", "model"))


def models_from_daily(rows: list[dict]) -> list[dict]:
    """Fold `model_daily_usage` rows into per-model totals, sorted by usage events desc
    (the shape of `model_usage` with users=None), so a page needs no second query."""
    totals = {}
    for row in rows:
        t = totals.setdefault(row["model"], _model_total(row["model"]))
        t["usage_events"] += row["usage_events"] or 0
        t["request_cost_units"] += row["request_cost_units"] or ZERO
        t["spend_cents"] += row["spend_cents"] or ZERO
    return sorted(totals.values(), key=lambda r: (-r["usage_events"], r["model"]))
