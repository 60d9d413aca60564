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
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Max, Q, Sum

from ..models import CursorMember, MemberDailyRollup, MemberRunningTotal, SpendSnapshot, UsageEvent

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


def _off_sql() -> str:
    """`per`'s rows whose figures differ: |difference| > _tolerance(...), written without a
    division so numeric arithmetic is exact (|d| > max(c, m·p/100) ⇔ |d| > c and 100·|d| > m·p)."""
    bigger = (
        "CASE WHEN ABS(cursor_cents) >= ABS(events_cents) THEN ABS(cursor_cents) ELSE ABS(events_cents) END"
    )
    return (
        "(cursor_cents IS NOT NULL AND ABS(cursor_cents - events_cents) > %(tol_cents)s"
        f" AND 100 * ABS(cursor_cents - events_cents) > {bigger} * %(tol_pct)s)"
    )


def _summary_rows(organization_id, latest, cycle_day, recent_start, member_q, pct, cents):
    """The page's reconciliation in one statement (PostgreSQL): per person Cursor's total and
    the events' sums in the cycle and its recent days (MemberRunningTotal: the latest day's
    running totals minus those of the last day before the cycle / the recent days), then the
    totals over the people Cursor lists and only the rows the page shows: those that differ
    and the unlisted people with charged events. Returns (totals, rows)."""
    snaps = SpendSnapshot.objects.filter(organization_id=organization_id, cycle_start=latest)
    snaps = snaps.filter(member_q or Q()).values("member_id", "overall_spend_cents", "captured_at")
    totals = MemberRunningTotal.objects.filter(organization_id=organization_id)
    ends = totals.filter(member_q or Q()).values(
        "member_id", "day", "last_row_day", "running_usage_events", "running_spend_cents"
    )
    try:
        snaps_sql, snaps_params = snaps.query.sql_with_params()
        ends_sql, ends_params = ends.query.sql_with_params()
    except EmptyResultSet:  # the member filter keeps nobody (e.g. a team without members)
        return {"listed": 0, "cursor_total": ZERO, "events_total": ZERO, "captured_at": None}, []
    table = MemberRunningTotal._meta.db_table
    before = f"(SELECT MAX(day) FROM {table} WHERE organization_id = %s AND day < %s)"  # nosec B608  # table name from model metadata; values are bound parameters
    sql = f"""
        WITH s AS ({snaps_sql}),
        e AS (
            SELECT * FROM ({ends_sql}) e0
            WHERE e0.day = (SELECT MAX(day) FROM {table} WHERE organization_id = %s) AND e0.last_row_day >= %s
        ),
        per AS (
            SELECT COALESCE(s.member_id, e.member_id) AS member_id,
                   s.overall_spend_cents AS cursor_cents, s.captured_at,
                   COALESCE(e.running_usage_events - COALESCE(b.running_usage_events, 0), 0) AS events,
                   COALESCE(e.running_spend_cents - COALESCE(b.running_spend_cents, 0), 0) AS events_cents,
                   COALESCE(e.running_usage_events - COALESCE(r.running_usage_events, 0), 0) AS recent_events,
                   COALESCE(e.running_spend_cents - COALESCE(r.running_spend_cents, 0), 0) AS recent_cents
            FROM s FULL JOIN e ON e.member_id = s.member_id
            LEFT JOIN {table} b ON b.organization_id = %s AND b.member_id = e.member_id AND b.day = {before}
            LEFT JOIN {table} r ON r.organization_id = %s AND r.member_id = e.member_id AND r.day = {before}
        ),
        agg AS (
            SELECT COUNT(cursor_cents) AS listed, SUM(cursor_cents) AS cursor_total,
                   SUM(CASE WHEN cursor_cents IS NOT NULL THEN events_cents END) AS events_total,
                   MAX(captured_at) AS captured_at
            FROM per
        )
        SELECT agg.listed, agg.cursor_total, agg.events_total, agg.captured_at,
               d.member_id, d.email, d.name, d.cursor_cents, d.events, d.events_cents,
               d.recent_events, d.recent_cents
        FROM agg LEFT JOIN (
            SELECT per.*, m.email, m.name FROM per JOIN {CursorMember._meta.db_table} m ON m.id = per.member_id
            WHERE {_off_sql()} OR (per.cursor_cents IS NULL AND per.events_cents <> 0)
        ) d ON TRUE
    """  # nosec B608  # identifiers from model metadata and code constants, filters compiled by the ORM; every value is a bound parameter
    named = {"tol_cents": Decimal(str(cents)), "tol_pct": Decimal(str(pct))}
    # One parameter style: the ORM's positional ones, then the statement's in order.
    sql = sql.replace("%(tol_cents)s", "%s").replace("%(tol_pct)s", "%s")
    org = organization_id
    params = [
        *snaps_params,
        *ends_params,
        org,
        cycle_day,
        org,
        org,
        cycle_day,
        org,
        org,
        recent_start,
        named["tol_cents"],
        named["tol_pct"],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        raw = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    first = raw[0]
    summary = {
        "listed": first["listed"],
        "cursor_total": first["cursor_total"] if first["cursor_total"] is not None else ZERO,
        "events_total": first["events_total"] if first["events_total"] is not None else ZERO,
        "captured_at": first["captured_at"],
    }
    return summary, [r for r in raw if r["member_id"] is not None]


def _row(member_id, email, name, ev) -> dict:
    """A person's reconciliation row before Cursor's figure: the events' sums of the cycle."""
    return {
        "member_id": member_id,
        "email": email,
        "name": name or "",
        "events": ev.get("events") or 0,
        "events_cents": ev.get("events_cents") or ZERO,
        "recent_events": ev.get("recent_events") or 0,
        "recent_cents": ev.get("recent_cents") or ZERO,
        **dict.fromkeys(("token_fee_cents", "errored_cents"), ZERO),
        **dict.fromkeys(("included_zero_events", "errored_events"), 0),
    }


def _with_cursor(row: dict, cursor_cents, pct, cents) -> dict:
    row["cursor_cents"] = cursor_cents
    row["difference_cents"] = row["cursor_cents"] - row["events_cents"]
    row["difference_pct"] = _pct(row["difference_cents"], row["cursor_cents"])
    row["tolerance"] = _tolerance(row["cursor_cents"], row["events_cents"], pct, cents)
    row["off"] = abs(row["difference_cents"]) > row["tolerance"]
    row["causes"], row["explained"] = [], False
    return row


def _all_rows(organization_id, latest, cycle_day, recent_from, member_q, pct, cents):
    """Every person's row (Cursor lists them) and the unlisted people with charged events, in
    two queries: the cycle's snapshots and the events' sums per member from the daily rollup
    (errored requests already left out: a row per member-day instead of every event)."""
    snapshots = {
        s["member_id"]: s
        for s in SpendSnapshot.objects.filter(organization_id=organization_id, cycle_start=latest)
        .filter(member_q or Q())
        .values("member_id", "member__email", "member__name", "overall_spend_cents", "captured_at")
    }
    sums = {
        r["member_id"]: r
        for r in MemberDailyRollup.objects.filter(organization_id=organization_id, day__gte=cycle_day)
        .filter(member_q or Q())
        .values("member_id", "member__email", "member__name")
        .annotate(
            events=Sum("usage_events"),
            events_cents=Sum("spend_cents"),
            recent_events=Sum("usage_events", filter=Q(day__gte=recent_from)),
            recent_cents=Sum("spend_cents", filter=Q(day__gte=recent_from)),
        )
    }
    rows, not_in_spend = [], []
    for member_id in snapshots.keys() | sums.keys():
        snap, ev = snapshots.get(member_id), sums.get(member_id) or {}
        source = snap or ev
        row = _row(member_id, source["member__email"], source["member__name"], ev)
        if snap is None:
            if row["events_cents"]:
                not_in_spend.append(row)
            continue
        rows.append(_with_cursor(row, snap["overall_spend_cents"], pct, cents))
    captured_at = max((s["captured_at"] for s in snapshots.values()), default=None)
    return rows, not_in_spend, captured_at


def spend_reconciliation(
    org,
    *,
    today,
    tolerance_pct: float | None = None,
    tolerance_cents: float | None = None,
    member_q: Q | None = None,
    cycle_start_at=None,
    read_cycle: bool = True,
    summary: bool = False,
) -> dict:
    """The latest cycle's reconciliation: per person Cursor's total, the events' sum, the
    difference and its causes; totals; and the events of people Cursor's spend does not list.

    `member_q` (a Q over SpendSnapshot/UsageEvent's `member__…`, e.g. a team filter) narrows
    the people. `cycle_start` is None when Cursor has reported no spend yet. A caller that
    already read the latest cycle's start (the spend review's overview) passes it as
    `cycle_start_at` with `read_cycle=False` and saves a query. `summary=True` (the spend
    review) gives the same figures but `rows` None: on PostgreSQL the people who agree are
    counted and totalled in the database, and only the rows shown are built here."""
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
    recent_from = today - timedelta(days=recent_days)
    cycle_day = latest.astimezone(UTC).date()  # cycles start at 00:00 UTC: whole days
    if summary and connection.vendor == "postgresql":
        totals, wanted = _summary_rows(
            organization_id, latest, cycle_day, max(recent_from, cycle_day), member_q, pct, cents
        )
        rows, not_in_spend = [], []
        for w in wanted:
            row = _row(w["member_id"], w["email"], w["name"], w)
            if w["cursor_cents"] is None:
                not_in_spend.append(row)
            else:
                rows.append(_with_cursor(row, w["cursor_cents"], pct, cents))
        listed, captured_at = totals["listed"], totals["captured_at"]
        cursor_total, events_total = totals["cursor_total"], totals["events_total"]
    else:
        rows, not_in_spend, captured_at = _all_rows(
            organization_id, latest, cycle_day, recent_from, member_q, pct, cents
        )
        listed = len(rows)
        cursor_total = sum((r["cursor_cents"] for r in rows), ZERO)
        events_total = sum((r["events_cents"] for r in rows), ZERO)
    _explain([r for r in rows if r["off"]], organization_id, latest, recent_days)
    rows.sort(key=lambda r: (-abs(r["difference_cents"]), r["email"]))
    not_in_spend.sort(key=lambda r: (-r["events_cents"], r["email"]))
    differences = [r for r in rows if r["off"]]
    out.update(
        cycle_start=cycle_day,
        captured_at=captured_at,
        rows=None if summary else rows,
        differences=differences,
        matching=listed - len(differences),
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
