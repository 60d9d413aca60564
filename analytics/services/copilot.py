"""Writes of synced GitHub Copilot data into the analytics tables (docs/copilot-api.md).

Every function takes the organization id explicitly; every row it writes carries it and every
query filters on it. Writes are batched upserts (`bulk.upsert`) on the models' unique keys, so
a re-sync, or finishing what a killed worker started, leaves the rows one clean run would.

Inputs are the Copilot client's records, read by attribute (this layer does not import the
client): `Seat`, `UserDay` (with `breakdowns`) and `BillingItem`. Logins are stored lowercase.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction

from people.services import people_for_github_logins

from ..models import (
    CopilotBillingLine,
    CopilotOrgDay,
    CopilotReportDay,
    CopilotSeat,
    CopilotUserDay,
    CopilotUserDayBreakdown,
)
from .bulk import upsert

USERS_REPORT = "users"
ORG_REPORT = "organization"

SEAT_COLUMNS = [
    "organization_id", "login", "github_user_id", "email", "plan_type", "assigning_team", "seat_created_at",
    "last_activity_at", "last_activity_editor", "last_authenticated_at", "pending_cancellation_date",
    "synced_at", "removed_at", "person_id",
]  # fmt: skip
USER_DAY_COLUMNS = [
    "organization_id", "login", "github_user_id", "day", "interactions", "generations", "acceptances",
    "loc_suggested_to_add", "loc_suggested_to_delete", "loc_added", "loc_deleted", "ai_credits_used",
    "used_agent", "used_chat", "used_cli", "cli_requests", "cli_prompt_tokens", "cli_output_tokens", "extra",
    "person_id",
]  # fmt: skip
BREAKDOWN_COLUMNS = [
    "organization_id", "login", "day", "dimension", "value", "feature", "interactions", "generations",
    "acceptances", "loc_suggested_to_add", "loc_added",
]  # fmt: skip
BILLING_COLUMNS = [
    "organization_id", "year", "month", "kind", "login", "product", "sku", "model", "unit_type",
    "price_per_unit", "gross_quantity", "gross_amount", "discount_quantity", "discount_amount",
    "net_quantity", "net_amount", "fetched_at",
]  # fmt: skip


def seat_emails(organization_id: int) -> dict[str, str]:
    """login → email for the seats GitHub gave an email for."""
    return dict(
        CopilotSeat.objects.filter(organization_id=organization_id)
        .exclude(email="")
        .values_list("login", "email")
    )


def upsert_copilot_seats(organization_id: int, seats: Iterable, now: datetime) -> int:
    """Store the seat list; seats no longer listed get `removed_at` (their history stays).

    An empty list changes nothing: more likely a glitch than an organization of nobody.
    """
    seats = [s for s in seats if s.login]
    if not seats:
        return 0
    emails = {s.login.lower(): s.email for s in seats if s.email}
    people = people_for_github_logins(organization_id, [s.login for s in seats], emails=emails)
    rows = [
        (
            organization_id,
            s.login.lower(),
            s.user_id,
            s.email,
            s.plan_type,
            s.assigning_team[:100],
            s.created_at,
            s.last_activity_at,
            s.last_activity_editor,
            s.last_authenticated_at,
            s.pending_cancellation_date,
            now,
            None,
            people.get(s.login.lower()),
        )  # fmt: skip
        for s in seats
    ]
    stored = upsert(
        CopilotSeat, SEAT_COLUMNS, rows, conflict=["organization_id", "login"], update=SEAT_COLUMNS[2:]
    )
    CopilotSeat.objects.filter(organization_id=organization_id, removed_at__isnull=True).exclude(
        login__in=[r[1] for r in rows]
    ).update(removed_at=now)
    return stored


def store_copilot_user_report(
    organization_id: int, day: date, records: list, skipped: int, now: datetime
) -> int:
    """Replace the day's per-user rows with this report and mark the day reported.

    Replacing (not merging) keeps a re-fetched report exact even when it lists fewer users.
    Returns the number of user rows stored.
    """
    people = people_for_github_logins(
        organization_id, [r.login for r in records], emails=seat_emails(organization_id)
    )
    users, breakdowns = [], []
    for r in records:
        login = r.login.lower()
        users.append(
            (
                organization_id,
                login,
                r.user_id,
                r.day,
                r.interactions,
                r.generations,
                r.acceptances,
                r.loc_suggested_to_add,
                r.loc_suggested_to_delete,
                r.loc_added,
                r.loc_deleted,
                r.ai_credits_used,
                r.used_agent,
                r.used_chat,
                r.used_cli,
                r.cli_requests,
                r.cli_prompt_tokens,
                r.cli_output_tokens,
                r.extra or {},
                people.get(login),
            )  # fmt: skip
        )
        breakdowns += [
            (
                organization_id,
                login,
                r.day,
                b.dimension,
                b.value[:100],
                b.feature[:100],
                b.interactions,
                b.generations,
                b.acceptances,
                b.loc_suggested_to_add,
                b.loc_added,
            )  # fmt: skip
            for b in r.breakdowns
        ]
    with transaction.atomic():
        CopilotUserDayBreakdown.objects.filter(organization_id=organization_id, day=day).delete()
        CopilotUserDay.objects.filter(organization_id=organization_id, day=day).delete()
        stored = upsert(
            CopilotUserDay, USER_DAY_COLUMNS, users, conflict=["organization_id", "login", "day"],
            update=USER_DAY_COLUMNS[4:],
        )  # fmt: skip
        upsert(
            CopilotUserDayBreakdown, BREAKDOWN_COLUMNS, breakdowns,
            conflict=["organization_id", "login", "day", "dimension", "value", "feature"],
            update=BREAKDOWN_COLUMNS[6:],
        )  # fmt: skip
        CopilotReportDay.objects.update_or_create(
            organization_id=organization_id,
            report=USERS_REPORT,
            day=day,
            defaults={
                "status": CopilotReportDay.Status.REPORTED,
                "users": stored,
                "skipped_lines": skipped,
                "checked_at": now,
            },
        )
    return stored


def mark_copilot_no_report(
    organization_id: int, day: date, now: datetime, *, report: str = USERS_REPORT
) -> None:
    """GitHub has no report for `day` (204/404): record it, to check again later. A day already
    reported keeps its rows (a report that vanished, e.g. past GitHub's retention, is not zero)."""
    marker, created = CopilotReportDay.objects.get_or_create(
        organization_id=organization_id,
        report=report,
        day=day,
        defaults={"status": CopilotReportDay.Status.NO_REPORT, "checked_at": now},
    )
    if not created and marker.status == CopilotReportDay.Status.NO_REPORT:
        CopilotReportDay.objects.filter(pk=marker.pk, organization_id=organization_id).update(checked_at=now)


def copilot_days_to_fetch(
    organization_id: int, start: date, end: date, *, fresh_days: int = 4, report: str = USERS_REPORT
) -> list[date]:
    """The days of start..end a sync should ask GitHub for: never checked, checked with no
    report yet, or within the last `fresh_days` of `end` (GitHub may still revise them, §2.2)."""
    if start > end:
        return []
    reported = set(
        CopilotReportDay.objects.filter(
            organization_id=organization_id,
            report=report,
            day__range=(start, end),
            status=CopilotReportDay.Status.REPORTED,
        ).values_list("day", flat=True)
    )
    fresh_from = end - timedelta(days=fresh_days - 1)
    days, day = [], start
    while day <= end:
        if day not in reported or day >= fresh_from:
            days.append(day)
        day += timedelta(days=1)
    return days


def upsert_copilot_org_day(organization_id: int, day: date, data: dict) -> None:
    def count(key):
        value = data.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    CopilotOrgDay.objects.update_or_create(
        organization_id=organization_id,
        day=day,
        defaults={
            "daily_active_users": count("daily_active_users"),
            "weekly_active_users": count("weekly_active_users"),
            "monthly_active_users": count("monthly_active_users"),
            "data": data,
        },
    )


def replace_copilot_billing_lines(
    organization_id: int,
    year: int,
    month: int,
    items: Iterable,
    now: datetime,
    *,
    login: str = "",
    kind: str = "ai_credit",
) -> int:
    """Replace the lines of one month (for the organization, or one `login`) with `items`."""
    login = (login or "").lower()
    rows = [
        (
            organization_id,
            year,
            month,
            kind,
            login,
            i.product,
            i.sku,
            i.model,
            i.unit_type,
            i.price_per_unit,
            i.gross_quantity,
            i.gross_amount,
            i.discount_quantity,
            i.discount_amount,
            i.net_quantity,
            i.net_amount,
            now,
        )  # fmt: skip
        for i in items
    ]
    with transaction.atomic():
        CopilotBillingLine.objects.filter(
            organization_id=organization_id, year=year, month=month, kind=kind, login=login
        ).delete()
        return upsert(
            CopilotBillingLine, BILLING_COLUMNS, rows,
            conflict=["organization_id", "year", "month", "kind", "login", "sku", "model"],
            update=BILLING_COLUMNS[8:],
        )  # fmt: skip
