"""Reads for the admin spend review: billing cycle, projection, per-member spend, idle seats.

Every query filters by organization. Spend per member comes from the latest cycle's
SpendSnapshot rows (Cursor's own figures); the daily run rate and the per-model split come
from the daily rollups (usage events' charged cents).
"""

import calendar
from datetime import UTC, date, timedelta
from decimal import Decimal

from django.db.models import Max, Subquery, Sum
from django.utils import timezone

from .models import CursorMember, ModelDailyRollup, OrgDailyRollup, SpendSnapshot

ZERO = Decimal(0)
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


def _is_idle(member: dict, today: date, days: int) -> bool:
    """No activity in the last `days` UTC days (today included).

    A seat never active counts from when it was first seen (or added here), so a seat
    added yesterday is not idle.
    """
    threshold = today - timedelta(days=days)
    if member["last_seen"] is not None:
        return member["last_seen"] <= threshold
    since = member["first_seen"] or member["created_at"].astimezone(UTC).date()
    return since <= threshold


def spend_overview(org, *, today: date | None = None) -> dict:
    """Everything the spend review shows, in a constant five queries.

    - cycle_start / cycle_end (UTC days; cycle_end exclusive), cycle_days, days_elapsed;
    - total_cents: sum of the latest cycle's overall_spend_cents (included + on-demand);
    - projected_cents: total_cents + the cycle's average daily spend so far (from the
      daily rollups) × the days left in the cycle;
    - members: one row per spend snapshot of the cycle (included_cents = overall − on-demand);
    - top_spenders: the TOP_SPENDERS members with the highest overall spend;
    - by_model: usage events, spend and cost per request (cents) per model this cycle;
    - idle_14 / idle_30: roster seats with no activity for 14 / 30 days;
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

    members = []
    if latest is not None:
        snapshots = (
            SpendSnapshot.objects.filter(organization=org, cycle_start=latest)
            .values(
                "member_id",
                "member__email",
                "member__name",
                "member__last_seen",
                "spend_cents",
                "overall_spend_cents",
                "fast_premium_requests",
                "hard_limit_override_dollars",
                "monthly_limit_dollars",
                "effective_per_user_limit_dollars",
            )
            .order_by("-overall_spend_cents", "member__email")
        )
        for s in snapshots:
            members.append(
                {
                    "member_id": s["member_id"],
                    "email": s["member__email"],
                    "name": s["member__name"],
                    "last_active": s["member__last_seen"],
                    "spend_cents": s["spend_cents"],
                    "overall_spend_cents": s["overall_spend_cents"],
                    "included_cents": s["overall_spend_cents"] - s["spend_cents"],
                    "fast_premium_requests": s["fast_premium_requests"],
                    "hard_limit_override_dollars": s["hard_limit_override_dollars"],
                    "monthly_limit_dollars": s["monthly_limit_dollars"],
                    "effective_per_user_limit_dollars": s["effective_per_user_limit_dollars"],
                }
            )

    daily = list(
        OrgDailyRollup.objects.filter(organization=org, day__range=(cycle_start, today))
        .values("day", "spend_cents")
        .order_by("day")
    )
    daily_total = sum((d["spend_cents"] for d in daily), ZERO)
    total_cents = sum((m["overall_spend_cents"] for m in members), ZERO) if members else daily_total
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

    roster = CursorMember.objects.filter(organization=org, is_removed=False, not_in_roster=False).values(
        "id", "email", "name", "last_seen", "first_seen", "created_at"
    )
    idle = {days: [] for days in IDLE_WINDOWS}
    for m in roster.order_by("last_seen", "email"):
        # Idle for 30 days implies idle for 14; each row says how long.
        longest = max((days for days in IDLE_WINDOWS if _is_idle(m, today, days)), default=None)
        if longest is None:
            continue
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
        "members": members,
        "top_spenders": members[:TOP_SPENDERS],
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
