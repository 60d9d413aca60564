"""Budgets: where each one stands this period, and the threshold alerts it raises.

The period is the Cursor billing cycle (the spend review's, from
`analytics.selectors.spend_overview`) or the calendar month. Actual spend is charged usage
per UTC day: the organization's from Cursor's daily rollups (for a cycle budget, the spend
review's cycle total and projection), a person's from their `ToolDay` facts. The projection
extends this period's average day to its end; its range is that projection ± 1.28 standard
deviations of the remaining days' sum (an 80 % band, daily spend taken as independent),
never below what is already spent.

Each threshold fires once per period: its alert is keyed by (budget, threshold, period start),
so re-evaluating, or editing the amount, never sends it twice.
"""

import math
import statistics
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from analytics.models import OrgDailyRollup, Tool, ToolDay, ToolTeamDay
from analytics.selectors import spend_overview

from .models import Alert, Budget
from .records import Finding, raise_alert
from .text import money

RANGE_Z = 1.28  # two-sided 80 % interval


@dataclass
class BudgetStatus:
    budget: Budget
    today: date
    period_start: date
    period_end: date  # exclusive
    daily: list[tuple[date, Decimal]]  # spend per day from the period start to today
    actual_cents: Decimal
    projected_cents: Decimal
    projected_low_cents: Decimal
    projected_high_cents: Decimal

    @property
    def amount_cents(self) -> int:
        return self.budget.amount_cents

    @property
    def percent_used(self) -> float:
        return float(self.actual_cents) * 100 / self.amount_cents if self.amount_cents else 0.0

    @property
    def projected_percent(self) -> float:
        return float(self.projected_cents) * 100 / self.amount_cents if self.amount_cents else 0.0

    @property
    def projected_to_exceed(self) -> bool:
        return self.projected_cents > self.amount_cents

    @property
    def days_left(self) -> int:
        return max(0, (self.period_end - self.today).days - 1)

    @property
    def suggested_limit_dollars(self) -> int | None:
        """For a person's budget: the Cursor spend limit matching the budget (whole dollars)."""
        if self.budget.scope != Budget.Scope.PERSON:
            return None
        return int(self.amount_cents // 100)


def _month_bounds(today: date) -> tuple[date, date]:
    start = today.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def _daily(budget: Budget, start: date, today: date) -> dict[date, Decimal]:
    if budget.scope == Budget.Scope.PERSON:
        rows = (
            ToolDay.objects.filter(
                organization_id=budget.organization_id,
                tool=Tool.CURSOR,
                person_id=budget.person_id,
                day__range=(start, today),
            )
            .values("day")
            .annotate(cents=Sum("cost_cents"))
        )
    elif budget.scope == Budget.Scope.TEAM:
        # The team's rollup counts each person on the days their membership (of the team or
        # a sub-team) was valid, so people who joined or left mid-period count only then.
        rows = (
            ToolTeamDay.objects.filter(
                organization_id=budget.organization_id,
                tool=Tool.CURSOR,
                team_id=budget.team_id,
                day__range=(start, today),
            )
            .values("day")
            .annotate(cents=Sum("cost_cents"))
        )
    else:
        rows = (
            OrgDailyRollup.objects.filter(organization_id=budget.organization_id, day__range=(start, today))
            .values("day")
            .annotate(cents=Sum("spend_cents"))
        )
    return {row["day"]: row["cents"] or Decimal(0) for row in rows}


def budget_status(budget: Budget, *, today: date | None = None, overview: dict | None = None) -> BudgetStatus:
    """Where `budget` stands on `today` (UTC). `overview` (the spend review's, for the same
    day) saves its queries when several cycle budgets are evaluated together."""
    today = today or timezone.now().astimezone(UTC).date()
    if budget.period == Budget.Period.CYCLE:
        overview = overview or spend_overview(budget.organization, today=today, include_members=False)
        start, end = overview["cycle_start"], overview["cycle_end"]
    else:
        start, end = _month_bounds(today)
    last = min(today, end - timedelta(days=1))
    by_day = _daily(budget, start, last)
    days = [start + timedelta(days=i) for i in range((last - start).days + 1)]
    daily = [(d, by_day.get(d, Decimal(0))) for d in days]
    spent = sum((cents for _, cents in daily), Decimal(0))
    elapsed = max(1, len(days))
    remaining = max(0, (end - start).days - elapsed)
    rate = spent / elapsed
    if budget.period == Budget.Period.CYCLE and budget.scope == Budget.Scope.ORGANIZATION:
        actual, projected = Decimal(overview["total_cents"]), Decimal(overview["projected_cents"])
    else:
        actual, projected = spent, spent + rate * remaining
    spread = statistics.pstdev([float(c) for _, c in daily]) if len(daily) > 1 else 0.0
    half_band = Decimal(str(RANGE_Z * spread * math.sqrt(remaining)))
    return BudgetStatus(
        budget=budget,
        today=today,
        period_start=start,
        period_end=end,
        daily=daily,
        actual_cents=actual,
        projected_cents=projected,
        projected_low_cents=max(actual, projected - half_band),
        projected_high_cents=projected + half_band,
    )


def org_budgets(organization, *, visible=None) -> list[Budget]:
    qs = Budget.objects.filter(organization=organization).select_related("person", "team", "organization")
    return list(qs.filter(visible) if visible is not None else qs)


def budget_statuses(organization, *, today: date | None = None, visible=None) -> list[BudgetStatus]:
    """Every budget of the organization (or those `visible`, a Q) with where it stands (the
    spend review read once)."""
    today = today or timezone.now().astimezone(UTC).date()
    budgets = org_budgets(organization, visible=visible)
    overview = None
    if any(b.period == Budget.Period.CYCLE for b in budgets):
        overview = spend_overview(organization, today=today, include_members=False)
    return [budget_status(b, today=today, overview=overview) for b in budgets]


def _who(budget: Budget) -> tuple[str, str]:
    """(the name used for owners and admins, the name used where people may not be named)."""
    if budget.scope == Budget.Scope.PERSON:
        return budget.person.display_name + "'s", "A person's"
    if budget.scope == Budget.Scope.TEAM:
        name = f"Team {budget.team.name}'s"
        return name, name
    return "The organization's", "The organization's"


def findings_for(status: BudgetStatus) -> list[Finding]:
    """The threshold and projection alerts `status` qualifies for (raising dedupes them)."""
    budget = status.budget
    period = status.period_start.isoformat()
    named, anonymous = _who(budget)
    what = "billing-cycle" if budget.period == Budget.Period.CYCLE else "monthly"
    common = {
        "subject": budget.subject_key,
        "period": period,
        "person_id": budget.person_id,
        "budget_id": budget.pk,
        "team_id": budget.team_id,
        "day": status.today,
    }
    metrics = {
        "amount_cents": budget.amount_cents,
        "actual_cents": float(status.actual_cents),
        "projected_cents": float(status.projected_cents),
    }
    found = []
    for threshold in sorted(set(budget.thresholds)):
        if status.actual_cents * 100 >= Decimal(budget.amount_cents) * threshold:
            figures = f"{money(status.actual_cents)} of {money(budget.amount_cents)}"
            found.append(
                Finding(
                    kind=Alert.Kind.BUDGET_THRESHOLD,
                    rule=f"budget:{budget.pk}:t{threshold}",
                    title=f"{named} {what} budget reached {threshold}%",
                    reason=f"{named} {what} budget has reached {threshold}%: {figures} spent "
                    f"with {status.days_left} days left.",
                    summary=f"{anonymous} {what} budget has reached {threshold}%."
                    + (f" {figures} spent." if budget.scope != Budget.Scope.PERSON else ""),
                    metrics={**metrics, "threshold": threshold},
                    **common,
                )
            )
    if (
        budget.alert_on_projection
        and status.projected_to_exceed
        and status.actual_cents < budget.amount_cents
    ):
        figures = f"{money(status.projected_cents)} against {money(budget.amount_cents)}"
        found.append(
            Finding(
                kind=Alert.Kind.BUDGET_PROJECTED,
                rule=f"budget:{budget.pk}:projected",
                title=f"{named} {what} budget is projected to be exceeded",
                reason=f"{named} {what} spend is projected to reach {figures} by "
                f"{status.period_end - timedelta(days=1):%-d %b}.",
                summary=f"{anonymous} {what} spend is projected to exceed its budget."
                + (f" {figures}." if budget.scope != Budget.Scope.PERSON else ""),
                metrics=metrics,
                **common,
            )
        )
    return found


def evaluate_budgets(organization, *, today: date | None = None) -> list[Alert]:
    """Raise every threshold and projection alert due; returns the alerts newly raised."""
    raised = []
    for status in budget_statuses(organization, today=today):
        for finding in findings_for(status):
            alert, created = raise_alert(organization.pk, finding)
            if created:
                raised.append(alert)
    return raised
