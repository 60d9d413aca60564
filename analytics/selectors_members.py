"""Per-member reads: the admins' member table and "who am I" for My usage.

Every query filters by organization. The member table costs four queries whatever the
number of members: the roster, one grouped aggregate over MemberDailyRollup, the per-day
top models, and the latest cycle's spend snapshots; rows are merged in Python per member
(never per member per day).
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum

from .models import CursorMember, MemberDailyRollup, SpendSnapshot

ZERO = Decimal(0)
MEMBER_COUNTERS = (
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
    "usage_events",
    "spend_cents",
)


def member_for_user(org, user):
    """The organization's Cursor member whose email is the user's (case-insensitive), or None."""
    if not getattr(user, "email", ""):
        return None
    return CursorMember.objects.filter(organization=org, email__iexact=user.email).order_by("pk").first()


def get_member(org, member_id):
    """A Cursor member of `org` by id, or None (also for another organization's member)."""
    return CursorMember.objects.filter(organization=org, pk=member_id).first()


def _top_models(org, start, end) -> dict:
    """Each member's most frequent daily top model over the range (ties: alphabetical)."""
    counts = (
        MemberDailyRollup.objects.filter(organization=org, day__range=(start, end))
        .exclude(top_model="")
        .values("member_id", "top_model")
        .annotate(days=Count("id"))
        .order_by()
    )
    best = {}
    for row in counts:
        key = (-row["days"], row["top_model"])
        current = best.get(row["member_id"])
        if current is None or key < current[0]:
            best[row["member_id"]] = (key, row["top_model"])
    return {member_id: model for member_id, (_, model) in best.items()}


def member_usage(org, start, end) -> list[dict]:
    """One row per Cursor member over start..end inclusive.

    Members listed: the roster (not removed) plus anyone with activity in the range.
    Fields: member_id, email, name, active_days, last_active (the member's last active day
    overall, else their last in the range), agent/chat/composer requests, cmdk_usages,
    tabs_shown, tabs_accepted, accepts, rejects, acceptance_rate (accepts ÷ (accepts +
    rejects), None without any), usage_events, spend_cents (usage events' charged cents
    in the range), cycle_spend_cents (the latest cycle's overall spend snapshot, None
    without one), top_model. Sorted by email.
    """
    sums = {
        row["member_id"]: row
        for row in MemberDailyRollup.objects.filter(organization=org, day__range=(start, end))
        .values("member_id")
        .annotate(
            active_days=Count("id", filter=Q(is_active=True)),
            last_active_in_range=Max("day", filter=Q(is_active=True)),
            **{field: Sum(field) for field in MEMBER_COUNTERS},
        )
        .order_by()
    }
    latest_cycle = SpendSnapshot.objects.filter(organization=OuterRef("organization")).order_by(
        "-cycle_start"
    )
    cycle_spend = dict(
        SpendSnapshot.objects.filter(
            organization=org, cycle_start=Subquery(latest_cycle.values("cycle_start")[:1])
        ).values_list("member_id", "overall_spend_cents")
    )
    top_models = _top_models(org, start, end)
    members = CursorMember.objects.filter(organization=org).values(
        "id", "email", "name", "last_seen", "is_removed"
    )

    rows = []
    empty = defaultdict(int)
    for m in members:
        s = sums.get(m["id"])
        if s is None and m["is_removed"]:
            continue
        s = s or empty
        accepts, rejects = s["accepts"] or 0, s["rejects"] or 0
        last_active = max(filter(None, [m["last_seen"], s.get("last_active_in_range")]), default=None)
        rows.append(
            {
                "member_id": m["id"],
                "email": m["email"],
                "name": m["name"],
                "active_days": s["active_days"] or 0,
                "last_active": last_active,
                "agent_requests": s["agent_requests"] or 0,
                "chat_requests": s["chat_requests"] or 0,
                "composer_requests": s["composer_requests"] or 0,
                "cmdk_usages": s["cmdk_usages"] or 0,
                "tabs_shown": s["tabs_shown"] or 0,
                "tabs_accepted": s["tabs_accepted"] or 0,
                "accepts": accepts,
                "rejects": rejects,
                "acceptance_rate": accepts / (accepts + rejects) if accepts + rejects else None,
                "total_lines_added": s["total_lines_added"] or 0,
                "accepted_lines_added": s["accepted_lines_added"] or 0,
                "usage_events": s["usage_events"] or 0,
                "spend_cents": s["spend_cents"] or ZERO,
                "cycle_spend_cents": cycle_spend.get(m["id"]),
                "top_model": top_models.get(m["id"], ""),
            }
        )
    rows.sort(key=lambda r: r["email"])
    return rows
