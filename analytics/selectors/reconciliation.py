"""Reconciliation of spend: Cursor's cycle totals (`/teams/spend`, SpendSnapshot) next to the sum
of the cycle's usage events' charged cents, per person, with each difference explained where the
cause is known.

At most four queries whatever the number of people, every one filtered by organization: the
latest cycle, its snapshots, the events' sums per member from the daily rollup, and the causes
of the differences from the differing people's own events. Errored requests
("Errored, Not Charged") are left out of the events' sum, as out of every spend figure.

Known causes of a difference (Cursor's total minus the events' sum):
- token fees: Cursor's total leaves out the Cursor token fees the events' charged cents include
  (the difference is minus their sum);
- errored requests: Cursor counted charges on errored requests, which Koalr leaves out (the
  difference is their sum);
- included usage: events within the included quota are charged 0 here, while Cursor may count
  their value against included usage (a positive difference; possible, not measurable);
- events still arriving: the last provisional days' events may still come in (a positive
  difference; possible).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Q, Sum

from ..models import MemberDailyRollup, SpendSnapshot, UsageEvent

ZERO = Decimal(0)
KNOWN = "known"
POSSIBLE = "possible"


def _org_id(org) -> int:
    return getattr(org, "pk", org)


def _tolerance(a: Decimal, b: Decimal, pct: float, cents: float) -> Decimal:
    return max(Decimal(str(cents)), max(abs(a), abs(b)) * Decimal(str(pct)) / 100)


def _pct(diff: Decimal, base: Decimal) -> float | None:
    return round(float(diff / base * 100), 2) if base else None


def _causes(row: dict, tol: Decimal, recent_days: int) -> list[dict]:
    diff = row["difference_cents"]
    causes = []
    if row["token_fee_cents"] and abs(diff + row["token_fee_cents"]) <= tol:
        causes.append(
            {
                "cause": "token_fees",
                "confidence": KNOWN,
                "cents": str(row["token_fee_cents"]),
                "text": f"Cursor's total leaves out ${row['token_fee_cents'] / 100:,.2f} of Cursor token fees "
                "that the events' charged cents include.",
            }
        )
    if row["errored_cents"] and abs(diff - row["errored_cents"]) <= tol:
        causes.append(
            {
                "cause": "errored_requests",
                "confidence": KNOWN,
                "cents": str(row["errored_cents"]),
                "text": f"Cursor counted ${row['errored_cents'] / 100:,.2f} on {row['errored_events']:,} errored "
                "requests, which Koalr leaves out of spend.",
            }
        )
    if diff > 0 and row["included_zero_events"]:
        causes.append(
            {
                "cause": "included_usage",
                "confidence": POSSIBLE,
                "events": row["included_zero_events"],
                "text": f"{row['included_zero_events']:,} events within included usage are charged 0 here; "
                "Cursor may count their value against the included amount.",
            }
        )
    if diff > 0 and row["recent_events"]:
        causes.append(
            {
                "cause": "events_arriving",
                "confidence": POSSIBLE,
                "cents": str(row["recent_cents"]),
                "text": f"The last {recent_days} days are provisional: their events may still be arriving "
                "(Cursor's total can be ahead of them).",
            }
        )
    if not causes:
        causes.append(
            {
                "cause": "unknown",
                "confidence": POSSIBLE,
                "text": "Not explained by included usage, token fees, errored requests or events still arriving.",
            }
        )
    return causes


def _explain(off_rows: list[dict], organization_id: int, cycle_start_at, recent_days: int) -> None:
    """Fill in the causes of the rows whose figures differ, from their own events only (one
    query, none when everyone agrees): token fees, errored requests, included usage at 0."""
    if off_rows:
        errored = Q(kind=UsageEvent.ERRORED_KIND)
        details = {
            d["member_id"]: d
            for d in UsageEvent.objects.filter(
                organization_id=organization_id,
                timestamp__gte=cycle_start_at,
                member_id__in=[r["member_id"] for r in off_rows],
            )
            .values("member_id")
            .annotate(
                fees=Sum("cursor_token_fee", filter=~errored),
                included_zero=Count("id", filter=~errored & Q(kind__icontains="included", charged_cents=0)),
                errored_events=Count("id", filter=errored),
                errored_cents=Sum("charged_cents", filter=errored),
            )
        }
        for row in off_rows:
            d = details.get(row["member_id"], {})
            row["token_fee_cents"] = d.get("fees") or ZERO
            row["included_zero_events"] = d.get("included_zero") or 0
            row["errored_events"] = d.get("errored_events") or 0
            row["errored_cents"] = d.get("errored_cents") or ZERO
            row["causes"] = _causes(row, row["tolerance"], recent_days)
    for row in off_rows:
        row["explained"] = any(c["confidence"] == KNOWN for c in row["causes"])


def spend_reconciliation(
    org,
    *,
    today,
    tolerance_pct: float | None = None,
    tolerance_cents: float | None = None,
    member_q: Q | None = None,
    cycle_start_at=None,
    read_cycle: bool = True,
) -> dict:
    """The latest cycle's reconciliation: per person Cursor's total, the events' sum, the
    difference and its causes; totals; and the events of people Cursor's spend does not list.

    `member_q` (a Q over SpendSnapshot/UsageEvent's `member__…`, e.g. a team filter) narrows
    the people. `cycle_start` is None when Cursor has reported no spend yet. A caller that
    already read the latest cycle's start (the spend review's overview) passes it as
    `cycle_start_at` with `read_cycle=False` and saves a query."""
    organization_id = _org_id(org)
    pct = settings.DATA_QUALITY_SPEND_TOLERANCE_PCT if tolerance_pct is None else tolerance_pct
    cents = settings.DATA_QUALITY_SPEND_TOLERANCE_CENTS if tolerance_cents is None else tolerance_cents
    recent_days = settings.CURSOR_SYNC_LOOKBACK_DAYS
    empty_totals = {
        "cursor_cents": ZERO,
        "events_cents": ZERO,
        "difference_cents": ZERO,
        "difference_pct": None,
    }
    latest = cycle_start_at
    if read_cycle:
        latest = SpendSnapshot.objects.filter(organization_id=organization_id).aggregate(
            c=Max("cycle_start")
        )["c"]
    out = {
        "cycle_start": None,
        "rows": [],
        "differences": [],
        "matching": 0,
        "totals": empty_totals,
        "not_in_spend": [],
        "not_in_spend_cents": ZERO,
        "tolerance_pct": pct,
        "tolerance_cents": cents,
        "recent_days": recent_days,
    }
    if latest is None:
        return out
    snapshots = {
        s["member_id"]: s
        for s in SpendSnapshot.objects.filter(organization_id=organization_id, cycle_start=latest)
        .filter(member_q or Q())
        .values("member_id", "member__email", "member__name", "overall_spend_cents", "captured_at")
    }
    recent_from = today - timedelta(days=recent_days)
    cycle_day = latest.astimezone(UTC).date()  # cycles start at 00:00 UTC: whole days
    # The events' sums come from the per-member daily rollup (errored requests already left
    # out), a row per member-day instead of every event of the cycle.
    sums = {
        r["member_id"]: r
        for r in MemberDailyRollup.objects.filter(organization_id=organization_id, day__gte=cycle_day)
        .filter(member_q or Q())
        .values("member_id", "member__email", "member__name")
        .annotate(
            events=Sum("usage_events"),
            cents=Sum("spend_cents"),
            recent_events=Sum("usage_events", filter=Q(day__gte=recent_from)),
            recent_cents=Sum("spend_cents", filter=Q(day__gte=recent_from)),
        )
    }
    rows, not_in_spend = [], []
    for member_id in snapshots.keys() | sums.keys():
        snap, ev = snapshots.get(member_id), sums.get(member_id) or {}
        source = snap or ev
        row = {
            "member_id": member_id,
            "email": source["member__email"],
            "name": source["member__name"] or "",
            "events": ev.get("events") or 0,
            "events_cents": ev.get("cents") or ZERO,
            "recent_events": ev.get("recent_events") or 0,
            "recent_cents": ev.get("recent_cents") or ZERO,
            **dict.fromkeys(("token_fee_cents", "errored_cents"), ZERO),
            **dict.fromkeys(("included_zero_events", "errored_events"), 0),
        }
        if snap is None:
            if row["events_cents"]:
                not_in_spend.append(row)
            continue
        row["cursor_cents"] = snap["overall_spend_cents"]
        row["difference_cents"] = row["cursor_cents"] - row["events_cents"]
        row["difference_pct"] = _pct(row["difference_cents"], row["cursor_cents"])
        row["tolerance"] = _tolerance(row["cursor_cents"], row["events_cents"], pct, cents)
        row["off"] = abs(row["difference_cents"]) > row["tolerance"]
        row["causes"], row["explained"] = [], False
        rows.append(row)
    _explain([r for r in rows if r["off"]], organization_id, latest, recent_days)
    rows.sort(key=lambda r: (-abs(r["difference_cents"]), r["email"]))
    not_in_spend.sort(key=lambda r: (-r["events_cents"], r["email"]))
    cursor_total = sum((r["cursor_cents"] for r in rows), ZERO)
    events_total = sum((r["events_cents"] for r in rows), ZERO)
    out.update(
        cycle_start=latest.astimezone(UTC).date(),
        captured_at=max((s["captured_at"] for s in snapshots.values()), default=None),
        rows=rows,
        differences=[r for r in rows if r["off"]],
        matching=sum(1 for r in rows if not r["off"]),
        totals={
            "cursor_cents": cursor_total,
            "events_cents": events_total,
            "difference_cents": cursor_total - events_total,
            "difference_pct": _pct(cursor_total - events_total, cursor_total),
        },
        not_in_spend=not_in_spend,
        not_in_spend_cents=sum((r["events_cents"] for r in not_in_spend), ZERO),
    )
    return out
