"""The usage pages: the team dashboard, My usage and a member's page (one declaration).

`load` makes every read the page needs, once; `CARDS` and `CHARTS` say what is shown.
Per-member figures reach this page only for a member the view was allowed to show.
"""

from dataclasses import dataclass

from analytics import cache, selectors

from .. import charts
from ..forms import DashboardFilters, apply_model
from ..templatetags.analytics_format import dollars, number, percent
from .base import Card, Chart


@dataclass
class UsageData:
    filters: DashboardFilters
    member: object | None  # a CursorMember, or None for the team
    series: list[dict]
    cumulative: list[tuple]
    model_daily: list[dict]
    models: list[dict]
    ai_code: list[dict]
    head: dict
    data_version: str

    @property
    def team(self) -> bool:
        return self.member is None


def load(org, filters: DashboardFilters, model_param: str, *, member=None) -> UsageData:
    start, end = filters.start, filters.end
    # The cycle-to-date line needs the spend since the cycle start before `start`, the
    # headline the previous period: one read of the per-model rows covers all three.
    anchor = selectors.latest_cycle_start(org)
    series_start = min(start, selectors.cycle_start_for(start, anchor))
    earliest = min(series_start, selectors.previous_period(start, end)[0])
    all_model_daily = selectors.model_daily_usage(org, earliest, end, member=member)
    model_daily = [row for row in all_model_daily if row["day"] >= start]
    models = selectors.models_from_daily(model_daily)
    apply_model(filters, model_param, {m["model"] for m in models})
    model = filters.model or None
    full_series = selectors.daily_series(
        org, series_start, end, member=member, model=model, model_daily=all_model_daily
    )
    version = cache.data_version(org)
    return UsageData(
        filters=filters,
        member=member,
        series=[row for row in full_series if row["day"] >= start],
        cumulative=[point for point in charts.cycle_to_date(full_series, anchor) if point[0] >= start],
        model_daily=model_daily,
        models=models,
        ai_code=selectors.ai_code_daily(org, start, end, member=member),
        head=cache.headline(
            org, version, start, end, member=member, model=model, model_daily=all_model_daily
        ),
        data_version=version,
    )


def has_data(data: UsageData) -> bool:
    return any(row["active_users"] or row["usage_events"] or row["agent_requests"] for row in data.series)


def last_day_empty(data: UsageData) -> bool:
    last = data.series[-1] if data.series else None
    return last is not None and not (last["active_users"] or last["usage_events"])


def _team(data) -> bool:
    return data.team


def _member(data) -> bool:
    return not data.team


def _has_ai_code(data) -> bool:
    return bool(data.ai_code)


def _spend_help(data) -> str:
    who = "the team's" if data.team else "your"
    return f"Charged usage per day and {who} running total since the billing cycle began."


CARDS = (
    Card(
        "avg_dau",
        "Active users (avg. daily)",
        lambda v: number(v, 1),
        sub=lambda d: f"WAU {d.head['wau']['value']:,} · MAU {d.head['mau']['value']:,}",
        show=_team,
        metric="avg_dau",
    ),
    Card(
        "active_share",
        "Active share of seats",
        percent,
        rate=True,
        sub=lambda d: f"{d.head['active_users']['value']:,} of {d.head['seats']:,} seats active in the range",
        show=_team,
        metric="active_share",
    ),
    Card("active_days", "Active days", number, show=_member, metric="active_days"),
    Card("ai_requests", "AI requests", number, sub="Agent, chat, composer, Cmd-K", metric="ai_requests"),
    Card("acceptance_rate", "Acceptance rate", percent, rate=True, metric="acceptance_rate"),
    Card("tab_acceptance_rate", "Tab acceptance rate", percent, rate=True, metric="tab_acceptance_rate"),
    Card("accepted_lines", "Accepted lines", number, metric="accepted_lines"),
    Card(
        "spend_cents",
        lambda d: "Team spend" if d.team else "Spend",
        dollars,
        good_when="down",
        sub="Charged usage in the range",
        metric="spend_cents",
    ),
)

CHARTS = (
    Chart(
        "fig-dau",
        "Daily active users",
        "Members with any Cursor activity on each UTC day.",
        lambda d: charts.dau_figure(d.series),
        show=_team,
        metric="dau",
    ),
    Chart(
        "fig-requests",
        "Requests per day by kind",
        "Agent, chat, composer and Cmd-K requests and accepted tab completions.",
        lambda d: charts.requests_figure(d.series),
        metric="ai_requests",
    ),
    Chart(
        "fig-model-mix",
        "Model mix",
        "Share of billed requests (usage events) by model over the range.",
        lambda d: charts.model_mix_figure(d.models),
        metric="model_mix",
    ),
    Chart(
        "fig-model-trend",
        "Top models per day",
        f"Billed requests per day for the {charts.TOP_MODELS} most used models.",
        lambda d: charts.model_trend_figure(d.model_daily, d.models, [r["day"] for r in d.series]),
        metric="model_trend",
    ),
    Chart(
        "fig-spend",
        lambda d: "Team spend per day" if d.team else "Spend per day",
        _spend_help,
        lambda d: charts.spend_figure(d.series, d.cumulative),
        metric="daily_spend",
    ),
    Chart(
        "fig-lines",
        "Lines added and accepted AI lines",
        "All lines added in Cursor against lines accepted from AI suggestions.",
        lambda d: charts.lines_figure(d.series),
        metric="accepted_lines",
    ),
    Chart(
        "fig-ai-share",
        "AI share of committed code",
        "Committed lines written with tab or agent, from AI Code Tracking (Enterprise).",
        lambda d: charts.ai_share_figure(d.ai_code),
        show=_has_ai_code,
        metric="ai_share",
    ),
    Chart(
        "fig-agent-tab",
        "Agent and tab lines committed",
        "Committed lines by AI source, from AI Code Tracking (Enterprise).",
        lambda d: charts.agent_tab_figure(d.ai_code),
        show=_has_ai_code,
        metric="agent_tab_lines",
    ),
)
