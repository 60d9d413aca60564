"""Who was active, read from the tool-neutral facts (`ToolDay`, `ToolOrgDay`).

These are the cross-tool parts of the pages: a person counts once however many of their
tool identities were active. Every query filters by organization (and the tool asked for).
"""

from datetime import date

from django.db.models import Count, Max, Q, Sum

from ..models import ToolDay, ToolOrgDay


def active_people_per_day(org, start: date, end: date, *, tool: str) -> dict[date, int]:
    """People active each day start..end (sparse: days without facts are absent)."""
    rows = ToolOrgDay.objects.filter(organization=org, tool=tool, day__range=(start, end))
    return dict(rows.values_list("day", "active_people"))


def active_person_days(org, start: date, end: date, prev_start: date, *, tool: str) -> tuple[int, int]:
    """Person-days of activity in start..end and in the previous period prev_start..start-1."""
    sums = ToolOrgDay.objects.filter(organization=org, tool=tool, day__range=(prev_start, end)).aggregate(
        cur=Sum("active_people", filter=Q(day__gte=start)),
        prev=Sum("active_people", filter=Q(day__lt=start)),
    )
    return sums["cur"] or 0, sums["prev"] or 0


def distinct_active(org, windows: dict[str, tuple[date, date]], *, tool: str) -> dict[str, int]:
    """Distinct active people in each named window (first day, last day), in one query.

    A person is active in [a, b] when their last active day on or before b is on or after a;
    grouping each person's last active day before each distinct window end answers every
    window in one pass.
    """
    ends = sorted({b for _, b in windows.values()})
    low = min(a for a, _ in windows.values())
    last_before = {b: f"last_{i}" for i, b in enumerate(ends)}
    per_person = (
        ToolDay.objects.filter(organization=org, tool=tool, active=True, day__range=(low, ends[-1]))
        .values("person_id")
        .annotate(**{name: Max("day", filter=Q(day__lte=b)) for b, name in last_before.items()})
        .order_by()
    )
    return per_person.aggregate(
        **{
            name: Count("person_id", filter=Q(**{f"{last_before[b]}__gte": a}))
            for name, (a, b) in windows.items()
        }
    )
