"""Reads of Claude Code's own tables for the Tools page and the tool switch: seats (the roster),
acceptance of tool actions, the model mix, the figures only Claude Code reports (sessions,
commits, PRs) and the roster gap. Every query filters by organization."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Substr

from ..models import ClaudeCodeActorDay, ClaudeCodeModelDay, ClaudeCodeUser

ACCEPTANCE_DEFINITION = "tool actions accepted ÷ (accepted + rejected), as Anthropic defines it"


def seat_count(org) -> int:
    """Members of the Anthropic organization (the Admin users list; Enterprise has no roster here)."""
    return ClaudeCodeUser.objects.filter(organization=org, removed_at__isnull=True).count()


def acceptance(org, start: date, end: date) -> float | None:
    sums = ClaudeCodeActorDay.objects.filter(organization=org, day__range=(start, end)).aggregate(
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
    rows. `api_key_cents` is the part of the cost spent by API keys (automation). Three
    queries: the activity sums, the cost sums, the API keys' names."""
    acts = ClaudeCodeActorDay.objects.filter(organization=org, day__range=(start, end))
    # Aggregate names that are not column names, so one aggregate never reads another.
    columns = {
        "sessions": "sessions", "commits": "commits", "pull_requests": "pull_requests",
        "accepted": "actions_accepted", "rejected": "actions_rejected",
        "lines_added": "lines_added", "lines_removed": "lines_removed",
    }  # fmt: skip
    raw = acts.aggregate(
        **{f"sum_{k}": Sum(c) for k, c in columns.items()},
        remote=Sum("sessions", filter=Q(is_remote=True)),
    )
    remote_sessions = raw.pop("remote") or 0
    sums = {k: raw[f"sum_{k}"] for k in columns}
    costs = ClaudeCodeModelDay.objects.filter(organization=org, day__range=(start, end))
    cost_sums = costs.aggregate(rows=Count("id"), api=Sum("cost_cents", filter=Q(actor_type="api_actor")))
    if sums["commits"] is None and not cost_sums["rows"]:
        return None
    # The API keys' names from both tables in one query: activity rows name the key, cost rows
    # carry it as "api:<name>".
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
        **{k: v or 0 for k, v in sums.items()},
        "api_key_cents": cost_sums["api"] or 0,
        "api_keys": [f"API key: {name}" for name in api_keys],
        "remote_sessions": remote_sessions,
    }


def roster_gap(org) -> dict | None:
    """The Console report's known gap: roster members never seen in the usage (docs/claude-code-api.md §3.4).
    One query: the roster's size and its members whose email no user actor row carries."""
    members = ClaudeCodeUser.objects.filter(organization=org, removed_at__isnull=True)
    seen_acts = ClaudeCodeActorDay.objects.filter(organization=org, actor_type="user_actor").values("email")
    seen_costs = ClaudeCodeModelDay.objects.filter(organization=org, actor_type="user_actor").annotate(
        email=Substr("actor_key", 6)
    )
    counts = members.aggregate(
        total=Count("id"),
        never=Count(
            "id",
            filter=~Q(email__in=seen_acts)
            & ~Q(email__in=seen_costs.filter(actor_key__startswith="user:").values("email"))
            & ~Q(email__in=seen_costs.exclude(actor_key__startswith="user:").values("actor_key")),
        ),
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
