"""The Tools page: every connected AI tool side by side, the seats held in two tools, idle
Copilot seats. Cross-tool figures come from ToolDay / ToolOrgDay (analytics.selectors.tools)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go

from analytics.selectors import claude_code as claude_code_selectors
from analytics.selectors import days_in
from analytics.selectors.overlap import tool_overlap
from analytics.selectors.tools import SeatPrice, copilot_idle_seats, seat_overlap, tool_summaries  # noqa: F401

from .. import charts
from .base import Chart

# (row key, header, kind): the overlap table and its CSV share these columns.
OVERLAP_COLUMNS = [
    ("name", "Name", "text"),
    ("email", "Email", "text"),
    ("github_login", "GitHub login", "text"),
    ("cursor_days", "Cursor active days (30 d)", "int"),
    ("copilot_days", "Copilot active days (30 d)", "int"),
    ("cursor_last", "Cursor last active", "date"),
    ("copilot_last", "Copilot last active", "date"),
    ("uses", "Uses", "text"),
    ("drop", "Seat to drop", "text"),
    ("saving_cents", "Monthly saving ($)", "cents"),
]
OVERLAP_METRICS = {
    "cursor_days": "overlap_active_days",
    "copilot_days": "overlap_active_days",
    "cursor_last": "last_active",
    "copilot_last": "last_active",
    "saving_cents": "overlap_saving",
}


@dataclass
class ToolsData:
    start: date
    end: date
    tools: list[dict]
    prices: dict[str, SeatPrice]
    overlap: dict | None  # per person: owners and admins only
    idle: dict | None
    tool_overlap: dict | None = None  # people active in 1, 2 or 3 tools (aggregates only)
    claude_code: dict | None = None  # what only Claude Code reports: sessions, commits, PRs…
    claude_code_gap: dict | None = None  # roster members never seen in Claude Code's usage


def load(
    org, start: date, end: date, today: date, *, prices: dict[str, SeatPrice], per_person: bool, rows: int
) -> ToolsData:
    """`rows`: how many rows of the per-person lists the page shows (their counts and totals
    cover every row; the CSV and the API list every one)."""
    overlap = tool_overlap(org, start, end)
    return ToolsData(
        start=start,
        end=end,
        tools=tool_summaries(org, start, end, prices=prices, overlap=overlap),
        prices=prices,
        overlap=seat_overlap(org, today, prices=prices, limit=rows) if per_person else None,
        idle=copilot_idle_seats(org, today, price=prices["copilot"], limit=rows) if per_person else None,
        tool_overlap=overlap,
        claude_code=claude_code_selectors.own_figures(org, start, end),
        claude_code_gap=claude_code_selectors.roster_gap(org),
    )


def trend_figure(data: ToolsData) -> dict:
    """Active people per day, one line per tool, on the same axes (days without facts are 0
    only inside the range a tool has data for)."""
    days = days_in(data.start, data.end)
    fig = go.Figure(layout=charts._layout())
    for i, tool in enumerate(data.tools):
        trend = tool["trend"]
        fig.add_trace(
            go.Scatter(
                x=[d.isoformat() for d in days],
                y=[trend.get(d) for d in days],
                name=tool["label"],
                mode="lines+markers",
                line={"width": 2, "color": charts.PALETTE[i]},
                marker={"size": 4},
                connectgaps=False,
                hovertemplate="%{y} active · " + tool["label"] + "<extra></extra>",
            )
        )
    return charts._finish(fig)


CHARTS = (
    Chart(
        "fig-tools-active",
        "Active people per day, by tool",
        "People who used each tool that day. A gap is a day the tool has not reported (yet), not a day of zero.",
        trend_figure,
        show=lambda d: bool(d.tools),
        metric="dau",
    ),
)
