"""Storing Claude Code data (reference: docs/claude-code-api.md), in Anthropic's vocabulary.

The sync hands over parsed records (any object with the fields of
`integrations.claude_code.records`; analytics imports nothing from integrations). A day is
stored whole in one transaction, replacing what the day held, together with its
`ClaudeCodeFetchedDay` marker: a re-sync of an unchanged day is a no-op in effect, a revised day
replaces the old figures, and a sync killed mid-way keeps every finished day. Every query is
scoped by organization.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction

from ..models import (
    ClaudeCodeActor,
    ClaudeCodeActorDay,
    ClaudeCodeFetchedDay,
    ClaudeCodeModelDay,
    ClaudeCodeSource,
    ClaudeCodeUser,
)

USAGE, ACTIVITY, COSTS = "usage", "activity", "costs"
BATCH = 2000
# Enterprise costs "are revised for up to 30 days" (§5.3): an estimate until then.
ENTERPRISE_COST_FINAL_AFTER_DAYS = 30


def _key(actor_type: str, email: str, api_key_name: str) -> str:
    return f"user:{email}" if actor_type == ClaudeCodeActor.USER else f"api:{api_key_name}"


def _actor_rows(organization_id: int, source: str, records: Iterable) -> dict[tuple, ClaudeCodeActorDay]:
    rows: dict[tuple, ClaudeCodeActorDay] = {}
    for r in records:
        key = _key(r.actor_type, r.email, r.api_key_name)
        ident = (r.day, key, r.is_remote, r.terminal_type)
        actions = {tool: {"accepted": a, "rejected": j} for tool, (a, j) in sorted(r.tool_actions.items())}
        # One row per key: a page read twice (a restarted cursor) must not double the day.
        rows[ident] = ClaudeCodeActorDay(
            organization_id=organization_id,
            source=source,
            day=r.day,
            actor_type=r.actor_type,
            actor_key=key[:300],
            email=r.email,
            api_key_name=r.api_key_name[:200],
            is_remote=r.is_remote,
            terminal_type=r.terminal_type,
            customer_type=r.customer_type,
            subscription_type=r.subscription_type,
            sessions=r.sessions,
            lines_added=r.lines_added,
            lines_removed=r.lines_removed,
            commits=r.commits,
            pull_requests=r.pull_requests,
            tool_actions=actions,
            actions_accepted=sum(a for a, _ in r.tool_actions.values()),
            actions_rejected=sum(j for _, j in r.tool_actions.values()),
        )
    return rows


def _model_rows(organization_id: int, records: Iterable) -> dict[tuple, ClaudeCodeModelDay]:
    rows: dict[tuple, ClaudeCodeModelDay] = {}
    for r in records:
        key = _key(r.actor_type, r.email, r.api_key_name)
        for m in r.models:
            ident = (r.day, key, r.is_remote, r.terminal_type, m.model)
            prior = rows.get(ident)
            if prior is not None and prior.actor_key == key:
                # The same model twice in one record: add up (a repeat of a record is dropped above).
                prior.input_tokens += m.input_tokens
                prior.output_tokens += m.output_tokens
                prior.cache_read_tokens += m.cache_read_tokens
                prior.cache_creation_tokens += m.cache_creation_tokens
                prior.cost_cents += m.cost_cents
                continue
            rows[ident] = ClaudeCodeModelDay(
                organization_id=organization_id,
                source=ClaudeCodeSource.CONSOLE,
                day=r.day,
                actor_type=r.actor_type,
                actor_key=key[:300],
                is_remote=r.is_remote,
                terminal_type=r.terminal_type,
                model=m.model[:200],
                input_tokens=m.input_tokens,
                output_tokens=m.output_tokens,
                cache_read_tokens=m.cache_read_tokens,
                cache_creation_tokens=m.cache_creation_tokens,
                cost_cents=m.cost_cents,
                cost_is_estimate=True,  # the report's estimated_cost, "not an invoice" (§3.3)
            )
    return rows


def _mark(organization_id: int, stream: str, days: Iterable[date], now: datetime, rows: dict) -> None:
    ClaudeCodeFetchedDay.objects.bulk_create(
        [
            ClaudeCodeFetchedDay(
                organization_id=organization_id, stream=stream, day=d, fetched_at=now, rows=rows.get(d, 0)
            )
            for d in days
        ],
        update_conflicts=True,
        unique_fields=["organization", "stream", "day"],
        update_fields=["fetched_at", "rows"],
    )


def store_console_day(organization_id: int, day: date, records: list, now: datetime) -> int:
    """Replace one day of the Console report (activity and per-model tokens and cost)."""
    records = [r for r in records if r.day == day]
    # Deduplicate before building model rows, so a record read twice counts once.
    unique = {
        (r.day, _key(r.actor_type, r.email, r.api_key_name), r.is_remote, r.terminal_type): r for r in records
    }
    actors = _actor_rows(organization_id, ClaudeCodeSource.CONSOLE, unique.values())
    models = _model_rows(organization_id, unique.values())
    with transaction.atomic():
        for model in (ClaudeCodeActorDay, ClaudeCodeModelDay):
            model.objects.filter(organization_id=organization_id, day=day).delete()
        ClaudeCodeActorDay.objects.bulk_create(actors.values(), batch_size=BATCH)
        ClaudeCodeModelDay.objects.bulk_create(models.values(), batch_size=BATCH)
        _mark(organization_id, USAGE, [day], now, {day: len(actors)})
    return len(actors) + len(models)


def store_enterprise_activity_day(organization_id: int, day: date, records: list, now: datetime) -> int:
    """Replace one day of Enterprise per-user Claude Code activity. Members with no Claude Code
    activity that day (Enterprise zero-fills every product block) are not stored."""
    active = [
        r
        for r in records
        if (r.sessions or 0)
        + r.lines_added
        + r.lines_removed
        + r.commits
        + r.pull_requests
        + sum(a + j for a, j in r.tool_actions.values())
        > 0
    ]
    actors = _actor_rows(organization_id, ClaudeCodeSource.ENTERPRISE, active)
    with transaction.atomic():
        ClaudeCodeActorDay.objects.filter(organization_id=organization_id, day=day).delete()
        ClaudeCodeActorDay.objects.bulk_create(actors.values(), batch_size=BATCH)
        _mark(organization_id, ACTIVITY, [day], now, {day: len(actors)})
    return len(actors)


def store_enterprise_costs(
    organization_id: int, start: date, end: date, costs: list, usage: list, now: datetime, *, today: date
) -> int:
    """Replace start..end of Enterprise per-user, per-model cost (exact cents) and tokens."""
    merged: dict[tuple, ClaudeCodeModelDay] = {}

    def row(r) -> ClaudeCodeModelDay:
        ident = (r.day, r.email or f"deleted:{r.user_id}", r.model)
        if ident not in merged:
            merged[ident] = ClaudeCodeModelDay(
                organization_id=organization_id,
                source=ClaudeCodeSource.ENTERPRISE,
                day=r.day,
                actor_type=ClaudeCodeActor.USER,
                actor_key=f"user:{r.email}" if r.email else f"user:deleted:{r.user_id}",
                model=r.model[:200],
                cost_cents=Decimal(0),
                cost_is_estimate=(today - r.day).days < ENTERPRISE_COST_FINAL_AFTER_DAYS,
            )
        return merged[ident]

    for r in costs:
        if start <= r.day <= end:
            m = row(r)
            m.cost_cents += r.cost_cents or 0
            m.requests = (m.requests or 0) + (r.requests or 0) if r.requests is not None else m.requests
    for r in usage:
        if start <= r.day <= end:
            m = row(r)
            m.input_tokens += r.input_tokens or 0
            m.output_tokens += r.output_tokens or 0
            m.cache_read_tokens += r.cache_read_tokens or 0
            m.cache_creation_tokens += r.cache_creation_tokens or 0
    per_day: dict[date, int] = {}
    for (d, _, _), _m in merged.items():
        per_day[d] = per_day.get(d, 0) + 1
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    with transaction.atomic():
        ClaudeCodeModelDay.objects.filter(organization_id=organization_id, day__range=(start, end)).delete()
        ClaudeCodeModelDay.objects.bulk_create(merged.values(), batch_size=BATCH)
        _mark(organization_id, COSTS, days, now, per_day)
    return len(merged)


def upsert_claude_code_users(organization_id: int, users: Iterable, now: datetime) -> int:
    """Store the roster; members no longer listed get `removed_at` (their history stays)."""
    users = {u.email: u for u in users}
    ClaudeCodeUser.objects.bulk_create(
        [
            ClaudeCodeUser(
                organization_id=organization_id, user_id=u.user_id, email=u.email, name=u.name,
                role=u.role, added_at=u.added_at, synced_at=now, removed_at=None,
            )
            for u in users.values()
        ],
        update_conflicts=True,
        unique_fields=["organization", "email"],
        update_fields=["user_id", "name", "role", "added_at", "synced_at", "removed_at"],
        batch_size=BATCH,
    )  # fmt: skip
    ClaudeCodeUser.objects.filter(organization_id=organization_id, removed_at__isnull=True).exclude(
        email__in=list(users)
    ).update(removed_at=now)
    return len(users)


def days_to_fetch(
    organization_id: int, stream: str, start: date, end: date, *, settle_days: int
) -> list[date]:
    """The days of start..end a sync should (re)fetch for `stream`: never fetched, or fetched
    before the day had settled (less than `settle_days` after it ended), since Anthropic keeps
    revising recent days. Like Cursor's lookback, but driven by when each day was fetched, so a
    sync that missed a few hours still re-fetches exactly what may have changed."""
    if start > end:
        return []
    fetched = dict(
        ClaudeCodeFetchedDay.objects.filter(
            organization_id=organization_id, stream=stream, day__range=(start, end)
        ).values_list("day", "fetched_at")
    )
    out = []
    day = start
    while day <= end:
        at = fetched.get(day)
        settled_at = datetime.combine(day + timedelta(days=1 + settle_days), datetime.min.time()).replace(
            tzinfo=at.tzinfo if at else None
        )
        if at is None or at < settled_at:
            out.append(day)
        day += timedelta(days=1)
    return out
