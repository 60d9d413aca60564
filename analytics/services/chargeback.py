"""Chargeback: a period's spend and seats allocated to teams and cost centres.

Allocation rule (stated on the page):
- spend: each person's charged cost on each day (every tool's `ToolDay.cost_cents`) goes to
  the team(s) they were directly in that day; split equally between several; "Unassigned"
  when in none. Exact to the sixth decimal of a cent, so the lines add up to the
  organization's spend for the period exactly;
- seats: each person with any usage row in the period is one seat, allocated to the team(s)
  they were in on their last such day (split equally), else "Unassigned".

A period is a Cursor billing cycle (it starts on the cycle's anchor day) or a calendar
month. Once closed (its last day at least CLOSE_AFTER_DAYS ago, so late usage has arrived)
its lines are stored on first use and read back unchanged; `rerun=True` recomputes and
replaces them (audited). Every query filters by organization.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from people.models import Team, TeamMembership
from people.teams import Action, audit

from ..models import ChargebackLine, ToolDay
from ..selectors.spend import cycle_start_for, latest_cycle_start, next_cycle_start

CLOSE_AFTER_DAYS = 2
UNIT = Decimal("0.000001")
SEAT_UNIT = Decimal("0.0001")
UNASSIGNED = ""
Period = ChargebackLine.Period


class PeriodError(ValueError):
    """A period that cannot be charged back (bad date, not a cycle start, in the future)."""


@dataclass
class Line:
    team_slug: str
    team_name: str
    cost_centre: str
    spend_cents: Decimal
    seats: Decimal
    team_id: int | None = None
    cents: int = 0  # spend rounded to whole cents so that the lines add up to the total


@dataclass
class Chargeback:
    period: str
    start: date
    end: date
    closed: bool
    frozen_at: object | None  # when the stored lines were computed (None: live)
    lines: list[Line] = field(default_factory=list)

    @property
    def total_spend_cents(self) -> Decimal:
        return sum((line.spend_cents for line in self.lines), Decimal(0))

    @property
    def total_cents(self) -> int:
        return int(self.total_spend_cents.quantize(Decimal(1), ROUND_HALF_UP))

    @property
    def total_seats(self) -> Decimal:
        return sum((line.seats for line in self.lines), Decimal(0))

    def by_cost_centre(self) -> list[dict]:
        out: dict[str, dict] = {}
        for line in self.lines:
            key = line.cost_centre if line.team_slug else "Unassigned"
            row = out.setdefault(
                key, {"cost_centre": key, "spend_cents": Decimal(0), "cents": 0, "seats": Decimal(0)}
            )
            row["spend_cents"] += line.spend_cents
            row["cents"] += line.cents
            row["seats"] += line.seats
        return sorted(out.values(), key=lambda r: (r["cost_centre"] == "Unassigned", r["cost_centre"]))


def cycle_period(org, cycle_start: date) -> tuple[date, date]:
    """The billing cycle starting on `cycle_start` (PeriodError if no cycle starts then)."""
    anchor = latest_cycle_start(org)
    if cycle_start_for(cycle_start, anchor) != cycle_start:
        expected = cycle_start_for(cycle_start, anchor)
        raise PeriodError(
            f"No billing cycle starts on {cycle_start}; the cycle containing it starts on {expected}."
        )
    return cycle_start, next_cycle_start(cycle_start, anchor) - timedelta(days=1)


def month_period(year: int, month: int) -> tuple[date, date]:
    if not 1 <= month <= 12 or not 2000 <= year <= 2999:
        raise PeriodError("Give the month as YYYY-MM.")
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def _split(amount: Decimal, parts: int, unit: Decimal) -> list[Decimal]:
    """`amount` in `parts` shares of `unit` precision that add up to it exactly."""
    share = (amount / parts).quantize(unit, ROUND_DOWN)
    return [amount - share * (parts - 1)] + [share] * (parts - 1)


def _largest_remainder(values: list[Decimal]) -> list[int]:
    """Whole cents for each value, adding up to the rounded total (largest remainders win)."""
    total = int(sum(values, Decimal(0)).quantize(Decimal(1), ROUND_HALF_UP))
    floors = [int(v.to_integral_value(ROUND_FLOOR)) for v in values]
    left = total - sum(floors)  # 0 <= left < len(values): the sum of floors is at most the total
    order = sorted(range(len(values)), key=lambda i: (values[i] - floors[i], -i), reverse=True)
    for i in order[:left]:
        floors[i] += 1
    return floors


def compute(org, start: date, end: date) -> list[Line]:
    """The allocation for start..end from the facts and the memberships of each day."""
    costs = (
        ToolDay.objects.filter(organization=org, day__range=(start, end))
        .values("person_id", "day")
        .annotate(cost=Sum("cost_cents"))
        .order_by()
    )
    memberships: dict[int, list[TeamMembership]] = {}
    for m in (
        TeamMembership.objects.filter(organization=org, start__lte=end)
        .filter(Q(end__isnull=True) | Q(end__gte=start))
        .order_by("team_id", "pk")
    ):
        memberships.setdefault(m.person_id, []).append(m)

    def teams_on(person_id, day) -> list[int]:
        return sorted({m.team_id for m in memberships.get(person_id, ()) if m.valid_on(day)})

    spend: dict[int | None, Decimal] = {}
    last_day: dict[int, date] = {}
    for row in costs:
        person_id, day = row["person_id"], row["day"]
        last_day[person_id] = max(day, last_day.get(person_id, day))
        cost = Decimal(row["cost"] or 0)
        teams = teams_on(person_id, day) or [None]
        for team_id, share in zip(teams, _split(cost, len(teams), UNIT), strict=True):
            spend[team_id] = spend.get(team_id, Decimal(0)) + share
    seats: dict[int | None, Decimal] = {}
    for person_id, day in last_day.items():
        teams = teams_on(person_id, day) or [None]
        for team_id, share in zip(teams, _split(Decimal(1), len(teams), SEAT_UNIT), strict=True):
            seats[team_id] = seats.get(team_id, Decimal(0)) + share
    teams = Team.objects.in_bulk([t for t in set(spend) | set(seats) if t is not None])
    lines = []
    for team_id in sorted(
        set(spend) | set(seats), key=lambda t: (t is None, teams[t].name.lower() if t else "")
    ):
        team = teams.get(team_id)
        lines.append(
            Line(
                team_slug=team.slug if team else UNASSIGNED,
                team_name=team.name if team else "Unassigned",
                cost_centre=team.cost_centre if team else "",
                spend_cents=spend.get(team_id, Decimal(0)),
                seats=seats.get(team_id, Decimal(0)),
                team_id=team_id,
            )
        )
    return lines


def _with_cents(lines: list[Line]) -> list[Line]:
    for line, cents in zip(lines, _largest_remainder([line.spend_cents for line in lines]), strict=True):
        line.cents = cents
    return lines


def _stored(org, period: str, start: date) -> list[ChargebackLine]:
    return list(ChargebackLine.objects.filter(organization=org, period=period, period_start=start))


@transaction.atomic
def chargeback(
    org, period: str, start: date, end: date, *, today: date, rerun: bool = False, actor=None
) -> Chargeback:
    """The chargeback of one period; a closed one is frozen on first use (see module doc)."""
    if start > today:
        raise PeriodError("That period has not started yet.")
    closed = end <= today - timedelta(days=CLOSE_AFTER_DAYS)
    if not closed:
        if rerun:
            raise PeriodError("Only a closed period can be re-run; an open one is always computed live.")
        return Chargeback(
            period, start, end, closed=False, frozen_at=None, lines=_with_cents(compute(org, start, end))
        )
    stored = _stored(org, period, start)
    if stored and not rerun:
        lines = [
            Line(s.team_slug, s.team_name, s.cost_centre, s.spend_cents, s.seats, team_id=s.team_id)
            for s in stored
        ]
        lines.sort(key=lambda line: (line.team_slug == UNASSIGNED, line.team_name.lower()))
        return Chargeback(
            period, start, end, closed=True, frozen_at=stored[0].computed_at, lines=_with_cents(lines)
        )
    now = timezone.now()
    lines = compute(org, start, end)
    ChargebackLine.objects.filter(organization=org, period=period, period_start=start).delete()
    ChargebackLine.objects.bulk_create(
        ChargebackLine(
            organization=org,
            period=period,
            period_start=start,
            period_end=end,
            team_id=line.team_id,
            team_slug=line.team_slug,
            team_name=line.team_name,
            cost_centre=line.cost_centre,
            spend_cents=line.spend_cents,
            seats=line.seats,
            computed_at=now,
        )
        for line in lines
    )
    if rerun:
        audit(org.pk, actor, Action.CHARGEBACK_RERUN, f"{Period(period).label} {start} – {end} re-run")
    return Chargeback(period, start, end, closed=True, frozen_at=now, lines=_with_cents(lines))


def organization_spend(org, start: date, end: date) -> Decimal:
    """What the lines must add up to: every tool's charged cost in the period."""
    return ToolDay.objects.filter(organization=org, day__range=(start, end)).aggregate(s=Sum("cost_cents"))[
        "s"
    ] or Decimal(0)


def available_cycles(org, *, today: date, count: int = 12) -> list[date]:
    """The starts of the latest `count` billing cycles, newest first."""
    anchor = latest_cycle_start(org)
    starts, current = [], cycle_start_for(today, anchor)
    for _ in range(count):
        starts.append(current)
        current = cycle_start_for(current - timedelta(days=1), anchor)
    return starts


def period_from(
    org, *, cycle: str | None = None, month: str | None = None, today: date
) -> tuple[str, date, date]:
    """(period, start, end) from `cycle=YYYY-MM-DD` or `month=YYYY-MM`; neither: the latest
    billing cycle that has closed. Raises PeriodError with a message for the user."""
    if cycle and month:
        raise PeriodError("Give either a cycle or a month, not both.")
    if month:
        try:
            year, number = (int(part) for part in month.strip().split("-"))
        except ValueError:
            raise PeriodError("Give the month as YYYY-MM.") from None
        return Period.MONTH.value, *month_period(year, number)
    if cycle:
        try:
            start = date.fromisoformat(cycle.strip())
        except ValueError:
            raise PeriodError("Give the cycle's first day as YYYY-MM-DD.") from None
        if not 2000 <= start.year <= 2999:
            raise PeriodError("Give the cycle's first day as YYYY-MM-DD.")
        return Period.CYCLE.value, *cycle_period(org, start)
    current = cycle_start_for(today, latest_cycle_start(org))
    return Period.CYCLE.value, *cycle_period(
        org, cycle_start_for(current - timedelta(days=1), latest_cycle_start(org))
    )
