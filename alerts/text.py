"""Plain-words formatting shared by alert reasons, messages and digests."""

from datetime import date
from decimal import Decimal


def money(cents) -> str:
    """$182 from 18200 cents; $4.50 below ten dollars, so small figures keep their cents."""
    dollars = Decimal(cents or 0) / 100
    if abs(dollars) >= 10:
        return f"${dollars:,.0f}"
    return f"${dollars:,.2f}"


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def times(value: float) -> str:
    """9× / 2.5×: one decimal below ten, none above."""
    return f"{value:.0f}×" if value >= 10 else f"{value:.1f}×".replace(".0×", "×")
