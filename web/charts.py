"""Plotly figures built from selector output.

Each builder takes rows from `analytics.selectors` and returns a figure as a plain dict
(`fig.to_plotly_json()`); `to_script` serializes one for `json_script`-style embedding and
static/js/dashboard.js draws it with plotly.js served from static/. Figures carry only
what the selector rows passed in contain, so a page that must not show per-member data
simply never passes any.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import plotly.graph_objects as go
from django.utils.html import json_script
from plotly.utils import PlotlyJSONEncoder

from analytics.freshness import PROVISIONAL_LABEL
from analytics.selectors.spend import cycle_start_for

PALETTE = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#64748b"]
REQUEST_KINDS = [
    ("agent_requests", "Agent"),
    ("chat_requests", "Chat"),
    ("composer_requests", "Composer"),
    ("cmdk_usages", "Cmd-K"),
    ("tabs_accepted", "Tab accepts"),
]
TOP_MODELS = 5


def _layout(**overrides) -> dict:
    layout = {
        "margin": {"l": 48, "r": 16, "t": 8, "b": 40},
        "height": 300,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12, "color": "#334155"},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.2, "x": 0},
        "xaxis": {"gridcolor": "#e2e8f0", "type": "date", "tickformat": "%b %d"},
        "yaxis": {"gridcolor": "#e2e8f0", "rangemode": "tozero", "zerolinecolor": "#cbd5e1"},
        "colorway": PALETTE,
    }
    layout.update(overrides)
    return layout


def _finish(fig: go.Figure) -> dict:
    figure = fig.to_plotly_json()
    # The default template adds ~7 kB of styling per figure that _layout already covers.
    figure["layout"].pop("template", None)
    return figure


def _days(series):
    return [row["day"].isoformat() for row in series]


def _dollars(cents) -> float:
    return float(Decimal(cents or 0) / 100)


def to_script(figure: dict, element_id: str) -> str:
    """The figure as a safe `<script type="application/json">` element (Django's
    `json_script` escaping, Plotly's encoder for dates and decimals)."""
    return json_script(figure, element_id, encoder=PlotlyJSONEncoder)


def dau_figure(series, *, label="Active users") -> dict:
    days = _days(series)
    fig = go.Figure(
        go.Scatter(
            x=days,
            y=[r["active_users"] for r in series],
            name=label,
            mode="lines+markers",
            line={"width": 2, "color": PALETTE[0]},
            marker={"size": 4},
            fill="tozeroy",
            fillcolor="rgba(79,70,229,0.08)",
            hovertemplate="%{y} " + label.lower() + "<extra></extra>",
        ),
        layout=_layout(showlegend=False),
    )
    return _finish(fig)


def requests_figure(series) -> dict:
    days = _days(series)
    fig = go.Figure(
        layout=_layout(barmode="stack", legend={"orientation": "h", "y": -0.2, "traceorder": "normal"})
    )
    for (field, label), color in zip(REQUEST_KINDS, PALETTE, strict=False):
        fig.add_trace(
            go.Bar(
                x=days,
                y=[r[field] for r in series],
                name=label,
                marker_color=color,
                hovertemplate="%{y:,} " + label.lower() + "<extra></extra>",
            )
        )
    return _finish(fig)


def model_mix_figure(models) -> dict:
    """Share of usage events by model (donut)."""
    fig = go.Figure(
        go.Pie(
            labels=[m["model"] or "unknown" for m in models],
            values=[m["usage_events"] for m in models],
            hole=0.55,
            sort=False,
            marker={"colors": PALETTE},
            textinfo="percent",
            hovertemplate="%{label}: %{value:,} requests (%{percent})<extra></extra>",
        ),
        layout=_layout(hovermode="closest", legend={"orientation": "v", "x": 1.02, "y": 0.5}),
    )
    return _finish(fig)


def model_trend_figure(model_daily, models, series_days) -> dict:
    """Daily usage events of the top models (by total in the range), zero-filled."""
    top = [m["model"] for m in models[:TOP_MODELS]]
    by_model = {model: {} for model in top}
    for row in model_daily:
        if row["model"] in by_model:
            by_model[row["model"]][row["day"].isoformat()] = row["usage_events"] or 0
    days = [d.isoformat() for d in series_days]
    fig = go.Figure(layout=_layout())
    for model, color in zip(top, PALETTE, strict=False):
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[by_model[model].get(d, 0) for d in days],
                name=model or "unknown",
                mode="lines",
                line={"width": 2, "color": color},
                hovertemplate="%{y:,} requests<extra>" + (model or "unknown") + "</extra>",
            )
        )
    return _finish(fig)


def cycle_to_date(series, anchor) -> list[tuple]:
    """(day, spend cents so far in that day's billing cycle) for each row of `series`,
    which must start on or before the cycle start of its first day to be exact."""
    running, current_cycle, out = Decimal(0), None, []
    for row in series:
        cycle = cycle_start_for(row["day"], anchor)
        if cycle != current_cycle:
            running, current_cycle = Decimal(0), cycle
        running += row["spend_cents"] or 0
        out.append((row["day"], running))
    return out


def _dollar_axes_layout(*, bottom: int, right_format: str | None = None, **extra) -> dict:
    """Dollars on both y axes: bars on the left, a second series on the right."""
    right = {"overlaying": "y", "side": "right", "rangemode": "tozero", "tickprefix": "$", "showgrid": False}
    if right_format:
        right["tickformat"] = right_format
    return _layout(
        yaxis={"gridcolor": "#e2e8f0", "rangemode": "tozero", "tickprefix": "$"},
        yaxis2=right,
        margin={"l": 56, "r": 56, "t": 8, "b": bottom},
        **extra,
    )


def spend_figure(series, cumulative) -> dict:
    """Spend per day (bars) with the cycle-to-date total (line, right axis), in dollars."""
    days = _days(series)
    fig = go.Figure(layout=_dollar_axes_layout(bottom=40))
    fig.add_trace(
        go.Bar(
            x=days,
            y=[_dollars(r["spend_cents"]) for r in series],
            name="Spend per day",
            marker_color=PALETTE[1],
            hovertemplate="$%{y:,.2f} that day<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[d.isoformat() for d, _ in cumulative],
            y=[_dollars(c) for _, c in cumulative],
            name="Cycle to date",
            yaxis="y2",
            mode="lines",
            line={"width": 2, "color": PALETTE[0]},
            hovertemplate="$%{y:,.2f} cycle to date<extra></extra>",
        )
    )
    return _finish(fig)


def lines_figure(series) -> dict:
    days = _days(series)
    fig = go.Figure(layout=_layout())
    for field, label, color in (
        ("total_lines_added", "Lines added", PALETTE[7]),
        ("accepted_lines_added", "Accepted AI lines", PALETTE[2]),
    ):
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[r[field] for r in series],
                name=label,
                mode="lines",
                line={"width": 2, "color": color},
                hovertemplate="%{y:,} " + label.lower() + "<extra></extra>",
            )
        )
    return _finish(fig)


def ai_share_figure(ai_code) -> dict:
    """Share of committed lines written with AI (tab + agent), from AI Code Tracking."""
    days = [r["day"].isoformat() for r in ai_code]
    shares = []
    for r in ai_code:
        total = r["total_lines_added"] or 0
        ai = (r["tab_lines_added"] or 0) + (r["composer_lines_added"] or 0)
        shares.append(round(100 * ai / total, 1) if total else None)
    fig = go.Figure(
        go.Scatter(
            x=days,
            y=shares,
            name="AI share",
            mode="lines+markers",
            line={"width": 2, "color": PALETTE[5]},
            marker={"size": 4},
            hovertemplate="%{y:.1f}% of committed lines from AI<extra></extra>",
        ),
        layout=_layout(
            showlegend=False, yaxis={"gridcolor": "#e2e8f0", "range": [0, 100], "ticksuffix": "%"}
        ),
    )
    return _finish(fig)


def agent_tab_figure(ai_code) -> dict:
    days = [r["day"].isoformat() for r in ai_code]
    fig = go.Figure(layout=_layout(barmode="stack"))
    for field, label, color in (
        ("composer_lines_added", "Agent lines", PALETTE[0]),
        ("tab_lines_added", "Tab lines", PALETTE[2]),
    ):
        fig.add_trace(
            go.Bar(
                x=days,
                y=[r[field] or 0 for r in ai_code],
                name=label,
                marker_color=color,
                hovertemplate="%{y:,} " + label.lower() + " committed<extra></extra>",
            )
        )
    return _finish(fig)


def model_spend_figure(by_model) -> dict:
    """Spend per model (bars) and cost per request (markers, right axis), in dollars."""
    names = [m["model"] or "unknown" for m in by_model]
    fig = go.Figure(
        layout=_dollar_axes_layout(
            bottom=60, right_format=",.3f", hovermode="closest", xaxis={"type": "category"}
        )
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=[_dollars(m["spend_cents"]) for m in by_model],
            name="Spend this cycle",
            marker_color=PALETTE[1],
            hovertemplate="%{x}: $%{y:,.2f} this cycle<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=names,
            y=[_dollars(m["cost_per_request_cents"]) for m in by_model],
            name="Cost per request",
            yaxis="y2",
            mode="markers",
            marker={"size": 10, "color": PALETTE[3]},
            hovertemplate="%{x}: $%{y:,.4f} per request<extra></extra>",
        )
    )
    return _finish(fig)


# --- Provisional days (analytics/freshness.py has the rule) --------------------------------

PROVISIONAL_NOTE = " (provisional)"
_HATCH = {
    "shape": "/",
    "fgcolor": "rgba(255,255,255,0.9)",
    "fillmode": "overlay",
    "size": 6,
    "solidity": 0.45,
}
_PROVISIONAL_BAND = "rgba(148,163,184,0.14)"


def _iso_days(xs) -> list | None:
    """The trace's x values as dates, or None when they are not all UTC days."""
    days = []
    for x in xs or ():
        if not isinstance(x, str) or len(x) != 10:
            return None
        try:
            days.append(date.fromisoformat(x))
        except ValueError:
            return None
    return days or None


def _with_note(template: str | None) -> str | None:
    if not template:
        return template
    if "<extra>" in template:
        return template.replace("<extra>", "%{customdata}<extra>", 1)
    return template + "%{customdata}"


def mark_provisional(figure: dict, default: date | None, by_name: dict[str, date] | None = None) -> dict:
    """Draw the provisional days of every daily trace visibly different, in place.

    Bars get a hatch and a lighter fill on those days; a line gets a dotted, lighter overlay
    from the last settled day on (its own data stay whole, so hover and exports read the same
    values), and the chart gains a shaded band and one legend entry, "Provisional (may still
    change)". `by_name` gives a trace its own tool's first provisional day (traces named after
    a tool, on charts that compare tools); the others use `default`. Figures without dates on
    the x axis (a model mix, spend per model) are left as they are."""
    by_name = by_name or {}
    overlays, starts, last_day = [], set(), None
    for trace in figure.get("data", []):
        first = by_name.get(trace.get("name"), default)
        days = _iso_days(trace.get("x"))
        if first is None or days is None or days[-1] < first:
            continue
        flags = [d >= first for d in days]
        starts.add(first)
        last_day = max(last_day or days[-1], days[-1])
        trace["customdata"] = [PROVISIONAL_NOTE if f else "" for f in flags]
        trace["hovertemplate"] = _with_note(trace.get("hovertemplate"))
        if trace.get("type") == "bar":
            marker = trace.setdefault("marker", {})
            marker["pattern"] = {**_HATCH, "shape": ["/" if f else "" for f in flags]}
            marker["opacity"] = [0.55 if f else 1 for f in flags]
        elif trace.get("type") == "scatter":
            overlays.append(_line_overlay(trace, flags))
    if not starts:
        return figure
    figure["data"].extend(o for o in overlays if o)
    figure["data"].append(_legend_entry())
    layout = figure.setdefault("layout", {})
    layout["showlegend"] = True
    layout.setdefault("legend", {"orientation": "h", "y": -0.2, "x": 0})
    if len(starts) == 1:  # one window for every trace: shade it
        (first,) = starts
        layout.setdefault("shapes", []).append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": _half_day_before(first),
                "x1": _half_day_before(last_day + timedelta(days=1)),
                "y0": 0,
                "y1": 1,
                "fillcolor": _PROVISIONAL_BAND,
                "line": {"width": 0},
                "layer": "below",
            }
        )
    return figure


def _half_day_before(day: date) -> str:
    """The middle of the day before `day`: a date axis centres each day's bar on midnight."""
    return (datetime.combine(day, time()) - timedelta(hours=12)).isoformat(sep=" ")


def _line_overlay(trace: dict, flags: list[bool]) -> dict | None:
    """A dotted white line over the provisional stretch of `trace` (from its last settled
    point), so the line shows dashed and lighter there; hover stays on the trace itself."""
    start = max(0, flags.index(True) - 1)
    xs, ys = trace["x"][start:], list(trace.get("y") or [])[start:]
    if len(xs) < 2 or "lines" not in (trace.get("mode") or "lines"):
        return None
    width = (trace.get("line") or {}).get("width", 2)
    overlay = {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "mode": "lines",
        "name": PROVISIONAL_LABEL,
        "legendgroup": "provisional",
        "showlegend": False,
        "hoverinfo": "skip",
        "connectgaps": trace.get("connectgaps", False),
        "line": {"width": width + 1, "color": "rgba(255,255,255,0.85)", "dash": "dot"},
    }
    if trace.get("yaxis"):
        overlay["yaxis"] = trace["yaxis"]
    return overlay


def _legend_entry() -> dict:
    """The legend's one "Provisional (may still change)" entry (a hatched swatch, no data)."""
    return {
        "type": "bar",
        "x": [None],
        "y": [None],
        "name": PROVISIONAL_LABEL,
        "legendgroup": "provisional",
        "showlegend": True,
        "hoverinfo": "skip",
        "marker": {"color": "rgba(100,116,139,0.55)", "pattern": {**_HATCH, "shape": "/"}},
    }
