"""The spend review: this billing cycle's spend and the per-model split (admins only)."""

from dataclasses import dataclass

from analytics import selectors

from .. import charts
from .base import Chart


@dataclass
class SpendData:
    overview: dict
    series: list[dict]  # spend per day of the cycle, zero-filled


def load(overview: dict) -> SpendData:
    daily = {row["day"]: row for row in overview["daily"]}
    cycle_days = selectors.days_in(overview["cycle_start"], overview["today"])
    series = [{"day": d, "spend_cents": daily.get(d, {}).get("spend_cents") or 0} for d in cycle_days]
    return SpendData(overview=overview, series=series)


CHARTS = (
    Chart(
        "fig-cycle-spend",
        "Spend this cycle",
        "Charged usage per day since the cycle began and the running total.",
        lambda d: charts.spend_figure(d.series, charts.cycle_to_date(d.series, d.overview["cycle_start"])),
        metric="daily_spend",
    ),
    Chart(
        "fig-model-spend",
        "Spend and cost per request by model",
        "Charged usage this cycle per model, and the average cost of one request.",
        lambda d: charts.model_spend_figure(d.overview["by_model"]),
        show=lambda d: bool(d.overview["by_model"]),
        metric="cost_per_request",
    ),
)
