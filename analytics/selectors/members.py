"""Per-member reads: the admins' member table and "who am I" for My usage.

Every statement is scoped by organization_id. The member table is one SQL statement — the
roster LEFT JOINed to two days' rows of MemberRunningTotal (the members' running totals as
of the range's end and of the day before its start: the range's sums are their difference)
and to the latest cycle's spend snapshots, sorted and paged in the database — plus one
small read of the
top models of the members on the page. So a page costs two queries and never builds
per-member Python rows for members it does not show, whatever the team's size.
The SQL is portable (PostgreSQL; SQLite ≥ 3.30 for FILTER and NULLS LAST).
"""

from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count

from ..models import CursorMember, MemberDailyRollup, MemberRunningTotal, SpendSnapshot
from .fields import DAILY_FIELDS

# Every daily-usage counter, and the event counters the table shows.
MEMBER_COUNTERS = (*DAILY_FIELDS, "usage_events", "spend_cents")
# Sortable columns → SQL expressions over the statement below (whitelist: never user text).
SORT_EXPRESSIONS = {
    "name": "LOWER(COALESCE(NULLIF(m.name, ''), m.email))",
    "email": "LOWER(m.email)",
    "active_days": "active_days",
    "last_active": "last_active",
    "acceptance_rate": "acceptance_rate",
    "spend_cents": "spend_cents",
    "cycle_spend_cents": "cycle_spend_cents",
    **{c: c for c in MEMBER_COUNTERS if c != "spend_cents"},
}


def member_for_user(org, user):
    """The organization's Cursor member whose email is the user's (case-insensitive), or None."""
    if not getattr(user, "email", ""):
        return None
    return CursorMember.objects.filter(organization=org, email__iexact=user.email).order_by("pk").first()


def get_member(org, member_id):
    """A Cursor member of `org` by id, or None (also for another organization's member)."""
    return CursorMember.objects.filter(organization=org, pk=member_id).first()


def _top_models(org, start, end, member_ids=None) -> dict:
    """Each member's most frequent daily top model over the range (ties: alphabetical)."""
    qs = MemberDailyRollup.objects.filter(organization=org, day__range=(start, end)).exclude(top_model="")
    if member_ids is not None:
        qs = qs.filter(member_id__in=member_ids)
    best = {}
    for row in qs.values("member_id", "top_model").annotate(days=Count("id")).order_by():
        key = (-row["days"], row["top_model"])
        current = best.get(row["member_id"])
        if current is None or key < current[0]:
            best[row["member_id"]] = (key, row["top_model"])
    return {member_id: model for member_id, (_, model) in best.items()}


def _people_clause(person_ids) -> str:
    """Narrow the table to these people (the privacy rule or a team filter); None: everyone.
    Ids are integers, so writing them into the statement is safe and portable."""
    if person_ids is None:
        return ""
    ids = sorted({int(i) for i in person_ids})
    return f"AND m.person_id IN ({', '.join(map(str, ids))})" if ids else "AND 1 = 0"


def _day_rows(alias: str, bound: str) -> str:
    """Join the member's MemberRunningTotal row of the organization's latest day on or
    before / before a day: one day's rows, read together by (organization, day)."""
    table = MemberRunningTotal._meta.db_table
    return f"""
        LEFT JOIN {table} {alias} ON {alias}.organization_id = %(org)s AND {alias}.member_id = m.id
           AND {alias}.day = (SELECT MAX(x.day) FROM {table} x WHERE x.organization_id = %(org)s AND x.day {bound})
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


def _member_sql(order_by: str, paged: bool, person_ids=None) -> str:
    """The range's sums are differences of running totals (MemberRunningTotal): `e`, the
    member's totals as of the range's end (none when their latest rollup row then is before
    the start: no row in the range), minus `b`, their totals as of the day before the start.
    Each is one day's rows of MemberRunningTotal, whatever the range's length."""
    columns = ", ".join(
        f"COALESCE(e.running_{c} - COALESCE(b.running_{c}, 0), 0) AS {c}" for c in MEMBER_COUNTERS
    )
    accepts = "(e.running_accepts - COALESCE(b.running_accepts, 0))"
    rejects = "(e.running_rejects - COALESCE(b.running_rejects, 0))"
    return f"""
        SELECT m.id, m.email, m.name,
               CASE WHEN e.last_active_day IS NULL OR e.last_active_day < %(start)s THEN m.last_seen
                    WHEN m.last_seen IS NULL OR e.last_active_day > m.last_seen
                    THEN e.last_active_day ELSE m.last_seen END AS last_active,
               COALESCE(e.running_active_days - COALESCE(b.running_active_days, 0), 0) AS active_days,
               {columns},
               CASE WHEN COALESCE({accepts}, 0) + COALESCE({rejects}, 0) > 0
                    THEN {accepts} * 1.0 / ({accepts} + {rejects}) END AS acceptance_rate,
               s.overall_spend_cents AS cycle_spend_cents,
               COUNT(*) OVER () AS total_rows
        FROM {CursorMember._meta.db_table} m
        {_day_rows("e", "<= %(end)s")}
           AND e.last_row_day >= %(start)s
        {_day_rows("b", "< %(start)s")}
        LEFT JOIN {SpendSnapshot._meta.db_table} s
            ON s.member_id = m.id AND s.organization_id = %(org)s
           AND s.cycle_start = (
               SELECT MAX(cycle_start) FROM {SpendSnapshot._meta.db_table} WHERE organization_id = %(org)s
           )
        WHERE m.organization_id = %(org)s AND (NOT m.is_removed OR e.id IS NOT NULL)
          {_people_clause(person_ids)}
        ORDER BY {order_by}
        {"LIMIT %(limit)s OFFSET %(offset)s" if paged else ""}
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


def _order_by(sort: str) -> str:
    key = sort.lstrip("-")
    expression = SORT_EXPRESSIONS.get(key, "LOWER(m.email)")
    direction = "DESC" if sort.startswith("-") else "ASC"
    # Empty values last either way; ties by email so pages are stable.
    return f"{expression} {direction} NULLS LAST, LOWER(m.email) ASC, m.id ASC"


def _fetch_rows(org, start, end, *, sort: str, limit: int | None = None, offset: int = 0, person_ids=None):
    params = {"org": org.pk, "start": start, "end": end, "limit": limit, "offset": offset}
    with connection.cursor() as cursor:
        cursor.execute(_member_sql(_order_by(sort), paged=limit is not None, person_ids=person_ids), params)
        names = [col[0] for col in cursor.description]
        raw = cursor.fetchall()
    rows, total = [], 0
    for values in raw:
        row = dict(zip(names, values, strict=True))
        total = row.pop("total_rows")
        row["member_id"] = row.pop("id")
        row["spend_cents"] = Decimal(row["spend_cents"] or 0)
        # Raw SQL on SQLite (the embedded mode) returns dates and decimals as text.
        if isinstance(row["last_active"], str):
            row["last_active"] = date.fromisoformat(row["last_active"][:10])
        if row.get("cycle_spend_cents") is not None:
            row["cycle_spend_cents"] = Decimal(str(row["cycle_spend_cents"]))
        if row["acceptance_rate"] is not None:
            row["acceptance_rate"] = float(row["acceptance_rate"])
        rows.append(row)
    return rows, total


def member_usage(org, start, end, *, sort: str = "email", person_ids=None) -> list[dict]:
    """One row per Cursor member over start..end inclusive (all of them: API and CSV).

    Members listed: the roster (not removed) plus anyone with activity in the range.
    Fields: member_id, email, name, active_days, last_active (the member's last active day
    overall, else their last in the range), agent/chat/composer requests, cmdk_usages,
    tabs_shown, tabs_accepted, accepts, rejects, acceptance_rate (accepts ÷ (accepts +
    rejects), None without any), total/accepted lines added, usage_events, spend_cents
    (usage events' charged cents in the range), cycle_spend_cents (the latest cycle's
    overall spend snapshot, None without one), top_model. Sorted by `sort` (a column,
    "-column" for descending; email by default). `person_ids` (a set of Person ids) keeps
    only those people's members; None keeps everyone.
    """
    rows, _ = _fetch_rows(org, start, end, sort=sort, person_ids=person_ids)
    top = _top_models(org, start, end)
    for row in rows:
        row["top_model"] = top.get(row["member_id"], "")
    return rows


BIGINT_MAX = 2**63 - 1


def member_usage_page(
    org, start, end, *, sort: str, page: int, page_size: int, person_ids=None
) -> tuple[list[dict], int]:
    """One page of `member_usage` rows sorted in the database, and the total row count."""
    # OFFSET is a bigint: a page number past this bound would make PostgreSQL refuse the query.
    page = min(max(1, page), BIGINT_MAX // page_size)
    rows, total = _fetch_rows(
        org, start, end, sort=sort, limit=page_size, offset=(page - 1) * page_size, person_ids=person_ids
    )
    if not rows and page > 1:  # past the last page: show the first, as Paginator.get_page would
        return member_usage_page(
            org, start, end, sort=sort, page=1, page_size=page_size, person_ids=person_ids
        )
    top = _top_models(org, start, end, [r["member_id"] for r in rows])
    for row in rows:
        row["top_model"] = top.get(row["member_id"], "")
    return rows, total
