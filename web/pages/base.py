"""The building blocks of a page declaration."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import charts


def _always(data) -> bool:
    return True


@dataclass(frozen=True)
class Chart:
    """A chart: an element id, a title and help text (plain or computed from the page's
    data), the figure builder over that data, and when to show it."""

    id: str
    title: str | Callable[[Any], str]
    help: str | Callable[[Any], str]
    figure: Callable[[Any], dict]
    show: Callable[[Any], bool] = _always
    metric: str = ""  # the analytics.metrics key its info control explains


@dataclass(frozen=True)
class Card:
    """A headline card: which figure of the headline, its label, how its value is written."""

    key: str
    label: str | Callable[[Any], str]
    format: Callable[[Any], str]
    rate: bool = False
    good_when: str = "up"
    sub: str | Callable[[Any], str] = ""
    show: Callable[[Any], bool] = _always
    metric: str = ""  # the analytics.metrics key its info control explains


def _text(value, data) -> str:
    return value(data) if callable(value) else value


def render_charts(declared, data, provisional=None) -> list[dict]:
    """The charts to show, each with its figure serialized for the page. `provisional`
    (web.freshness.ChartProvisional) marks the days a later sync may still revise."""
    return [
        {
            "id": chart.id,
            "title": _text(chart.title, data),
            "help": _text(chart.help, data),
            "script": charts.to_script(_figure(chart, data, provisional), chart.id),
            "metric": chart.metric,
        }
        for chart in declared
        if chart.show(data)
    ]


def _figure(chart, data, provisional) -> dict:
    figure = chart.figure(data)
    if provisional is not None:
        charts.mark_provisional(figure, provisional.default, provisional.by_name)
    return figure


def render_cards(declared, head: dict, data) -> list[dict]:
    """The headline cards to show, formatted for display."""
    cards = []
    for card in declared:
        if not card.show(data):
            continue
        figure = head[card.key]
        cards.append(
            {
                "key": card.key,
                "label": _text(card.label, data),
                "figure": figure,
                "value": card.format(figure["value"]),
                "previous": card.format(figure["previous"]),
                "kind": "rate" if card.rate else "count",
                "good_when": card.good_when,
                "sub": _text(card.sub, data),
                "metric": card.metric,
            }
        )
    return cards


def unavailable_charts(declared, data, gaps) -> list[dict]:
    """Charts hidden because the plan lacks their source (`gaps`: integrations.availability's
    Gap per stream): each says so ("Not available on your plan") instead of vanishing or
    drawing zeros. A chart the plan lacks but which has older data still draws that data."""
    gated = {key: gap for gap in gaps.values() for key in gap.metrics}
    return [
        {
            "id": chart.id,
            "title": _text(chart.title, data),
            "metric": chart.metric,
            "reason": gated[chart.metric].reason,
        }
        for chart in declared
        if chart.metric in gated and not chart.show(data)
    ]
