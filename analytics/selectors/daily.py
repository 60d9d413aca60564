"""Per-day series for the charts: the team's or one member's counters, and committed AI code.

Charts read the daily rollups (OrgDailyRollup, MemberDailyRollup, ModelDailyRollup), so
each read costs a constant number of queries whatever the number of members or days.
Every query filters by organization; a member passed in narrows that further, it never
replaces it (another organization's member yields nothing).
"""

from datetime import date

from django.db.models import Count, Sum

from ..models import AiCommit, MemberDailyRollup, OrgDailyRollup, Tool
from .activity import active_people_per_day
from .fields import DAILY_FIELDS, EVENT_FIELDS, SERIES_FIELDS, days_in, pk, zero
from .model_usage import event_counters


def daily_series(
    org, start: date, end: date, *, member=None, model: str | None = None, model_daily=None
) -> list[dict]:
    """One dict per day start..end inclusive, zero-filled.

    For the team, `active_users` is the number of people active that day (the tool-neutral
    ToolOrgDay); `member` (a CursorMember of `org`, or its id) reads MemberDailyRollup and
    `active_users` is then 1 on the member's active days.
    `model` narrows only the event-based fields (usage_events, request_cost_units,
    spend_cents); the other counters come from Cursor's daily usage data, which is not
    broken down by model, and stay unfiltered. `model_daily`: `model_daily_usage` rows the
    caller already read for at least start..end (the same member), saving that query.
    """
    if member is None:
        qs = OrgDailyRollup.objects.filter(organization=org, day__range=(start, end)).values(
            "day", *DAILY_FIELDS, *EVENT_FIELDS
        )
        active = active_people_per_day(org, start, end, tool=Tool.CURSOR)
    else:
        qs = MemberDailyRollup.objects.filter(
            organization=org, member=pk(member), day__range=(start, end)
        ).values("day", "is_active", *DAILY_FIELDS, *EVENT_FIELDS)
    stored = {}
    for row in qs:
        if member is None:
            row["active_users"] = active.get(row["day"], 0)
        else:
            row["active_users"] = int(row.pop("is_active"))
        stored[row["day"]] = row
    model_rows = None
    if model and model_daily is not None:  # rows of `model_daily_usage` covering start..end
        model_rows = {r["day"]: r for r in model_daily if r["model"] == model and start <= r["day"] <= end}
    elif model:
        rows = event_counters(org, start, end, member=member, model=model, by=("day",)).order_by()
        model_rows = {r["day"]: r for r in rows}

    series = []
    for day in days_in(start, end):
        row = {"day": day, **{field: zero(field) for field in SERIES_FIELDS}}
        row.update(stored.get(day, {}))
        if model_rows is not None:
            found = model_rows.get(day, {})
            for field in EVENT_FIELDS:
                row[field] = found.get(field) or zero(field)
        series.append(row)
    return series


def ai_code_daily(org, start: date, end: date, *, member=None) -> list[dict]:
    """Committed lines per day from AI Code Tracking (Enterprise); [] when there is none.

    Commits are far fewer than usage events, so one aggregate over them is cheap.
    """
    qs = AiCommit.objects.filter(organization=org, day__range=(start, end))
    if member is not None:
        qs = qs.filter(member=pk(member))
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
