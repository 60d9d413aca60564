"""Reads for the admin spend review: billing cycle, projection, per-member spend, idle seats.

Every query filters by organization. Spend per member comes from the latest cycle's
SpendSnapshot rows (Cursor's own figures); the daily run rate and the per-model split come
from the daily rollups (usage events' charged cents).
"""

import calendar
from datetime import UTC, date, timedelta

from django.db.models import Count, F, Max, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.utils import timezone

from ..models import CursorMember, MemberDailyRollup, ModelDailyRollup, OrgDailyRollup, SpendSnapshot
from .fields import ZERO
from .team_lens import team_person_ids
from .teams import NO_TEAM

IDLE_WINDOWS = (14, 30)
TOP_SPENDERS = 10


def _month_day(year: int, month: int, day_of_month: int) -> date:
    return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def cycle_start_for(day: date, anchor: date | None = None) -> date:
    """The start of the monthly billing cycle containing `day`.

    Cycles renew on the anchor's day of month (clamped to short months); with no anchor,
    on the 1st.
    """
    dom = anchor.day if anchor else 1
    candidate = _month_day(day.year, day.month, dom)
    if candidate > day:
        year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
        candidate = _month_day(year, month, dom)
    return candidate


def next_cycle_start(cycle_start: date, anchor: date | None = None) -> date:
    dom = anchor.day if anchor else cycle_start.day
    year, month = (cycle_start.year, cycle_start.month + 1)
    if month > 12:
        year, month = year + 1, 1
    return _month_day(year, month, dom)


def latest_cycle_start(org) -> date | None:
    """UTC day the latest billing cycle Cursor reported for the organization began."""
    latest = SpendSnapshot.objects.filter(organization=org).aggregate(latest=Max("cycle_start"))["latest"]
    return latest.astimezone(UTC).date() if latest else None


def _idle_filter(today: date, days: int) -> Q:
    """No activity in the last `days` UTC days (today included).

    A seat never active counts from when it was first seen (or added here), so a seat
    added yesterday is not idle.
    """
    threshold = today - timedelta(days=days)
    # A seat never used counts as last active the day before it first appeared: listed on
    # each of the last `days` days without activity is idle for `days` days.
    never_used_since = threshold + timedelta(days=1)
    return (
        Q(last_seen__lte=threshold)
        | Q(last_seen__isnull=True, first_seen__lte=never_used_since)
        | Q(last_seen__isnull=True, first_seen__isnull=True, created_at__date__lte=never_used_since)
    )


# Sortable spend-table columns → ORM expressions over the snapshot rows (a whitelist).
SPEND_SORTS = {
    "name": Lower(Coalesce(NullIf("member__name", Value("")), "member__email")),
    "email": Lower("member__email"),
    "included_cents": F("included"),
    "spend_cents": F("spend_cents"),
    "overall_spend_cents": F("overall_spend_cents"),
    "fast_premium_requests": F("fast_premium_requests"),
    "monthly_limit_dollars": F("monthly_limit_dollars"),
    "effective_per_user_limit_dollars": F("effective_per_user_limit_dollars"),
    "last_active": F("member__last_seen"),
}


def team_members_q(org, team: str, start: date, end: date, *, prefix: str = "", people=None) -> Q | None:
    """The Cursor members a team filter keeps (a Q over CursorMember, or over a relation to
    it with `prefix`, e.g. "member__"): the people of the team (sub-teams included) with a
    membership valid at any time in start..end; for NO_TEAM, people in no team then and the
    members matched to no person. None: no team filter. An unknown slug keeps nobody.
    `people`: the team's `team_person_ids` when the caller has read them already."""
    if not team:
        return None
    if people is None:
        people = team_person_ids(org, team, start, end)
    people = people or set()
    q = Q(**{f"{prefix}person_id__in": people})
    if team == NO_TEAM:
        q |= Q(**{f"{prefix}person__isnull": True})
    return q


def _snapshots(org, cycle_start, member_q: Q | None = None):
    """The cycle's snapshot rows with their member, as plain dicts (a lazy queryset)."""
    return (
        SpendSnapshot.objects.filter(organization=org, cycle_start=cycle_start)
        .filter(member_q or Q())
        .annotate(
            included=F("overall_spend_cents") - F("spend_cents"),
            email=F("member__email"),
            name=F("member__name"),
            last_active=F("member__last_seen"),
        )
        .values(
            "member_id",
            "email",
            "name",
            "last_active",
            "spend_cents",
            "overall_spend_cents",
            "included",
            "fast_premium_requests",
            "hard_limit_override_dollars",
            "monthly_limit_dollars",
            "effective_per_user_limit_dollars",
        )
    )


def _spend_row(row) -> dict:
    row["included_cents"] = row.pop("included")
    return row


def _ordering(sort: str):
    expression = SPEND_SORTS.get(sort.lstrip("-"), F("overall_spend_cents"))
    ordered = expression.desc(nulls_last=True) if sort.startswith("-") else expression.asc(nulls_last=True)
    return [ordered, Lower("member__email"), "member_id"]


def spend_members(
    org, cycle_start_at, *, sort: str = "-overall_spend_cents", limit=None, offset=0, member_q=None
) -> list[dict]:
    """Spend rows of the cycle that began at `cycle_start_at` (a snapshot's datetime),
    sorted in the database; `limit`/`offset` for one page; `member_q` (the overview's, a
    team filter over SpendSnapshot) narrows them."""
    if cycle_start_at is None:
        return []
    qs = _snapshots(org, cycle_start_at, member_q).order_by(*_ordering(sort))
    if limit is not None:
        qs = qs[offset : offset + limit]
    return [_spend_row(row) for row in qs]


def spend_overview(org, *, today: date | None = None, include_members: bool = True, team: str = "") -> dict:
    """Everything the spend review shows, in a constant seven queries (two more with a team).

    `team` (a slug the caller has validated, or NO_TEAM) narrows the totals, the members,
    the top spenders, the idle seats and the daily spend to the team's people with a
    membership valid in the cycle (`member_q`, over SpendSnapshot, to page the members
    with `spend_members`); the per-model split stays the organization's.

    - cycle_start / cycle_end (UTC days; cycle_end exclusive), cycle_days, days_elapsed;
    - total_cents: sum of the latest cycle's overall_spend_cents (included + on-demand);
    - projected_cents: total_cents + the cycle's average daily spend so far (from the
      daily rollups) × the days left in the cycle;
    - members: one row per spend snapshot of the cycle (included_cents = overall − on-demand),
      highest overall spend first; [] with include_members=False (pages read one page of
      them with `spend_members` instead);
    - member_count: the number of those rows;
    - top_spenders: the TOP_SPENDERS members with the highest overall spend;
    - by_model: usage events, spend and cost per request (cents) per model this cycle;
    - idle_14 / idle_30: roster seats with no activity for 14 / 30 days (each row says
      `idle_days`, the longest window it is idle for);
    - seat_price_cents, monthly_saving_cents (reclaiming the 30-day idle seats) and
      monthly_saving_14_cents (reclaiming the 14-day idle seats).
    """
    today = today or timezone.now().astimezone(UTC).date()
    latest = SpendSnapshot.objects.filter(organization=org).aggregate(latest=Max("cycle_start"))["latest"]
    anchor = latest.astimezone(UTC).date() if latest else None
    if anchor and anchor <= today < next_cycle_start(anchor):
        cycle_start = anchor
    else:  # no snapshot yet, or the latest one is from an earlier cycle
        cycle_start = cycle_start_for(today, anchor)
    cycle_end = next_cycle_start(cycle_start, anchor)
    cycle_days = (cycle_end - cycle_start).days
    days_elapsed = min(cycle_days, max(1, (today - cycle_start).days + 1))

    last_day = min(today, cycle_end - timedelta(days=1))
    people = team_person_ids(org, team, cycle_start, last_day) if team else None  # read once
    member_q = team_members_q(org, team, cycle_start, last_day, prefix="member__", people=people)
    roster_q = team_members_q(org, team, cycle_start, last_day, people=people) or Q()
    totals = {"total": None, "count": 0}
    if latest is not None:
        totals = (
            SpendSnapshot.objects.filter(organization=org, cycle_start=latest)
            .filter(member_q or Q())
            .aggregate(total=Sum("overall_spend_cents"), count=Count("id"))
        )
    members = spend_members(org, latest, member_q=member_q) if include_members else []
    top_spenders = (
        members[:TOP_SPENDERS]
        if include_members
        else spend_members(org, latest, limit=TOP_SPENDERS, member_q=member_q)
    )

    if member_q is None:
        daily_rows = OrgDailyRollup.objects.filter(organization=org, day__range=(cycle_start, today))
    else:  # the team's members' own rollups, summed per day
        daily_rows = (
            MemberDailyRollup.objects.filter(organization=org, day__range=(cycle_start, today))
            .filter(member_q)
            .values("day")
            .annotate(spend_cents=Sum("spend_cents"))
        )
    daily = list(daily_rows.values("day", "spend_cents").order_by("day"))
    daily_total = sum((d["spend_cents"] for d in daily), ZERO)
    total_cents = totals["total"] if totals["count"] else daily_total
    daily_rate = daily_total / days_elapsed
    projected_cents = total_cents + daily_rate * (cycle_days - days_elapsed)

    by_model = []
    model_rows = (
        ModelDailyRollup.objects.filter(organization=org, day__range=(cycle_start, today))
        .values("model")
        .annotate(
            usage_events=Sum("usage_events"),
            request_cost_units=Sum("request_cost_units"),
            spend_cents=Sum("spend_cents"),
        )
        .order_by("-spend_cents", "model")
    )
    for row in model_rows:
        events = row["usage_events"] or 0
        spend = row["spend_cents"] or ZERO
        by_model.append(
            {
                "model": row["model"],
                "usage_events": events,
                "request_cost_units": row["request_cost_units"] or ZERO,
                "spend_cents": spend,
                "cost_per_request_cents": spend / events if events else None,
            }
        )

    idle = {days: [] for days in IDLE_WINDOWS}
    idle_rows = (
        CursorMember.objects.filter(organization=org, is_removed=False, not_in_roster=False)
        .filter(roster_q)
        .filter(_idle_filter(today, min(IDLE_WINDOWS)))
        .values("id", "email", "name", "last_seen", "first_seen", "created_at")
        .order_by(F("last_seen").asc(nulls_first=True), "email")
    )
    for m in idle_rows:
        never_used_from = m["first_seen"] or m["created_at"].astimezone(UTC).date()
        since = m["last_seen"] or never_used_from - timedelta(days=1)
        # Idle for 30 days implies idle for 14; each row says the longest window.
        longest = max(days for days in IDLE_WINDOWS if since <= today - timedelta(days=days))
        row = {
            "member_id": m["id"],
            "email": m["email"],
            "name": m["name"],
            "last_seen": m["last_seen"],
            "idle_days": longest,
        }
        for days in IDLE_WINDOWS:
            if days <= longest:
                idle[days].append(row)
    seat_price = org.seat_price_cents
    return {
        "today": today,
        "cycle_start": cycle_start,
        "cycle_end": cycle_end,
        "cycle_days": cycle_days,
        "days_elapsed": days_elapsed,
        "has_snapshots": latest is not None,
        "total_cents": total_cents,
        "daily_spend_cents": daily_total,
        "daily_rate_cents": daily_rate,
        "projected_cents": projected_cents,
        "daily": daily,
        "snapshot_cycle_start": latest,
        "team": team,
        "member_q": member_q,
        "members": members,
        "member_count": totals["count"],
        "top_spenders": top_spenders,
        "by_model": by_model,
        "idle_14": idle[14],
        "idle_30": idle[30],
        "seat_price_cents": seat_price,
        "monthly_saving_cents": len(idle[30]) * seat_price,
        "monthly_saving_14_cents": len(idle[14]) * seat_price,
    }


def member_cycle_spend(org, member) -> dict | None:
    """The member's own spend snapshot for the latest cycle, or None (one query)."""
    latest = SpendSnapshot.objects.filter(organization=org).order_by("-cycle_start").values("cycle_start")[:1]
    return (
        SpendSnapshot.objects.filter(organization=org, member=member, cycle_start=Subquery(latest))
        .values("cycle_start", "spend_cents", "overall_spend_cents", "monthly_limit_dollars")
        .first()
    )
