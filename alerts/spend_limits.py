"""Acting on Cursor's per-person spend limits (Enterprise): plan the changes, confirm, apply.

A change is (Cursor member, current limit, new limit): the current limit is the one Cursor
reported in the latest spend snapshot. Applying calls `POST /teams/user-spend-limits` through
the organization's connection (≤ 100 people a call) and records every limit Cursor changed in
the audit log. A 403 means Cursor has not enabled the endpoint for the team yet.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Subquery

from analytics.models import CursorMember, SpendSnapshot
from integrations.cursor.client import CursorClient
from integrations.cursor.errors import CursorError, InvalidApiKey, PlanRequired
from integrations.models import AuditLogEntry, Connection, Provider

from .models import Budget

AUDIT_ACTION = "spend_limit_set"  # an open string in AuditLogEntry.action (max 20 characters)
NOT_AVAILABLE = (
    "Cursor has not made spend limits through its API available for this team yet "
    "(an Enterprise feature still rolling out). Set them in Cursor's dashboard meanwhile."
)
CLIENT_TIMEOUT = 15.0
CLIENT_RETRIES = 2


class SpendLimitError(Exception):
    """A refusal meant for the admin, shown as is; nothing was changed."""


@dataclass
class LimitChange:
    member_id: int
    email: str
    name: str
    current: int | None  # whole dollars; None: no limit of their own
    new: int | None  # None: clear the limit

    @property
    def label(self) -> str:
        return self.name or self.email

    @staticmethod
    def show(value) -> str:
        return "no limit" if value is None else f"${value:,}"

    @property
    def show_current(self) -> str:
        return self.show(self.current)

    @property
    def show_new(self) -> str:
        return self.show(self.new)


@dataclass
class LimitResult:
    change: LimitChange
    status: str  # updated / unchanged / failed
    error: str = ""


def _members_with_limits(org, member_ids):
    latest = SpendSnapshot.objects.filter(organization=org).order_by("-cycle_start").values("cycle_start")[:1]
    limit = SpendSnapshot.objects.filter(
        organization=org, member=OuterRef("pk"), cycle_start=Subquery(latest)
    ).values("monthly_limit_dollars")[:1]
    return {
        m.pk: m
        for m in CursorMember.objects.filter(organization=org, pk__in=member_ids, is_removed=False).annotate(
            current_limit=Subquery(limit)
        )
    }


def _dollars(value) -> int | None:
    return None if value is None else int(Decimal(value))


def plan_changes(org, wanted: dict[int, int | None]) -> list[LimitChange]:
    """The changes for {member id: new limit}; unknown members (or another organization's) are dropped."""
    members = _members_with_limits(org, list(wanted))
    changes = [
        LimitChange(m.pk, m.email, m.name, _dollars(m.current_limit), wanted[m.pk]) for m in members.values()
    ]
    return sorted(changes, key=lambda c: (c.label.lower(), c.member_id))


def suggested_changes(org) -> list[LimitChange]:
    """Each person budget suggests a Cursor limit equal to its amount (whole dollars), for
    every Cursor seat of that person."""
    wanted = {}
    budgets = Budget.objects.filter(organization=org, scope=Budget.Scope.PERSON).values(
        "person_id", "amount_cents"
    )
    amounts = {b["person_id"]: int(b["amount_cents"] // 100) for b in budgets}
    for member_id, person_id in CursorMember.objects.filter(
        organization=org, person_id__in=amounts, is_removed=False
    ).values_list("pk", "person_id"):
        wanted[member_id] = amounts[person_id]
    return plan_changes(org, wanted)


def _client(connection: Connection) -> CursorClient:
    return CursorClient(
        connection.get_api_key(),
        base_url=connection.api_base_url,
        timeout=CLIENT_TIMEOUT,
        max_retries=CLIENT_RETRIES,
    )


def apply_changes(org, changes: list[LimitChange], *, actor, client_factory=_client) -> list[LimitResult]:
    if not changes:
        raise SpendLimitError("Choose at least one person.")
    connection = Connection.objects.filter(organization=org, provider=Provider.CURSOR).first()
    if connection is None:
        raise SpendLimitError("Connect Cursor first: spend limits are set through its Admin API.")
    try:
        with client_factory(connection) as client:
            outcomes = client.set_user_spend_limits([(c.email, c.new) for c in changes])
    except PlanRequired:
        raise SpendLimitError(NOT_AVAILABLE) from None
    except InvalidApiKey:
        raise SpendLimitError("Cursor rejected the API key; replace it in Settings → Integrations.") from None
    except CursorError as exc:
        raise SpendLimitError(exc.user_message) from None
    by_email = {o.email.strip().lower(): o for o in outcomes}
    results = []
    for change in changes:
        outcome = by_email.get(change.email.lower())
        status, error = (outcome.status, outcome.error) if outcome else ("failed", "No answer from Cursor.")
        results.append(LimitResult(change, status, error))
    AuditLogEntry.objects.bulk_create(
        [
            AuditLogEntry(
                organization=org,
                provider=Provider.CURSOR,
                actor=actor,
                action=AUDIT_ACTION,
                detail=f"Cursor spend limit of {r.change.email}: {LimitChange.show(r.change.current)} → "
                f"{LimitChange.show(r.change.new)}"[:300],
            )
            for r in results
            if r.status == "updated"
        ]
    )
    return results
