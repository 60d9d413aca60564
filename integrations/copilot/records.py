"""Frozen records the Copilot client returns, parsed tolerantly from GitHub's JSON.

Reference: docs/copilot-api.md §3 (per-user records), §4 (seats), §5 (billing usage). Counters
that are absent read as 0 only inside a record that exists; a day without a report is no record
at all (the client returns None), never a record of zeros. Keys this module does not know are
kept in ``extra`` so history can be recomputed when GitHub adds fields.

Each ``parse_*`` raises one of ``RECORD_ERRORS`` on a malformed record; the client skips it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

RECORD_ERRORS = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError)

# The six activity counters GitHub repeats in every breakdown (§3.1 "C") and at the top level.
COUNTERS = (
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_suggested_to_add_sum",
    "loc_suggested_to_delete_sum",
    "loc_added_sum",
    "loc_deleted_sum",
)
BREAKDOWNS = {  # report key → (dimension, the key(s) naming a row)
    "totals_by_ide": ("ide", ("ide",)),
    "totals_by_feature": ("feature", ("feature",)),
    "totals_by_language_feature": ("language", ("language", "feature")),
    "totals_by_model_feature": ("model", ("model", "feature")),
}
KNOWN_USER_KEYS = {
    "user_id", "user_login", "day", "enterprise_id", "organization_id", "report_start_day",
    "report_end_day", "user_initiated_interaction_count", *COUNTERS, "ai_credits_used", "used_agent",
    "used_chat", "used_cli", *BREAKDOWNS, "totals_by_cli", "etl_id", "day_partition", "entity_id_partition",
}  # fmt: skip


def _int(value) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        raise TypeError("a boolean is not a count")
    number = int(value)
    if number != value and not isinstance(value, str):
        raise ValueError("a count must be whole")
    if number < 0:
        raise ValueError("a count cannot be negative")
    return number


def _decimal(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    number = Decimal(str(value))
    if not number.is_finite():
        raise InvalidOperation("not a finite number")
    return number


def _day(value) -> date:
    if not isinstance(value, str):
        raise TypeError("a day must be a YYYY-MM-DD string")
    return date.fromisoformat(value[:10])


def _datetime(value) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise TypeError("a timestamp must be a string")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _text(value, limit: int = 100) -> str:
    return str(value)[:limit] if value is not None else ""


@dataclass(frozen=True)
class Breakdown:
    """One row of a ``totals_by_*`` array: ``dimension`` is ide, feature, language or model;
    ``feature`` is set where GitHub splits the dimension by feature too."""

    dimension: str
    value: str
    feature: str
    interactions: int | None  # None where GitHub reports none (language rows)
    generations: int
    acceptances: int
    loc_suggested_to_add: int
    loc_added: int


@dataclass(frozen=True)
class UserDay:
    """One user's Copilot activity on one UTC day (a line of a ``users-1-day`` report)."""

    user_id: int | None
    login: str
    day: date
    interactions: int
    generations: int
    acceptances: int
    loc_suggested_to_add: int
    loc_suggested_to_delete: int
    loc_added: int
    loc_deleted: int
    ai_credits_used: Decimal | None
    used_agent: bool
    used_chat: bool
    used_cli: bool
    cli_requests: int | None
    cli_prompt_tokens: int | None
    cli_output_tokens: int | None
    breakdowns: tuple[Breakdown, ...] = ()
    extra: dict = field(default_factory=dict, compare=False)


def parse_user_day(raw: dict) -> UserDay:
    login = raw["user_login"]
    if not isinstance(login, str) or not login.strip():
        raise ValueError("user_login")
    breakdowns = []
    for key, (dimension, names) in BREAKDOWNS.items():
        for row in raw.get(key) or ():
            breakdowns.append(
                Breakdown(
                    dimension=dimension,
                    value=_text(row[names[0]]) or "unknown",
                    feature=_text(row.get("feature")) if len(names) > 1 else "",
                    interactions=(
                        _int(row["user_initiated_interaction_count"])
                        if "user_initiated_interaction_count" in row
                        else None
                    ),
                    generations=_int(row.get("code_generation_activity_count")),
                    acceptances=_int(row.get("code_acceptance_activity_count")),
                    loc_suggested_to_add=_int(row.get("loc_suggested_to_add_sum")),
                    loc_added=_int(row.get("loc_added_sum")),
                )
            )
    cli = raw.get("totals_by_cli")
    tokens = (cli or {}).get("token_usage") or {}
    user_id = raw.get("user_id")
    return UserDay(
        user_id=_int(user_id) if user_id is not None else None,
        login=login.strip(),
        day=_day(raw["day"]),
        interactions=_int(raw.get("user_initiated_interaction_count")),
        generations=_int(raw.get("code_generation_activity_count")),
        acceptances=_int(raw.get("code_acceptance_activity_count")),
        loc_suggested_to_add=_int(raw.get("loc_suggested_to_add_sum")),
        loc_suggested_to_delete=_int(raw.get("loc_suggested_to_delete_sum")),
        loc_added=_int(raw.get("loc_added_sum")),
        loc_deleted=_int(raw.get("loc_deleted_sum")),
        ai_credits_used=_decimal(raw.get("ai_credits_used")),
        used_agent=bool(raw.get("used_agent")),
        used_chat=bool(raw.get("used_chat")),
        used_cli=bool(raw.get("used_cli")),
        cli_requests=_int(cli.get("request_count")) if cli else None,
        cli_prompt_tokens=_int(tokens.get("prompt_tokens_sum")) if cli else None,
        cli_output_tokens=_int(tokens.get("output_tokens_sum")) if cli else None,
        breakdowns=tuple(breakdowns),
        extra={k: v for k, v in raw.items() if k not in KNOWN_USER_KEYS},
    )


@dataclass(frozen=True)
class Seat:
    """One Copilot seat (``/copilot/billing/seats``). ``email`` only where GitHub gives one."""

    user_id: int | None
    login: str
    email: str
    plan_type: str
    assigning_team: str
    created_at: datetime | None
    last_activity_at: datetime | None
    last_activity_editor: str
    last_authenticated_at: datetime | None
    pending_cancellation_date: date | None


def parse_seat(raw: dict) -> Seat:
    assignee = raw["assignee"]
    login = assignee["login"]
    if not isinstance(login, str) or not login.strip():
        raise ValueError("assignee.login")
    team = raw.get("assigning_team") or {}
    pending = raw.get("pending_cancellation_date")
    user_id = assignee.get("id")
    return Seat(
        user_id=_int(user_id) if user_id is not None else None,
        login=login.strip(),
        email=_text(assignee.get("email"), 254).strip().lower(),
        plan_type=_text(raw.get("plan_type"), 20) or "unknown",
        assigning_team=_text(team.get("slug") or team.get("name")),
        created_at=_datetime(raw.get("created_at")),
        last_activity_at=_datetime(raw.get("last_activity_at")),
        last_activity_editor=_text(raw.get("last_activity_editor"), 200),
        last_authenticated_at=_datetime(raw.get("last_authenticated_at")),
        pending_cancellation_date=_day(pending) if pending else None,
    )


@dataclass(frozen=True)
class BillingItem:
    """One ``usageItems[]`` entry of an AI-credit or premium-request usage report (US dollars)."""

    product: str
    sku: str
    model: str
    unit_type: str
    price_per_unit: Decimal
    gross_quantity: Decimal
    gross_amount: Decimal
    discount_quantity: Decimal
    discount_amount: Decimal
    net_quantity: Decimal
    net_amount: Decimal


def parse_billing_item(raw: dict) -> BillingItem:
    return BillingItem(
        product=_text(raw["product"]),
        sku=_text(raw["sku"]),
        model=_text(raw.get("model")),
        unit_type=_text(raw.get("unitType"), 30),
        **{
            name: _decimal(raw[key]) or Decimal(0)
            for name, key in (
                ("price_per_unit", "pricePerUnit"),
                ("gross_quantity", "grossQuantity"),
                ("gross_amount", "grossAmount"),
                ("discount_quantity", "discountQuantity"),
                ("discount_amount", "discountAmount"),
                ("net_quantity", "netQuantity"),
                ("net_amount", "netAmount"),
            )
        },
    )


@dataclass(frozen=True)
class UserReport:
    """A day's per-user report: its records and the NDJSON lines skipped as malformed."""

    day: date
    records: list[UserDay]
    skipped: int
    files: int


@dataclass(frozen=True)
class SeatList:
    total_seats: int
    seats: list[Seat]
