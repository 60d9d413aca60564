"""Reads for the dashboard, the spend review and the REST API.

Invariants:
- every query here filters by organization in its WHERE clause (a member or model passed
  in narrows that further, it never replaces it: another organization's member yields
  nothing);
- charts and headline figures read the daily rollups (OrgDailyRollup, MemberDailyRollup,
  ModelDailyRollup), so each selector costs a constant number of queries whatever the
  number of members or days;
- days are UTC `date`s, ranges are inclusive, money is `Decimal` cents.

Headline figures live in `selectors_headline.py`, per-member reads in
`selectors_members.py`, spend-cycle reads in `selectors_spend.py`; all are re-exported
here so callers import from one place.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Sum

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
    """Per (day, model): usage_events, request_cost_units, spend_cents. Sparse: no zero rows.

    Team-wide from ModelDailyRollup; for one member from their own usage events (the model
    rollup has no member dimension; the (organization, member, day) index keeps it small).
    """
    if member is None:
        qs = ModelDailyRollup.objects.filter(organization=org, day__range=(start, end))
        aggregates = {f: Sum(f) for f in EVENT_FIELDS}
    else:
        qs = UsageEvent.objects.filter(organization=org, member=_pk(member), day__range=(start, end))
        aggregates = {
            "usage_events": Count("id"),
            "request_cost_units": Sum("requests_costs"),
            "spend_cents": Sum("charged_cents"),
        }
    return list(qs.values("day", "model").annotate(**aggregates).order_by("day", "model"))


def models_from_daily(rows: list[dict]) -> list[dict]:
    """Fold `model_daily_usage` rows into per-model totals, sorted by usage events desc
    (the shape of `model_usage` with users=None), so a page needs no second query."""
    totals = {}
    for row in rows:
        t = totals.setdefault(
            row["model"],
            {
                "model": row["model"],
                "usage_events": 0,
                "request_cost_units": ZERO,
                "users": None,
                "spend_cents": ZERO,
            },
        )
        t["usage_events"] += row["usage_events"] or 0
        t["request_cost_units"] += row["request_cost_units"] or ZERO
        t["spend_cents"] += row["spend_cents"] or ZERO
    return sorted(totals.values(), key=lambda r: (-r["usage_events"], r["model"]))


def ai_code_daily(org, start: date, end: date, *, member=None) -> list[dict]:
    """Committed lines per day from AI Code Tracking (Enterprise); [] when there is none.

    Commits are far fewer than usage events, so one aggregate over them is cheap.
    """
    qs = AiCommit.objects.filter(organization=org, day__range=(start, end))
    if member is not None:
        qs = qs.filter(member=_pk(member))
    return list(
        qs.values("day")
        .annotate(
            commits=Count("id"),
            total_lines_added=Sum("total_lines_added"),
            tab_lines_added=Sum("tab_lines_added"),
            composer_lines_added=Sum("composer_lines_added"),
            non_ai_lines_added=Sum("non_ai_lines_added"),
        )
        .order_by("day")
    )


def connection_status(org) -> dict:
    """The Cursor connection's state for the dashboard's empty and partial states, and the
    latest sync run while one is under way (two queries at most)."""
    from integrations.models import Connection, Provider, SyncRun

    conn = (
        Connection.objects.filter(organization=org, provider=Provider.CURSOR)
        .only("id", "status", "last_synced_at", "capabilities", "last_error")
        .first()
    )
    run = None
    if conn is not None and conn.status in (Connection.Status.PENDING, Connection.Status.SYNCING):
        run = SyncRun.objects.filter(organization=org, connection=conn).order_by("-created_at", "-pk").first()
    return {
        "connection": conn,
        "connected": conn is not None,
        "status": conn.status if conn else None,
        "syncing": bool(conn and conn.status in (Connection.Status.PENDING, Connection.Status.SYNCING)),
        "key_rejected": bool(conn and conn.status == Connection.Status.KEY_REJECTED),
        "failing": bool(conn and conn.status == Connection.Status.FAILING),
        "run": run,
        "percent": run.percent if run else 0,
    }


# Re-exported so callers import every read from `analytics.selectors`.
from .selectors_headline import headline, previous_period  # noqa: E402,F401,I001
from .selectors_members import get_member, member_for_user, member_usage, member_usage_page  # noqa: E402,F401
from .selectors_spend import (  # noqa: E402,F401
    cycle_start_for,
    latest_cycle_start,
    member_cycle_spend,
    spend_members,
    spend_overview,
)
