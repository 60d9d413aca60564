"""The Tools page's per-person lists, counted and cut in SQL: the people holding a seat in both
Cursor and Copilot (`seat_overlap`) and Copilot's idle seats (`copilot_idle_seats`).

A large organization holds thousands of such seats and the page shows the first hundred: each
list is one statement that computes every row's figure, the totals over all rows (window
functions, before the LIMIT) and returns only the rows asked for (`limit`; None: all of them,
for the CSV and the API). Activity comes from the per-month bitmasks (`ToolPersonMonth`): a
row per person, tool and month of the window, whatever the number of days. Every query
filters by organization. Portable SQL (PostgreSQL, SQLite) but for the name collation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When, Window
from django.db.models.functions import Coalesce

from people.models import Person

from ..models import CopilotSeat, CursorMember, Tool, ToolPersonMonth
from .activity_months import window_months

OVERLAP_WINDOW_DAYS = 30
IDLE_WINDOWS = (14, 30)


def _days_and_last(months: list[tuple[date, int]], masks) -> tuple[int, date | None]:
    """Active days and the last of them from a person's masks of `months` (already cut to the window)."""
    days, last = 0, None
    for (month, _), mask in zip(months, masks, strict=True):
        if mask:
            days += mask.bit_count()
            last = month + timedelta(days=mask.bit_length() - 1)
    return days, last


def _name_order() -> str:
    """Python's `str.lower()` order: lowercase, then compared by code point (PostgreSQL's
    default collation would ignore spaces and punctuation)."""
    return 'LOWER(r.name) COLLATE "C"' if connection.vendor == "postgresql" else "LOWER(r.name)"


USES = {
    (1, 1): ("both", ""),
    (1, 0): ("cursor", "copilot"),
    (0, 1): ("copilot", "cursor"),
    (0, 0): ("neither", "both"),
}


def seat_overlap(
    org, today: date, *, prices, window_days: int = OVERLAP_WINDOW_DAYS, limit: int | None = None
) -> dict:
    """People holding a seat in both Cursor and Copilot, which one they used in the last
    `window_days` UTC days (today included), and the monthly saving from dropping the unused
    seat (both seats when neither was used).

    Returns {"rows": [...], "people": n, "saving_cents": total, "start", "end"}; the rows are
    sorted by saving (largest first), then name, and cut to the first `limit` (None: all);
    `people` and `saving_cents` count every row. Each row: person_id, name, email,
    github_login, cursor_days, copilot_days, cursor_last, copilot_last, uses ("both",
    "cursor", "copilot", "neither"), drop ("", "copilot", "cursor", "both"), saving_cents.
    One query.
    """
    start = today - timedelta(days=window_days - 1)
    months = window_months(start, today)
    params: dict = {
        "org": org.pk,
        "cursor": Tool.CURSOR.value,
        "copilot": Tool.COPILOT.value,
        "drop_copilot": prices[Tool.COPILOT].cents,
        "drop_cursor": prices[Tool.CURSOR].cents,
        "drop_both": prices[Tool.COPILOT].cents + prices[Tool.CURSOR].cents,
    }
    mask_columns, month_names = [], []
    for i, (month, bits) in enumerate(months):
        params[f"m{i}"], params[f"b{i}"] = month, bits
        month_names.append(f"%(m{i})s")
        for prefix, tool in (("c", "cursor"), ("g", "copilot")):
            mask_columns.append(
                f"MAX(CASE WHEN t.tool = %({tool})s AND t.month = %(m{i})s"
                f" THEN t.active_mask & %(b{i})s ELSE 0 END) AS {prefix}{i}"
            )
    n = len(months)
    used = {p: " OR ".join(f"COALESCE(a.{p}{i}, 0) <> 0" for i in range(n)) for p in ("c", "g")}
    mask_names = [f"{p}{i}" for p in ("c", "g") for i in range(n)]
    masks_out = ", ".join(f"COALESCE(r.{m}, 0)" for m in mask_names)
    sql = f"""
        WITH holders AS (
            SELECT s.person_id, MIN(s.login) AS login
            FROM {CopilotSeat._meta.db_table} s
            WHERE s.organization_id = %(org)s AND s.removed_at IS NULL AND s.person_id IS NOT NULL
              AND EXISTS (
                  SELECT 1 FROM {CursorMember._meta.db_table} m
                  WHERE m.organization_id = %(org)s AND m.person_id = s.person_id
                    AND NOT m.is_removed AND NOT m.not_in_roster)
            GROUP BY s.person_id
        ), masks AS (
            SELECT t.person_id, {", ".join(mask_columns)}
            FROM {ToolPersonMonth._meta.db_table} t
            WHERE t.organization_id = %(org)s AND t.tool IN (%(cursor)s, %(copilot)s)
              AND t.month IN ({", ".join(month_names)})
              AND t.person_id IN (SELECT person_id FROM holders)
            GROUP BY t.person_id
        ), r AS (
            SELECT h.person_id, COALESCE(NULLIF(p.name, ''), p.primary_email) AS name,
                   p.primary_email AS email, h.login, {", ".join(f"a.{m}" for m in mask_names)},
                   CASE WHEN {used["c"]} THEN 1 ELSE 0 END AS cu,
                   CASE WHEN {used["g"]} THEN 1 ELSE 0 END AS gu
            FROM holders h
            JOIN {Person._meta.db_table} p ON p.id = h.person_id AND p.organization_id = %(org)s
            LEFT JOIN masks a ON a.person_id = h.person_id
        )
        SELECT r.person_id, r.name, r.email, r.login, r.cu, r.gu, {masks_out},
               CASE WHEN r.cu = 1 AND r.gu = 1 THEN 0 WHEN r.cu = 1 THEN %(drop_copilot)s
                    WHEN r.gu = 1 THEN %(drop_cursor)s ELSE %(drop_both)s END AS saving,
               COUNT(*) OVER (),
               SUM(CASE WHEN r.cu = 1 AND r.gu = 1 THEN 0 WHEN r.cu = 1 THEN %(drop_copilot)s
                        WHEN r.gu = 1 THEN %(drop_cursor)s ELSE %(drop_both)s END) OVER ()
        FROM r
        ORDER BY saving DESC, {_name_order()}, r.person_id
        {"LIMIT %(limit)s" if limit is not None else ""}
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
    if limit is not None:
        params["limit"] = limit
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    rows, people, saving = [], 0, 0
    for person_id, name, email, login, cu, gu, *rest in fetched:
        cursor_masks, copilot_masks = rest[:n], rest[n : 2 * n]
        cents, people, saving = rest[2 * n :]
        cursor_days, cursor_last = _days_and_last(months, cursor_masks)
        copilot_days, copilot_last = _days_and_last(months, copilot_masks)
        uses, drop = USES[(cu, gu)]
        rows.append(
            {
                "person_id": person_id,
                "name": name,
                "email": email,
                "github_login": login,
                "cursor_days": cursor_days,
                "copilot_days": copilot_days,
                "cursor_last": cursor_last,
                "copilot_last": copilot_last,
                "uses": uses,
                "drop": drop,
                "saving_cents": int(cents),
            }
        )
    return {
        "rows": rows,
        "people": int(people),
        "saving_cents": int(saving or 0),
        "start": start,
        "end": today,
    }


def copilot_idle_seats(org, today: date, *, price, limit: int | None = None) -> dict:
    """Copilot seats without activity for 14 / 30 days by GitHub's `last_activity_at` (a seat
    never used counts from when it was granted), by last activity then login.

    Returns idle_14 (the seats idle 14 days or more, the first `limit` of them; None: all),
    idle_30 (those of idle_14 idle 30 days or more), idle_14_count and idle_30_count (every
    idle seat, whatever the limit), monthly_saving_cents (the 30-day ones not pending
    cancellation, at `price`). Each row: login, name, last_activity_at, idle_days (the longest
    window), pending_cancellation_date. One query.
    """
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
    cut14, cut30 = (now - timedelta(days=days) for days in IDLE_WINDOWS)
    idle_30 = Q(since__lte=cut30)
    one = Value(1, output_field=IntegerField())
    zero = Value(0, output_field=IntegerField())
    seats = (
        CopilotSeat.objects.filter(organization=org, removed_at__isnull=True)
        .annotate(since=Coalesce("last_activity_at", "seat_created_at"))
        .filter(since__lte=cut14)
        .annotate(
            n14=Window(Count("pk")),
            n30=Window(Sum(Case(When(idle_30, then=one), default=zero))),
            reclaim=Window(Sum(Case(When(idle_30 & Q(pending_cancellation_date__isnull=True), then=one), default=zero))),
        )
        .order_by("last_activity_at", "login")
        .values_list(
            "login", "person_id", "person__name", "person__primary_email", "last_activity_at",
            "pending_cancellation_date", "since", "n14", "n30", "reclaim",
        )
    )  # fmt: skip
    if limit is not None:
        seats = seats[:limit]
    fetched = list(seats)
    # Every idle seat's counts, the same on each row (computed before the LIMIT).
    n14, n30, reclaim = fetched[0][-3:] if fetched else (0, 0, 0)
    rows = []
    for login, person_id, name, email, last, pending, since, *_ in fetched:
        rows.append(
            {
                "login": login,
                "name": (name or email) if person_id else login,
                "last_activity_at": last,
                "idle_days": 30 if since <= cut30 else 14,
                "pending_cancellation_date": pending,
            }
        )
    return {
        "idle_14": rows,
        "idle_30": [r for r in rows if r["idle_days"] == 30],
        "idle_14_count": n14,
        "idle_30_count": n30 or 0,
        "monthly_saving_cents": price.cents * (reclaim or 0),
    }
