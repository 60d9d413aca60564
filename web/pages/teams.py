"""The Team comparison page and its CSV: one declaration of the columns, how each is
written, how rows sort, and the sparkline of each row. The rule of the tier is stated on
the page from `analytics.selectors.teams.TIER_RULE`."""

from dataclasses import dataclass
from decimal import Decimal

from analytics import cache as analytics_cache
from analytics.selectors import team_lens
from analytics.selectors.teams import TIER_RULE, TeamRow  # noqa: F401  (the page prints the rule)

from .. import charts
from ..templatetags.analytics_format import dollars, number, percent
from .base import Card, Chart


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str  # int, share, float, cents, pp (percentage points), pct, text
    metric: str = ""  # the analytics.metrics key its header's info control explains


COLUMNS = (
    Column("name", "Team", "text"),
    Column("cost_centre", "Cost centre", "text"),
    Column("seats", "Seats", "int", "seats"),
    Column("active", "Active people", "int", "active_users"),
    Column("active_share", "Active share", "share", "active_share"),
    Column("active_share_change", "Active share vs previous", "pp", "active_share_change"),
    Column("avg_dau", "DAU (avg.)", "float", "avg_dau"),
    Column("requests_per_active", "Requests per active person", "float", "requests_per_active"),
    Column("acceptance_rate", "Acceptance (accepted ÷ suggested lines)", "share", "line_acceptance_rate"),
    Column(
        "accepted_lines_per_active", "Accepted lines per active person", "float", "accepted_lines_per_active"
    ),
    Column("spend_cents", "Spend", "cents", "spend_cents"),
    Column("spend_change_pct", "Spend vs previous", "pct", "spend_change_pct"),
    Column("spend_per_active_cents", "Spend per active person", "cents", "spend_per_active"),
    Column("tier", "Tier", "text", "tier"),
)
SORTABLE = {c.key for c in COLUMNS}


def value(row: TeamRow, key: str):
    return getattr(row, key)


def text(row: TeamRow, column: Column, *, for_csv=False) -> str:
    v = value(row, column.key)
    if v is None or v == "":
        return "" if for_csv else "—"
    kind = column.kind
    if kind == "int":
        return str(v) if for_csv else f"{v:,}"
    if kind == "share":
        return f"{v * 100:.1f}" if for_csv else f"{v * 100:.1f}%"
    if kind == "pp":
        return f"{v * 100:+.1f}" if for_csv else f"{v * 100:+.1f} pts"
    if kind == "pct":
        return f"{v:+.1f}" if for_csv else f"{v:+.1f}%"
    if kind == "float":
        return f"{v:.2f}" if for_csv else f"{v:,.1f}"
    if kind == "cents":
        dollars = Decimal(v) / 100
        return f"{dollars:.2f}" if for_csv else f"${dollars:,.2f}"
    return str(v).capitalize() if column.key == "tier" and not for_csv else str(v)


def sort_rows(rows: list[TeamRow], sort: str) -> tuple[list[TeamRow], str]:
    """Rows sorted by a column ("-key" descending), empty values last; "" keeps tree order."""
    key = sort.lstrip("-")
    if key not in SORTABLE:
        return rows, ""
    descending = sort.startswith("-")
    present = [r for r in rows if value(r, key) not in (None, "")]
    missing = [r for r in rows if value(r, key) in (None, "")]

    def by(r):
        v = value(r, key)
        return v.lower() if isinstance(v, str) else v

    return sorted(present, key=by, reverse=descending) + missing, sort


def headers(sort: str) -> list[dict]:
    current, descending = sort.lstrip("-"), sort.startswith("-")
    out = []
    for c in COLUMNS:
        numeric = c.kind != "text"
        if c.key == current:
            next_sort = c.key if descending else f"-{c.key}"
            aria = "descending" if descending else "ascending"
        else:
            next_sort, aria = (f"-{c.key}" if numeric else c.key), "none"
        out.append(
            {"label": c.label, "sort": next_sort, "aria": aria, "numeric": numeric, "metric": c.metric}
        )
    return out


def sparkline_points(values: list[int], width: int = 100, height: int = 24) -> str:
    """SVG polyline points for a row's daily active people (drawn server-side: no script)."""
    if not values:
        return ""
    top = max(values) or 1
    step = width / max(1, len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - v / top * (height - 2) - 1:.1f}" for i, v in enumerate(values))


def table_rows(rows: list[TeamRow]) -> list[dict]:
    return [
        {
            "row": r,
            "cells": [(text(r, c), c.kind != "text") for c in COLUMNS[1:]],
            "points": sparkline_points(r.sparkline),
        }
        for r in rows
    ]


# The dashboard with a team filter: the team's figures from the tool-neutral team rollup
# (ToolTeamDay). Cursor's per-kind counters and the model mix are not broken down by team.
TEAM_CARDS = (
    Card(
        "avg_dau",
        "Active people (avg. daily)",
        lambda v: number(v, 1),
        sub=lambda d: f"{d.head['active_users']['value']:,} active in the range",
        metric="avg_dau",
    ),
    Card(
        "active_share",
        "Active share of the team",
        percent,
        rate=True,
        sub=lambda d: f"{d.head['active_users']['value']:,} of {d.head['seats']:,} people",
        metric="active_share",
    ),
    Card("requests", "AI requests", number, sub="All kinds", metric="requests"),
    Card(
        "acceptance_rate",
        "Acceptance",
        percent,
        rate=True,
        sub="Accepted ÷ suggested lines",
        metric="line_acceptance_rate",
    ),
    Card("accepted_lines", "Accepted lines", number, metric="accepted_lines"),
    Card(
        "spend_cents",
        "Team spend",
        dollars,
        good_when="down",
        sub="Charged usage in the range",
        metric="spend_cents",
    ),
)


@dataclass
class TeamUsageData:
    name: str
    series: list[dict]  # per day: active_users, spend_cents, total/accepted lines
    cumulative: list[tuple]
    head: dict


def load_team(org, filters, name: str, *, version: str) -> TeamUsageData:
    rows = team_lens.team_daily(org, filters.team, filters.start, filters.end)
    series, running, cumulative = [], Decimal(0), []
    for r in rows:
        running += Decimal(r["cost_cents"] or 0)
        cumulative.append((r["day"], running))
        series.append(
            {
                "day": r["day"],
                "active_users": r["active_people"],
                "spend_cents": r["cost_cents"] or 0,
                "total_lines_added": r["suggested_lines"] or 0,
                "accepted_lines_added": r["accepted_lines"] or 0,
                "requests": r["requests"] or 0,
            }
        )
    # The headline joins every fact to its day's memberships: cached per data version.
    head = analytics_cache.cached(
        org,
        version,
        "team_headline",
        (filters.team, filters.start, filters.end),
        lambda: team_lens.team_headline(org, filters.team, filters.start, filters.end),
    )
    return TeamUsageData(name=name, series=series, cumulative=cumulative, head=head)


TEAM_CHARTS = (
    Chart(
        "fig-dau",
        lambda d: f"Daily active people: {d.name}",
        "People of the team (on that day, sub-teams included) with any activity.",
        lambda d: charts.dau_figure(d.series, label="Active people"),
        metric="team_daily_active",
    ),
    Chart(
        "fig-spend",
        lambda d: f"Spend per day: {d.name}",
        "Charged usage per day and the running total since the start of the range.",
        lambda d: charts.spend_figure(d.series, d.cumulative),
        metric="daily_spend",
    ),
    Chart(
        "fig-lines",
        "Suggested and accepted lines",
        "Lines the tool added or proposed against lines accepted from AI suggestions.",
        lambda d: charts.lines_figure(d.series),
        metric="line_acceptance_rate",
    ),
)
