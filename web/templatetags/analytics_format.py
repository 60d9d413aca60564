"""Formatting for analytics pages: money in cents, rates, deltas and table cells.

The same `cell_text` feeds the HTML tables and the CSV exports, so an export holds
exactly the values the page shows.
"""

from decimal import Decimal

from django import template
from django.utils.http import urlencode

register = template.Library()


@register.filter
def dollars(cents, places=2):
    """Cents → "$1,234.56" ("—" when unknown)."""
    if cents is None or cents == "":
        return "—"
    value = Decimal(cents) / 100
    return f"-${abs(value):,.{int(places)}f}" if value < 0 else f"${value:,.{int(places)}f}"


@register.filter
def percent(rate, places=1):
    """A fraction → "42.0%" ("—" when unknown)."""
    if rate is None or rate == "":
        return "—"
    return f"{float(rate) * 100:.{int(places)}f}%"


@register.filter
def number(value, places=0):
    if value is None or value == "":
        return "—"
    return f"{float(value):,.{int(places)}f}"


@register.filter
def delta(figure, kind="count"):
    """The change of a headline figure as short text: "+12.5%", "−3.1 pts", "new"."""
    if not figure or figure.get("change") is None:
        return ""
    change = figure["change"]
    if kind == "rate":
        points = float(change) * 100
        return f"{'+' if points >= 0 else '−'}{abs(points):.1f} pts"
    if figure.get("change_pct") is None:
        return "new" if change else "±0"
    pct = figure["change_pct"]
    return f"{'+' if pct >= 0 else '−'}{abs(pct):.1f}%"


@register.filter
def delta_class(figure, good_when="up"):
    """ "up" / "down" colouring; for spend a rise is not good news, so `good_when="down"`."""
    if not figure or not figure.get("change"):
        return "flat"
    rising = figure["change"] > 0
    good = rising if good_when == "up" else not rising
    return "up" if good else "down"


def cell_text(row, column, *, for_csv=False) -> str:
    """The text of one table cell. `column` is (key, label, kind)."""
    key, _label, kind = column
    value = row.get(key)
    if kind == "cents":
        if value is None:
            return "" if for_csv else "—"
        return f"{Decimal(value) / 100:.2f}" if for_csv else dollars(value)
    if kind == "dollars":
        if value is None:
            return "" if for_csv else "—"
        return f"{Decimal(value):.2f}" if for_csv else f"${Decimal(value):,.2f}"
    if kind == "rate":
        if value is None:
            return "" if for_csv else "—"
        return f"{float(value) * 100:.1f}" if for_csv else percent(value)
    if kind == "date":
        if value is None:
            return "" if for_csv else "—"
        return value.isoformat()
    if kind == "int":
        return str(value or 0) if for_csv else f"{value or 0:,}"
    if kind == "bool":
        return ("true" if value else "false") if for_csv else ("yes" if value else "no")
    return "" if value is None else str(value)


@register.simple_tag
def cell(row, column):
    return cell_text(row, column)


@register.simple_tag
def query(params, **overrides):
    """`params` (a dict) with overrides, as a URL query string for links."""
    merged = {**params, **overrides}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})
