"""Reads for the dashboard, the spend review and the REST API.

Invariants:
- every query here filters by organization in its WHERE clause (a member or model passed
  in narrows that further, it never replaces it: another organization's member yields
  nothing);
- charts and headline figures read the daily rollups (OrgDailyRollup, MemberDailyRollup,
  ModelDailyRollup), so each selector costs a constant number of queries whatever the
  number of members or days;
- days are UTC `date`s, ranges are inclusive, money is `Decimal` cents.

Per-member reads live in `selectors_members.py`, spend-cycle reads in `selectors_spend.py`;
both are re-exported here so callers import from one place.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum

from .models import AiCommit, MemberDailyRollup, ModelDailyRollup, OrgDailyRollup, UsageEvent

# Counters Cursor reports in its daily usage data: not broken down by model.
DAILY_FIELDS = (
    "agent_requests",
    "chat_requests",
    "composer_requests",
    "cmdk_usages",
    "tabs_shown",
    "tabs_accepted",
    "accepts",
    "rejects",
    "total_lines_added",
    "accepted_lines_added",
)
# Counters computed from usage events: the only ones a model filter narrows.
EVENT_FIELDS = ("usage_events", "request_cost_units", "spend_cents")
DECIMAL_FIELDS = frozenset({"request_cost_units", "spend_cents"})
SERIES_FIELDS = ("active_users",) + DAILY_FIELDS + EVENT_FIELDS
ZERO = Decimal(0)


def days_in(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length that ends the day before `start`."""
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _pk(obj):
    return getattr(obj, "pk", obj)


def _zero_row(day: date) -> dict:
    row = {"day": day}
    for field in SERIES_FIELDS:
        row[field] = ZERO if field in DECIMAL_FIELDS else 0
    return row


def _model_event_rows(org, start, end, model, member=None):
    """Per-day event counters for one model: from ModelDailyRollup, or for one member from
    that member's usage events (the model rollup has no member dimension; the
    (organization, member, day) index keeps this one query small)."""
    if member is None:
        qs = ModelDailyRollup.objects.filter(organization=org, model=model, day__range=(start, end))
        aggregates = {f: Sum(f) for f in EVENT_FIELDS}
    else:
        qs = UsageEvent.objects.filter(
            organization=org, member=_pk(member), model=model, day__range=(start, end)
        )
        aggregates = {
            "usage_events": Count("id"),
            "request_cost_units": Sum("requests_costs"),
            "spend_cents": Sum("charged_cents"),
        }
    return {r["day"]: r for r in qs.values("day").annotate(**aggregates).order_by()}


def daily_series(org, start: date, end: date, *, member=None, model: str | None = None) -> list[dict]:
    """One dict per day start..end inclusive, zero-filled.

    `member` (a CursorMember of `org`, or its id) reads MemberDailyRollup; `active_users`
    is then 1 on the member's active days.
    `model` narrows only the event-based fields (usage_events, request_cost_units,
    spend_cents); the other counters come from Cursor's daily usage data, which is not
    broken down by model, and stay unfiltered.
    """
    if member is None:
        qs = OrgDailyRollup.objects.filter(organization=org, day__range=(start, end)).values(
            "day", "active_users", *DAILY_FIELDS, *EVENT_FIELDS
        )
    else:
        qs = MemberDailyRollup.objects.filter(
            organization=org, member=_pk(member), day__range=(start, end)
        ).values("day", "is_active", *DAILY_FIELDS, *EVENT_FIELDS)
    stored = {}
    for row in qs:
        if "is_active" in row:
            row["active_users"] = int(row.pop("is_active"))
        stored[row["day"]] = row
    model_rows = _model_event_rows(org, start, end, model, member) if model else None

    series = []
    for day in days_in(start, end):
        row = _zero_row(day)
        row.update(stored.get(day, {}))
        if model_rows is not None:
            found = model_rows.get(day, {})
            for field in EVENT_FIELDS:
                default = ZERO if field in DECIMAL_FIELDS else 0
                row[field] = found.get(field) or default
        series.append(row)
    return series


def available_models(org) -> list[str]:
    """Models seen in the organization's usage, for the model filter."""
    return list(
        ModelDailyRollup.objects.filter(organization=org)
        .exclude(model="")
        .values_list("model", flat=True)
        .distinct()
        .order_by("model")
    )


def model_usage(org, start: date, end: date, *, member=None, with_users: bool = True) -> list[dict]:
    """Per model over the range: usage_events, request_cost_units, users, spend_cents.

    Sums come from ModelDailyRollup. `users` is the number of distinct members over the
    whole range, which a daily rollup cannot give: it is one aggregate over UsageEvent
    (scoped by organization and day). Pages that only chart the mix pass
    `with_users=False` and get `users=None`. With `member`, everything comes from that
    member's own events and `users` is 1.
    """
    if member is None:
        rows = (
            ModelDailyRollup.objects.filter(organization=org, day__range=(start, end))
            .values("model")
            .annotate(
                usage_events=Sum("usage_events"),
                request_cost_units=Sum("request_cost_units"),
                spend_cents=Sum("spend_cents"),
            )
            .order_by()
        )
        users = {}
        if with_users:
            users = dict(
                UsageEvent.objects.filter(organization=org, day__range=(start, end))
                .values("model")
                .annotate(users=Count("member_id", distinct=True))
                .order_by()
                .values_list("model", "users")
            )
    else:
        rows = (
            UsageEvent.objects.filter(organization=org, member=_pk(member), day__range=(start, end))
            .values("model")
            .annotate(
                usage_events=Count("id"),
                request_cost_units=Sum("requests_costs"),
                spend_cents=Sum("charged_cents"),
            )
            .order_by()
        )
        users = None
    result = []
    for row in rows:
        result.append(
            {
                "model": row["model"],
                "usage_events": row["usage_events"] or 0,
                "request_cost_units": row["request_cost_units"] or ZERO,
                "users": (1 if users is None else users.get(row["model"], 0)) if with_users else None,
                "spend_cents": row["spend_cents"] or ZERO,
            }
        )
    result.sort(key=lambda r: (-r["usage_events"], r["model"]))
    return result


def model_daily_usage(org, start: date, end: date, *, member=None) -> list[dict]:
    """Usage events per (day, model), for the model trend chart. Sparse: no zero rows."""
    if member is None:
        qs = ModelDailyRollup.objects.filter(organization=org, day__range=(start, end))
        counter = Sum("usage_events")
    else:
        qs = UsageEvent.objects.filter(organization=org, member=_pk(member), day__range=(start, end))
        counter = Count("id")
    return list(qs.values("day", "model").annotate(usage_events=counter).order_by("day", "model"))


def ai_code_daily(org, start: date, end: date) -> list[dict]:
    """Committed lines per day from AI Code Tracking (Enterprise); [] when there is none.

    Commits are far fewer than usage events, so one aggregate over them is cheap.
    """
    return list(
        AiCommit.objects.filter(organization=org, day__range=(start, end))
        .values("day")
        .annotate(
            commits=Count("id"),
            total_lines_added=Sum("total_lines_added"),
            tab_lines_added=Sum("tab_lines_added"),
            composer_lines_added=Sum("composer_lines_added"),
            non_ai_lines_added=Sum("non_ai_lines_added"),
        )
        .order_by("day")
    )


# --- headline figures ------------------------------------------------------------------


def _figure(value, previous, *, rate=False) -> dict:
    """A headline figure and its change against the previous period.

    For rates `change` is in percentage points (as a fraction) and `change_pct` is None.
    """
    if value is None or previous is None:
        change = None
    else:
        change = value - previous
    change_pct = None
    if not rate and change is not None and previous:
        change_pct = float(change) / float(previous) * 100
    return {"value": value, "previous": previous, "change": change, "change_pct": change_pct}


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else None


def _period_sums(org, start, end, prev_start, member, model):
    """Sums of every counter for the period and the previous one, in one query (two with
    a model filter)."""
    fields = DAILY_FIELDS + EVENT_FIELDS
    aggregates = {}
    for field in fields:
        aggregates[f"cur_{field}"] = Sum(field, filter=Q(day__gte=start))
        aggregates[f"prev_{field}"] = Sum(field, filter=Q(day__lt=start))
    if member is None:
        qs = OrgDailyRollup.objects.filter(organization=org, day__range=(prev_start, end))
        aggregates["cur_active"] = Sum("active_users", filter=Q(day__gte=start))
        aggregates["prev_active"] = Sum("active_users", filter=Q(day__lt=start))
    else:
        qs = MemberDailyRollup.objects.filter(
            organization=org, member=_pk(member), day__range=(prev_start, end)
        )
        aggregates["cur_active"] = Count("id", filter=Q(day__gte=start, is_active=True))
        aggregates["prev_active"] = Count("id", filter=Q(day__lt=start, is_active=True))
    sums = qs.aggregate(**aggregates)
    if model:
        cur = _model_event_rows(org, start, end, model, member)
        prev = _model_event_rows(org, prev_start, start - timedelta(days=1), model, member)
        # Two tiny grouped reads would be two queries; fold them from one instead.
        for prefix, rows in (("cur", cur), ("prev", prev)):
            for field in EVENT_FIELDS:
                sums[f"{prefix}_{field}"] = sum((r[field] or 0 for r in rows.values()), 0)
    period = {"cur": {}, "prev": {}}
    for key, value in sums.items():
        prefix, field = key.split("_", 1)
        default = ZERO if field in DECIMAL_FIELDS else 0
        period[prefix][field] = value if value is not None else default
    return period["cur"], period["prev"]


def _distinct_active(org, start, end, prev_start, prev_end) -> dict:
    """Distinct active members over the range, the last 7 and the last 30 days of it, for
    the period and the previous one, in one query.

    A member is active in [a, b] when their last active day on or before b is on or after
    a; so one pass grouping each member's last active day (before `end` and before
    `prev_end`) answers all six windows.
    """
    windows = {
        "cur_range": ("last", start),
        "cur_wau": ("last", end - timedelta(days=6)),
        "cur_mau": ("last", end - timedelta(days=29)),
        "prev_range": ("last_prev", prev_start),
        "prev_wau": ("last_prev", prev_end - timedelta(days=6)),
        "prev_mau": ("last_prev", prev_end - timedelta(days=29)),
    }
    low = min(a for _, a in windows.values())
    per_member = (
        MemberDailyRollup.objects.filter(organization=org, is_active=True, day__range=(low, end))
        .values("member_id")
        .annotate(last=Max("day"), last_prev=Max("day", filter=Q(day__lte=prev_end)))
        .order_by()
    )
    return per_member.aggregate(
        **{name: Count("member_id", filter=Q(**{f"{col}__gte": a})) for name, (col, a) in windows.items()}
    )


def current_seats(org, end: date) -> int:
    """Seats as recorded by the latest rollup on or before `end`."""
    seats = (
        OrgDailyRollup.objects.filter(organization=org, day__lte=end)
        .order_by("-day")
        .values_list("seats", flat=True)
        .first()
    )
    return seats or 0


def headline(org, start: date, end: date, *, member=None, model: str | None = None) -> dict:
    """The headline figures for start..end, each with its change against the previous
    period of the same length.

    Keys: start, end, previous_start, previous_end, days, seats, and figures
    (`{"value", "previous", "change", "change_pct"}`): ai_requests (agent + chat +
    composer + cmd-k), tabs_accepted, usage_events, acceptance_rate (accepts ÷
    (accepts + rejects)), tab_acceptance_rate (tabs accepted ÷ shown), accepted_lines,
    lines_added, spend_cents; for the team also avg_dau, wau, mau, active_users and
    active_share (active users in the range ÷ seats); for a member active_days.
    `model` narrows usage_events and spend_cents only (see `daily_series`).
    """
    prev_start, prev_end = previous_period(start, end)
    days = (end - start).days + 1
    cur, prev = _period_sums(org, start, end, prev_start, member, model)

    def requests(s):
        return s["agent_requests"] + s["chat_requests"] + s["composer_requests"] + s["cmdk_usages"]

    result = {
        "start": start,
        "end": end,
        "previous_start": prev_start,
        "previous_end": prev_end,
        "days": days,
        "ai_requests": _figure(requests(cur), requests(prev)),
        "tabs_accepted": _figure(cur["tabs_accepted"], prev["tabs_accepted"]),
        "usage_events": _figure(cur["usage_events"], prev["usage_events"]),
        "acceptance_rate": _figure(
            _ratio(cur["accepts"], cur["accepts"] + cur["rejects"]),
            _ratio(prev["accepts"], prev["accepts"] + prev["rejects"]),
            rate=True,
        ),
        "tab_acceptance_rate": _figure(
            _ratio(cur["tabs_accepted"], cur["tabs_shown"]),
            _ratio(prev["tabs_accepted"], prev["tabs_shown"]),
            rate=True,
        ),
        "accepted_lines": _figure(cur["accepted_lines_added"], prev["accepted_lines_added"]),
        "lines_added": _figure(cur["total_lines_added"], prev["total_lines_added"]),
        "spend_cents": _figure(cur["spend_cents"], prev["spend_cents"]),
    }
    if member is not None:
        result["seats"] = None
        result["active_days"] = _figure(cur["active"], prev["active"])
        return result

    seats = current_seats(org, end)
    active = _distinct_active(org, start, end, prev_start, prev_end)
    result.update(
        {
            "seats": seats,
            "avg_dau": _figure(cur["active"] / days, prev["active"] / days),
            "wau": _figure(active["cur_wau"], active["prev_wau"]),
            "mau": _figure(active["cur_mau"], active["prev_mau"]),
            "active_users": _figure(active["cur_range"], active["prev_range"]),
            "active_share": _figure(
                _ratio(active["cur_range"], seats), _ratio(active["prev_range"], seats), rate=True
            ),
        }
    )
    return result


from .selectors_members import get_member, member_for_user, member_usage  # noqa: E402,F401,I001
from .selectors_spend import (  # noqa: E402,F401
    cycle_start_for,
    latest_cycle_start,
    spend_overview,
)
