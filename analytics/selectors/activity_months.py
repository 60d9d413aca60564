"""Distinct people over day windows, read from the per-month activity bitmasks
(`ToolPersonMonth`, `ToolTeamPersonMonth`, analytics.models.activity).

A person counts in a window [a, b] when one of their month rows in it has a bit of the
window's days set: `Windows` writes that test as SQL with bound parameters, so one statement
answers several windows (`COUNT(DISTINCT CASE WHEN … THEN person_id END)` per window). The
rows read are one per person and month of the widest window, whatever its length in days.
Portable SQL (PostgreSQL, SQLite: `&` is bitwise on both).
"""

from __future__ import annotations

from datetime import date, timedelta

ALL_DAYS = (1 << 31) - 1  # every day of any month


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _bits(first_day: int, last_day: int) -> int:
    """The mask of days first_day..last_day of a month (1-based, inclusive)."""
    return ((1 << last_day) - 1) ^ ((1 << (first_day - 1)) - 1)


def window_months(start: date, end: date) -> list[tuple[date, int]]:
    """(month, mask of its days inside start..end) for each calendar month of start..end."""
    months, month = [], _month(start)
    while month <= end:
        last = _next_month(month) - timedelta(days=1)
        first_day = start.day if month == _month(start) else 1
        last_day = end.day if month == _month(end) else last.day
        months.append((month, _bits(first_day, last_day)))
        month = _next_month(month)
    return months


class Windows:
    """Named day windows written as SQL tests over a month row aliased `t`; `params` holds
    their bound values (named, so the statement may use %(org)s and the like too)."""

    def __init__(self):
        self.params: dict = {}
        self.low: date | None = None
        self.high: date | None = None

    def _param(self, value) -> str:
        name = f"w{len(self.params)}"
        self.params[name] = value
        return f"%({name})s"

    def test(self, start: date, end: date, column: str = "active_mask") -> str:
        """SQL that is true for a month row with a day of start..end set in `column`."""
        if start > end:
            return "1 = 0"
        self.low = min(self.low or start, start)
        self.high = max(self.high or end, end)
        first, last = _month(start), _month(end)
        if first == last:
            return f"(t.month = {self._param(first)} AND (t.{column} & {self._param(_bits(start.day, end.day))}) <> 0)"
        month_end = (_next_month(first) - timedelta(days=1)).day
        parts = [
            f"(t.month = {self._param(first)} AND (t.{column} & {self._param(_bits(start.day, month_end))}) <> 0)",
            f"(t.month = {self._param(last)} AND (t.{column} & {self._param(_bits(1, end.day))}) <> 0)",
        ]
        if _next_month(first) < last:
            parts.append(
                f"(t.month > {self._param(first)} AND t.month < {self._param(last)} AND t.{column} <> 0)"
            )
        return "(" + " OR ".join(parts) + ")"

    def month_range(self) -> str:
        """SQL narrowing the rows to the months of every window tested so far (an index range)."""
        if self.low is None:
            return "1 = 0"
        return f"t.month BETWEEN {self._param(_month(self.low))} AND {self._param(_month(self.high))}"


def day_bits(month: date, mask: int) -> list[date]:
    """The days of `month` whose bits are set in `mask`."""
    return [month + timedelta(days=i) for i in range(31) if mask >> i & 1]
