"""Reads of Claude Code's own tables for the Tools page and the tool switch: seats (the roster),
acceptance of tool actions, the model mix, the figures only Claude Code reports (sessions,
commits, PRs) and the roster gap. Every query filters by organization."""

from __future__ import annotations

from datetime import date

from django.db.models import CharField, Count, Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Concat

from ..models import (
    ClaudeCodeActor,
    ClaudeCodeActorDay,
    ClaudeCodeDayTotals,
    ClaudeCodeModelDay,
    ClaudeCodeUser,
)

ACCEPTANCE_DEFINITION = "tool actions accepted ÷ (accepted + rejected), as Anthropic defines it"


def seat_count(org) -> int:
    """Members of the Anthropic organization (the Admin users list; Enterprise has no roster here)."""
    return ClaudeCodeUser.objects.filter(organization=org, removed_at__isnull=True).count()


def acceptance(org, start: date, end: date) -> float | None:
    sums = ClaudeCodeDayTotals.objects.filter(organization=org, day__range=(start, end)).aggregate(
        a=Sum("actions_accepted"), r=Sum("actions_rejected")
    )
    accepted, rejected = sums["a"] or 0, sums["r"] or 0
    return accepted / (accepted + rejected) if accepted + rejected else None


def model_mix(org, start: date, end: date) -> list[dict]:
    rows = (
        ClaudeCodeModelDay.objects.filter(organization=org, day__range=(start, end))
        .values("model")
        .annotate(count=Sum("output_tokens"))
        .order_by("-count", "model")
    )
    return [{"model": r["model"], "count": r["count"] or 0, "unit": "output tokens"} for r in rows]


def own_figures(org, start: date, end: date) -> dict | None:
    """What only Claude Code reports, for start..end, people and API keys alike; None without
    rows. `api_key_cents` is the part of the cost spent by API keys (automation). Two
    queries: the sums (from the per-day totals, a row per day), the API keys' names."""
    columns = {
        "sessions": "sessions", "remote_sessions": "remote_sessions", "commits": "commits",
        "pull_requests": "pull_requests", "accepted": "actions_accepted", "rejected": "actions_rejected",
        "lines_added": "lines_added", "lines_removed": "lines_removed",
    }  # fmt: skip
    # Aggregate names that are not column names, so one aggregate never reads another.
    raw = ClaudeCodeDayTotals.objects.filter(organization=org, day__range=(start, end)).aggregate(
        **{f"sum_{k}": Sum(c) for k, c in columns.items()},
        actor_rows=Sum("actor_rows"), cost_rows=Sum("cost_rows"), api=Sum("api_key_cents"),
    )  # fmt: skip
    if not raw["actor_rows"] and not raw["cost_rows"]:
        return None
    # The API keys' names from both tables in one query: activity rows name the key, cost rows
    # carry it as "api:<name>" (API-key rows are few: a partial index holds them by day).
    acts = ClaudeCodeActorDay.objects.filter(organization=org, day__range=(start, end))
    costs = ClaudeCodeModelDay.objects.filter(organization=org, day__range=(start, end))
    names = (
        acts.filter(actor_type="api_actor").annotate(kind=Value("name")).values_list("kind", "api_key_name")
    )
    keys = costs.filter(actor_type="api_actor").annotate(kind=Value("key")).values_list("kind", "actor_key")
    api_keys = sorted(
        {
            value.removeprefix("api:") if kind == "key" else value
            for kind, value in names.order_by().union(keys.order_by())
        }
    )
    return {
        **{k: raw[f"sum_{k}"] or 0 for k in columns},
        "api_key_cents": raw["api"] or 0,
        "api_keys": [f"API key: {name}" for name in api_keys],
    }


def roster_gap(org) -> dict | None:
    """The Console report's known gap: roster members never seen in the usage (docs/claude-code-api.md §3.4).
    One query: the roster's size and its members whose email no user actor row carries (an
    activity row's email, or a cost row's actor key `user:<email>`, or the bare email).

    Written as anti-joins (NOT EXISTS), each probe one lookup in the (organization,
    actor_type, email / actor_key) indexes, so it costs a probe per roster member rather
    than a read of every usage row."""
    users = ClaudeCodeActor.USER
    seen_acts = ClaudeCodeActorDay.objects.filter(organization=org, actor_type=users, email=OuterRef("email"))
    seen_costs = ClaudeCodeModelDay.objects.filter(organization=org, actor_type=users).filter(
        Q(actor_key=Concat(Value("user:"), OuterRef("email"), output_field=CharField()))
        | (Q(actor_key=OuterRef("email")) & ~Q(actor_key__startswith="user:"))
    )
    counts = ClaudeCodeUser.objects.filter(organization=org, removed_at__isnull=True).aggregate(
        total=Count("id"), never=Count("id", filter=~Exists(seen_acts) & ~Exists(seen_costs))
    )
    if not counts["total"]:
        return None
    return {"members": counts["total"], "never_in_usage": counts["never"]}


def model_metering(organization, start: date, end: date, *, grain: str, group_by: str) -> list[dict]:
    """Claude Code's metering records by model, from its per-model rows (API keys' usage
    included: a model's tokens and cost are the organization's); `active_users` counts the
    distinct people (user actors) with tokens in the period and model. No billing kinds."""
    if group_by != "model":
        return []
    from django.db.models import Count, IntegerField, Q, Value

    from .metering import _period, _record

    rows = (
        ClaudeCodeModelDay.objects.filter(organization=organization, day__range=(start, end))
        .annotate(period=_period(grain))
        .values("period", "model")
        .annotate(
            m_usage_events=Value(None, output_field=IntegerField()),
            m_request_cost_units=Value(None, output_field=IntegerField()),
            m_input=Sum("input_tokens"),
            m_output=Sum("output_tokens"),
            m_cache_read=Sum("cache_read_tokens"),
            m_cache_write=Sum("cache_creation_tokens"),
            m_cost_cents=Sum("cost_cents"),
            estimate=Count("pk", filter=Q(cost_is_estimate=True)),
            active=Count("actor_key", distinct=True, filter=Q(actor_type="user_actor")),
        )
        .order_by("period", "model")
    )
    return [
        _record("claude_code", "model", {**row, "key": row["model"]}, row["active"], nullable=True)
        for row in rows
    ]
