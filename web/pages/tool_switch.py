"""The dashboard's tool switch (Cursor, Copilot, All): for Copilot or All the dashboard shows the
cross-tool figures, read from ToolDay / ToolOrgDay, each tool on the same axes; model mix and
acceptance per tool, each in its own unit and definition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go

from analytics.models import Tool, ToolOrgDay
from analytics.selectors import days_in
from analytics.selectors.activity import distinct_active
from analytics.selectors.tools import acceptance, model_mix, tool_daily

from .. import charts
from .base import Chart

CHOICES = (
    ("cursor", "Cursor"),
    ("copilot", "GitHub Copilot"),
    ("claude_code", "Claude Code"),
    ("all", "All tools"),
)
TOOLS_OF = {
    "copilot": (Tool.COPILOT,),
    "claude_code": (Tool.CLAUDE_CODE,),
    "all": (Tool.CURSOR, Tool.COPILOT, Tool.CLAUDE_CODE),
}
ESTIMATED_COST = (Tool.COPILOT, Tool.CLAUDE_CODE)  # AI credits; Anthropic's estimated_cost


def parse_tool(value: str | None) -> str:
    return value if value in dict(CHOICES) else "cursor"


@dataclass
class SwitchData:
    start: date
    end: date
    tools: tuple[str, ...]
    daily: dict
    summaries: list[dict]


def _tools(org, choice: str) -> tuple[str, ...]:
    """The tools of a choice; "all" is Cursor and Copilot, plus Claude Code once the
    organization has any Claude Code facts (a third empty column would only be noise)."""
    tools = TOOLS_OF[choice]
    if choice == "all" and not ToolOrgDay.objects.filter(organization=org, tool=Tool.CLAUDE_CODE).exists():
        tools = tuple(t for t in tools if t != Tool.CLAUDE_CODE)
    return tools


def load(org, start: date, end: date, choice: str) -> SwitchData:
    tools = _tools(org, choice)
    daily = tool_daily(org, start, end, tools)
    summaries = []
    for tool in tools:
        rows = daily[tool].values()
        rate, definition = acceptance(org, start, end, tool)
        costs = [r["cost_cents"] for r in rows if r["cost_cents"] is not None]
        requests = [r["requests"] for r in rows if r["requests"] is not None]
        summaries.append(
            {
                "tool": tool,
                "label": Tool(tool).label,
                "active_people": distinct_active(org, {"r": (start, end)}, tool=tool)["r"] or 0,
                "requests": sum(requests) if requests else None,
                "cost_cents": sum(costs) if costs else None,
                "cost_is_estimate": tool in ESTIMATED_COST,
                "acceptance_rate": rate,
                "acceptance_definition": definition,
                "models": model_mix(org, start, end, tool)[:8],
                "has_data": bool(daily[tool]),
            }
        )
    return SwitchData(start, end, tools, daily, summaries)


def _per_tool_figure(data: SwitchData, field: str, *, dollars: bool = False, bar: bool = False) -> dict:
    days = days_in(data.start, data.end)
    fig = go.Figure(layout=charts._layout(barmode="group"))
    for i, tool in enumerate(data.tools):
        values = []
        for d in days:
            value = data.daily[tool].get(d, {}).get(field)
            values.append(charts._dollars(value) if dollars and value is not None else value)
        trace = go.Bar if bar else go.Scatter
        kwargs = {} if bar else {"mode": "lines+markers", "marker": {"size": 4}, "connectgaps": False}
        fig.add_trace(
            trace(
                x=[d.isoformat() for d in days],
                y=values,
                name=Tool(tool).label,
                marker_color=charts.PALETTE[i],
                **kwargs,
            )
        )
    if dollars:
        fig.update_yaxes(tickprefix="$")
    return charts._finish(fig)


CHARTS = (
    Chart(
        "fig-tool-dau",
        "Daily active people, by tool",
        "People who used each tool that day; a gap is a day the tool has not reported (yet).",
        lambda d: _per_tool_figure(d, "active_people"),
        metric="dau",
    ),
    Chart(
        "fig-tool-requests",
        "Requests, by tool",
        "Cursor: agent, chat, composer and Cmd-K requests. Copilot: prompts a person typed. "
        "Claude Code: requests on Enterprise cost reports (the Console report has none).",
        lambda d: _per_tool_figure(d, "requests", bar=True),
        metric="requests",
    ),
    Chart(
        "fig-tool-cost",
        "Usage cost, by tool",
        "Cursor: charged usage. Copilot: AI credits used × $0.01, an estimate (not a bill). "
        "Claude Code: Anthropic's estimated cost, API keys included. Seats not included.",
        lambda d: _per_tool_figure(d, "cost_cents", dollars=True, bar=True),
        metric="usage_cost",
    ),
)
