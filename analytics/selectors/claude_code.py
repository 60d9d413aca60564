"""Reads of Claude Code's own tables for the Tools page and the tool switch: seats (the roster),
acceptance of tool actions, the model mix, the figures only Claude Code reports (sessions,
commits, PRs) and the roster gap. Every query filters by organization."""

from __future__ import annotations

from datetime import date

from django.db.models import Sum

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
    rows. `api_key_cents` is the part of the cost spent by API keys (automation)."""
    acts = ClaudeCodeActorDay.objects.filter(organization=org, day__range=(start, end))
    sums = acts.aggregate(
        sessions=Sum("sessions"), commits=Sum("commits"), pull_requests=Sum("pull_requests"),
        accepted=Sum("actions_accepted"), rejected=Sum("actions_rejected"),
        lines_added=Sum("lines_added"), lines_removed=Sum("lines_removed"),
    )  # fmt: skip
    costs = ClaudeCodeModelDay.objects.filter(organization=org, day__range=(start, end))
    if sums["commits"] is None and not costs.exists():
        return None
    api_keys = sorted(
        set(acts.filter(actor_type="api_actor").values_list("api_key_name", flat=True))
        | {
            k.removeprefix("api:")
            for k in costs.filter(actor_type="api_actor").values_list("actor_key", flat=True).distinct()
        }
    )
    return {
        **{k: v or 0 for k, v in sums.items()},
        "api_key_cents": costs.filter(actor_type="api_actor").aggregate(c=Sum("cost_cents"))["c"] or 0,
        "api_keys": [f"API key: {name}" for name in api_keys],
        "remote_sessions": acts.filter(is_remote=True).aggregate(s=Sum("sessions"))["s"] or 0,
    }


def roster_gap(org) -> dict | None:
    """The Console report's known gap: roster members never seen in the usage (docs/claude-code-api.md §3.4)."""
    members = ClaudeCodeUser.objects.filter(organization=org, removed_at__isnull=True)
    total = members.count()
    if not total:
        return None
    seen = set(
        ClaudeCodeActorDay.objects.filter(organization=org, actor_type="user_actor").values_list(
            "email", flat=True
        )
    )
    seen |= {
        k.removeprefix("user:")
        for k in ClaudeCodeModelDay.objects.filter(organization=org, actor_type="user_actor")
        .values_list("actor_key", flat=True)
        .distinct()
    }
    never = sum(1 for email in members.values_list("email", flat=True) if email not in seen)
    return {"members": total, "never_in_usage": never}


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
