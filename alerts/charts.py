"""The budgets page's burn-down figures, built like web/charts.py (alerts may not import web).

A figure is a plain dict (`fig.to_plotly_json()`), embedded with `json_script` and drawn by
the static plotly.js through static/js/dashboard.js (elements with `data-figure`).
"""

from datetime import timedelta
from decimal import Decimal

import plotly.graph_objects as go
from django.utils.html import json_script
from plotly.utils import PlotlyJSONEncoder

from .budgets import BudgetStatus

ACTUAL, PROJECTION, BUDGET = "#4f46e5", "#f59e0b", "#ef4444"


def _dollars(cents) -> float:
    return round(float(Decimal(cents or 0) / 100), 2)


def to_script(figure: dict, element_id: str) -> str:
    return json_script(figure, element_id, encoder=PlotlyJSONEncoder)


def burn_down_figure(status: BudgetStatus) -> dict:
    """Spend so far (cumulative), the projection to the period's end with its range, and
    the budget line."""
    running, xs, ys = Decimal(0), [], []
    for day, cents in status.daily:
        running += cents
        xs.append(day.isoformat())
        ys.append(_dollars(running))
    if ys:  # the spend review's cycle total can include spend the daily rows lack
        ys[-1] = _dollars(status.actual_cents)
    last_day = status.period_end - timedelta(days=1)
    today = status.daily[-1][0] if status.daily else status.period_start
    px = [today.isoformat(), last_day.isoformat()]
    actual = _dollars(status.actual_cents)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=px, y=[actual, _dollars(status.projected_high_cents)], mode="lines",
                   line={"width": 0}, showlegend=False, hoverinfo="skip", name="Range high")
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=px, y=[actual, _dollars(status.projected_low_cents)], mode="lines", line={"width": 0},
                   fill="tonexty", fillcolor="rgba(245,158,11,0.18)", name="Projection range",
                   hovertemplate="$%{y:,.0f}<extra>range</extra>")
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=px, y=[actual, _dollars(status.projected_cents)], mode="lines",
                   line={"color": PROJECTION, "dash": "dash", "width": 2}, name="Projected",
                   hovertemplate="$%{y:,.0f}<extra>projected</extra>")
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=xs, y=ys, mode="lines+markers", line={"color": ACTUAL, "width": 2},
                   marker={"size": 4}, name="Spent", hovertemplate="$%{y:,.2f}<extra>spent</extra>")
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=[status.period_start.isoformat(), last_day.isoformat()],
                   y=[_dollars(status.amount_cents)] * 2, mode="lines",
                   line={"color": BUDGET, "width": 1.5}, name="Budget",
                   hovertemplate="$%{y:,.0f}<extra>budget</extra>")
    )  # fmt: skip
    fig.update_layout(
        margin={"l": 56, "r": 16, "t": 8, "b": 40},
        height=260,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12, "color": "#334155"},
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.25, "x": 0},
        xaxis={"gridcolor": "#e2e8f0", "type": "date", "tickformat": "%b %d"},
        yaxis={"gridcolor": "#e2e8f0", "rangemode": "tozero", "tickprefix": "$", "tickformat": ",.0f"},
    )
    figure = fig.to_plotly_json()
    figure["layout"].pop("template", None)
    return figure
