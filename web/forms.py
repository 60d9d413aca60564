"""Dashboard filters (date range and model, carried in GET parameters) and the seat price form.

Bad input never raises: an unusable range falls back to the default with a message the
page shows, an unknown model is dropped with a message.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django import forms

from analytics.defaults import DEFAULT_RANGE_DAYS as DEFAULT_RANGE
from analytics.defaults import EARLIEST_DAY, MAX_RANGE_DAYS, PRESET_RANGES


@dataclass
class DashboardFilters:
    start: date
    end: date
    range_key: str  # "7", "30", "90" or "custom"
    model: str = ""
    team: str = ""  # a team's slug, "none" (no team) or "" (everyone)
    messages: list[str] = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self, **overrides) -> dict:
        """GET parameters that reproduce this view (for links, sorting and exports)."""
        params = {"range": self.range_key}
        if self.range_key == "custom":
            params["start"] = self.start.isoformat()
            params["end"] = self.end.isoformat()
        if self.model:
            params["model"] = self.model
        if self.team:
            params["team"] = self.team
        params.update(overrides)
        return {k: v for k, v in params.items() if v not in (None, "")}


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except (TypeError, ValueError):
        return None


def parse_range(params, today: date) -> DashboardFilters:
    """Range from GET `range` (7/30/90/custom) and `start`/`end` (YYYY-MM-DD), ending today
    by default. `start`/`end` without `range` mean a custom range."""

    def preset(days, message=None):
        f = DashboardFilters(start=today - timedelta(days=days - 1), end=today, range_key=str(days))
        if message:
            f.messages.append(message)
        return f

    range_key = (params.get("range") or "").strip()
    has_dates = bool(params.get("start") or params.get("end"))
    if range_key in {str(d) for d in PRESET_RANGES}:
        chosen = preset(int(range_key))
        # The filter form always sends the dates shown; edited dates mean a custom range.
        start, end = _parse_day(params.get("start", "")), _parse_day(params.get("end", ""))
        if not has_dates or (start, end) == (chosen.start, chosen.end):
            return chosen
        range_key = "custom"
    if range_key not in ("", "custom"):
        return preset(
            DEFAULT_RANGE, f"Unknown range “{range_key[:20]}”; showing the last {DEFAULT_RANGE} days."
        )
    if not has_dates:
        if range_key == "custom":
            return preset(DEFAULT_RANGE, "Choose a start and an end date for a custom range.")
        return preset(DEFAULT_RANGE)

    start, end = _parse_day(params.get("start", "")), _parse_day(params.get("end", ""))
    fallback = f"; showing the last {DEFAULT_RANGE} days."
    if start is None or end is None:
        return preset(DEFAULT_RANGE, "Dates must be given as YYYY-MM-DD" + fallback)
    if start > end:
        return preset(DEFAULT_RANGE, "The start date is after the end date" + fallback)
    if end > today:
        return preset(DEFAULT_RANGE, "The end date is in the future" + fallback)
    if start < EARLIEST_DAY:
        return preset(DEFAULT_RANGE, f"Dates before {EARLIEST_DAY:%d %b %Y} are not available" + fallback)
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        return preset(DEFAULT_RANGE, f"A range can span at most {MAX_RANGE_DAYS} days" + fallback)
    return DashboardFilters(start=start, end=end, range_key="custom")


def apply_model(filters: DashboardFilters, requested: str, known_models) -> DashboardFilters:
    """Keep the requested model only if it has usage in the range."""
    requested = (requested or "").strip()
    if not requested:
        return filters
    if requested in known_models:
        filters.model = requested
    else:
        filters.messages.append(
            f"No usage of the model “{requested[:100]}” in this range; showing all models."
        )
    return filters


class SeatPriceForm(forms.Form):
    """Monthly price of one seat, in dollars (e.g. 40 or 40.00)."""

    seat_price = forms.CharField(label="Seat price (USD per month)", max_length=12)

    MAX_DOLLARS = Decimal("10000")

    def clean_seat_price(self):
        raw = self.cleaned_data["seat_price"].strip().lstrip("$").replace(",", "")
        try:
            dollars = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError("Enter the price as a number of dollars, e.g. 40 or 39.99.") from None
        if not dollars.is_finite():
            raise forms.ValidationError("Enter the price as a number of dollars, e.g. 40 or 39.99.")
        if dollars <= 0:
            raise forms.ValidationError("The seat price must be more than $0.")
        if dollars > self.MAX_DOLLARS:
            raise forms.ValidationError(f"The seat price must be at most ${self.MAX_DOLLARS:,.0f}.")
        if dollars != dollars.quantize(Decimal("0.01")):
            raise forms.ValidationError("Use at most two decimal places (cents).")
        return int(dollars * 100)


NO_TEAM = "none"


def apply_team(
    filters: DashboardFilters, requested: str, known_slugs, *, hidden=frozenset()
) -> DashboardFilters:
    """Keep the requested team (a slug of `known_slugs`, or "none") unless unknown or in
    `hidden` (a group too small for this viewer); say why when it is dropped."""
    requested = (requested or "").strip()[:100]
    if not requested:
        return filters
    if requested not in known_slugs and requested != NO_TEAM:
        filters.messages.append(f"No team “{requested}”; showing everyone.")
    elif requested in hidden:
        filters.messages.append("That group is too small to show on its own; showing everyone.")
    else:
        filters.team = requested
    return filters
