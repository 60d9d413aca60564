"""Headline figures for a range and their change against the previous period.

Every query filters by organization and reads the daily rollups (one or two sums, the
latest seat count, one distinct-active-members pass): a constant four queries at most.
"""

from datetime import date, timedelta

from django.db import connection
from django.db.models import Count, Q, Sum

from ..models import (
    MemberDailyRollup,
    ModelDailyRollup,
    OrgDailyRollup,
    Tool,
    ToolOrgDay,
    ToolPersonMonth,
    UsageEvent,
)
from .activity_months import Windows
from .fields import DAILY_FIELDS, EVENT_FIELDS, EVENT_SOURCES, pk, zero


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length that ends the day before `start`."""
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


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


def _model_period_sums(org, start, end, prev_start, member, model) -> dict:
    """Event counters of one model for the period and the previous one, in one query."""
    if member is None:
        qs = ModelDailyRollup.objects.filter(organization=org, model=model, day__range=(prev_start, end))
        sources = {f: f for f in EVENT_FIELDS}
    else:
        qs = UsageEvent.objects.filter(
            organization=org, member=pk(member), model=model, day__range=(prev_start, end)
        )
        sources = EVENT_SOURCES
    aggregates = {}
    for field, source in sources.items():
        for prefix, window in (("cur", Q(day__gte=start)), ("prev", Q(day__lt=start))):
            aggregates[f"{prefix}_{field}"] = (
                Count("id", filter=window) if source is None else Sum(source, filter=window)
            )
    return qs.aggregate(**aggregates)


def _model_sums_from_rows(rows, start, prev_start, model) -> dict:
    """`_model_period_sums` from `model_daily_usage` rows already read (covering prev_start..end)."""
    sums = {f"{prefix}_{field}": None for prefix in ("cur", "prev") for field in EVENT_FIELDS}
    for row in rows:
        if row["model"] != model or row["day"] < prev_start:
            continue
        prefix = "cur" if row["day"] >= start else "prev"
        for field in EVENT_FIELDS:
            key = f"{prefix}_{field}"
            sums[key] = (sums[key] or zero(field)) + (row[field] or zero(field))
    return sums


def _period_sums(org, start, end, prev_start, member, model, model_daily=None):
    """Sums of every counter for the period and the previous one, in one query (two with
    a model filter, which replaces the event counters)."""
    fields = DAILY_FIELDS + EVENT_FIELDS
    aggregates = {}
    for field in fields:
        aggregates[f"cur_{field}"] = Sum(field, filter=Q(day__gte=start))
        aggregates[f"prev_{field}"] = Sum(field, filter=Q(day__lt=start))
    if member is None:
        qs = OrgDailyRollup.objects.filter(organization=org, day__range=(prev_start, end))
    else:
        qs = MemberDailyRollup.objects.filter(
            organization=org, member=pk(member), day__range=(prev_start, end)
        )
        aggregates["cur_active"] = Count("id", filter=Q(day__gte=start, is_active=True))
        aggregates["prev_active"] = Count("id", filter=Q(day__lt=start, is_active=True))
    sums = qs.aggregate(**aggregates)
    if model and model_daily is not None:
        sums.update(_model_sums_from_rows(model_daily, start, prev_start, model))
    elif model:
        sums.update(_model_period_sums(org, start, end, prev_start, member, model))
    period = {"cur": {}, "prev": {}}
    for key, value in sums.items():
        prefix, field = key.split("_", 1)
        period[prefix][field] = value if value is not None else zero(field)
    return period["cur"], period["prev"]


def _team_activity(org, start, end, prev_start, prev_end) -> dict:
    """In one statement: person-days of activity in the period and the previous one (the
    tool-neutral ToolOrgDay), the latest seat count on or before `end`, and the distinct
    active people over the range, the last 7 and the last 30 days of it, for the period and
    the previous one (the per-month activity bitmasks, ToolPersonMonth)."""
    windows = {
        "cur_range": (start, end),
        "cur_wau": (end - timedelta(days=6), end),
        "cur_mau": (end - timedelta(days=29), end),
        "prev_range": (prev_start, prev_end),
        "prev_wau": (prev_end - timedelta(days=6), prev_end),
        "prev_mau": (prev_end - timedelta(days=29), prev_end),
    }
    w = Windows()
    counts = ", ".join(
        f"COUNT(DISTINCT CASE WHEN {w.test(a, b)} THEN t.person_id END)" for a, b in windows.values()
    )
    org_day, rollup = ToolOrgDay._meta.db_table, OrgDailyRollup._meta.db_table
    person_days = (
        f"(SELECT SUM(active_people) FROM {org_day} WHERE organization_id = %(org)s AND tool = %(tool)s"  # nosec B608  # table name from model metadata; values are bound parameters
        " AND day BETWEEN {} AND {})"
    )
    sql = f"""
        SELECT {person_days.format("%(start)s", "%(end)s")},
               {person_days.format("%(prev_start)s", "%(prev_end)s")},
               (SELECT seats FROM {rollup} WHERE organization_id = %(org)s AND day <= %(end)s
                ORDER BY day DESC LIMIT 1),
               {counts}
        FROM {ToolPersonMonth._meta.db_table} t
        WHERE t.organization_id = %(org)s AND t.tool = %(tool)s AND {w.month_range()}
    """  # nosec B608  # identifiers from model metadata; every value is a bound parameter
    params = {"org": org.pk, "tool": Tool.CURSOR.value, "start": start, "end": end}
    params.update(prev_start=prev_start, prev_end=prev_end, **w.params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cur_days, prev_days, seats, *distinct = cursor.fetchone()
    result = {name: int(value or 0) for name, value in zip(windows, distinct, strict=True)}
    result.update(cur_active=int(cur_days or 0), prev_active=int(prev_days or 0), seats=seats or 0)
    return result


def current_seats(org, end: date) -> int:
    """Seats as recorded by the latest rollup on or before `end`."""
    seats = (
        OrgDailyRollup.objects.filter(organization=org, day__lte=end)
        .order_by("-day")
        .values_list("seats", flat=True)
        .first()
    )
    return seats or 0


def headline(org, start: date, end: date, *, member=None, model: str | None = None, model_daily=None) -> dict:
    """The headline figures for start..end, each with its change against the previous
    period of the same length.

    Keys: start, end, previous_start, previous_end, days, seats, and figures
    (`{"value", "previous", "change", "change_pct"}`): ai_requests (agent + chat +
    composer + cmd-k), tabs_accepted, usage_events, acceptance_rate (accepts ÷
    (accepts + rejects)), tab_acceptance_rate (tabs accepted ÷ shown), accepted_lines,
    lines_added, spend_cents; for the team also avg_dau, wau, mau, active_users and
    active_share (active users in the range ÷ seats); for a member active_days.
    `model` narrows usage_events and spend_cents only (see `daily_series`); `model_daily`:
    the `model_daily_usage` rows (the same member) the caller already read for at least the
    previous period's start..end, which then replace the model's own read.
    """
    prev_start, prev_end = previous_period(start, end)
    days = (end - start).days + 1
    cur, prev = _period_sums(org, start, end, prev_start, member, model, model_daily)

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

    active = _team_activity(org, start, end, prev_start, prev_end)
    seats = active["seats"]
    result.update(
        {
            "seats": seats,
            "avg_dau": _figure(active["cur_active"] / days, active["prev_active"] / days),
            "wau": _figure(active["cur_wau"], active["prev_wau"]),
            "mau": _figure(active["cur_mau"], active["prev_mau"]),
            "active_users": _figure(active["cur_range"], active["prev_range"]),
            "active_share": _figure(
                _ratio(active["cur_range"], seats), _ratio(active["prev_range"], seats), rate=True
            ),
        }
    )
    return result
