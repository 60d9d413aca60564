"""Each page declared once: its headline cards and its charts, each a read plus a builder.

A page module loads its data with one call to the analytics selectors (`load`), then the
view renders the declaration over that data: `cards(spec, data)` and `charts(spec, data)`.
Adding a chart or a card touches one declaration; the view does not change.
"""

from .base import Card, Chart, render_cards, render_charts, unavailable_charts

__all__ = ["Card", "Chart", "render_cards", "render_charts", "unavailable_charts"]
