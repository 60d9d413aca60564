"""Budgets: thresholds fire once per period, editing never re-fires, projections alert."""

from datetime import date, timedelta

import pytest

from alerts.budgets import budget_status, evaluate_budgets
from alerts.models import Alert, Budget
from alerts.services import save_budget
from analytics.models import OrgDailyRollup, ToolDay

from .conftest import add_spend, member, refresh

NOV = date(2026, 11, 1)


def _budget(org, **kw):
    defaults = {"scope": Budget.Scope.ORGANIZATION, "period": Budget.Period.MONTH, "amount_cents": 10_000}
    return Budget.objects.create(organization=org, **{**defaults, **kw})


def _fired(org):
    return sorted(Alert.objects.filter(organization=org).values_list("rule", "period"))


@pytest.mark.django_db
def test_each_threshold_fires_once_per_period_and_editing_does_not_refire(org, frozen):
    dana = member(org, "Dana Lee", "dana@acme.test")
    budget = _budget(org, alert_on_projection=False)
    add_spend(org, dana, NOV, 4_000)
    refresh(org, NOV, NOV)
    frozen(NOV)
    assert evaluate_budgets(org, today=NOV) == []  # 40 %

    add_spend(org, dana, NOV + timedelta(days=1), 1_500)  # 55 %
    refresh(org, NOV, NOV + timedelta(days=1))
    raised = evaluate_budgets(org, today=NOV + timedelta(days=1))
    assert [a.rule for a in raised] == [f"budget:{budget.pk}:t50"]
    assert (
        raised[0].reason
        == "The organization's monthly budget has reached 50%: $55 of $100 spent with 28 days left."
    )
    assert evaluate_budgets(org, today=NOV + timedelta(days=2)) == []  # the same period: never twice

    add_spend(org, dana, NOV + timedelta(days=2), 3_000)  # 85 %
    refresh(org, NOV, NOV + timedelta(days=2))
    assert [a.rule for a in evaluate_budgets(org, today=NOV + timedelta(days=2))] == [
        f"budget:{budget.pk}:t80"
    ]

    # Editing the amount (85 of 90 is still past 50 and 80) sends nothing again.
    save_budget(
        org,
        {"scope": "organization", "period": "month", "amount": 9_000, "thresholds": [50, 80, 100],
         "alert_on_projection": False},
        user=None,
        budget=budget,
    )  # fmt: skip
    assert evaluate_budgets(org, today=NOV + timedelta(days=2)) == []
    assert _fired(org) == [
        (f"budget:{budget.pk}:t50", "2026-11-01"),
        (f"budget:{budget.pk}:t80", "2026-11-01"),
    ]

    # A new month is a new period: its thresholds fire again.
    dec = date(2026, 12, 1)
    add_spend(org, dana, dec, 6_000)
    refresh(org, dec, dec)
    assert [(a.rule, a.period) for a in evaluate_budgets(org, today=dec)] == [
        (f"budget:{budget.pk}:t50", "2026-12-01")
    ]


@pytest.mark.django_db
def test_person_budget_counts_only_that_person_and_alerts_on_projection(org, frozen):
    dana = member(org, "Dana Lee", "dana@acme.test")
    sam = member(org, "Sam Roe", "sam@acme.test")
    for n in range(10):  # Dana: $10 a day for ten days; Sam spends too, on another budget
        add_spend(org, dana, NOV + timedelta(days=n), 1_000)
        add_spend(org, sam, NOV + timedelta(days=n), 5_000)
    today = NOV + timedelta(days=9)
    refresh(org, NOV, today)
    frozen(today)
    dana.refresh_from_db()
    budget = _budget(
        org, scope=Budget.Scope.PERSON, person=dana.person, period=Budget.Period.CYCLE, amount_cents=20_000
    )

    status = budget_status(budget, today=today)
    truth = sum(t.cost_cents for t in ToolDay.objects.filter(organization=org, person=dana.person))
    assert status.actual_cents == truth == 10_000
    assert status.period_start == NOV and status.period_end == date(2026, 12, 1)
    assert status.projected_cents == 30_000  # $10 a day × 30 days
    assert status.projected_low_cents == status.projected_high_cents == 30_000  # a flat day has no spread

    raised = evaluate_budgets(org, today=today)
    assert [a.rule for a in raised] == [f"budget:{budget.pk}:t50", f"budget:{budget.pk}:projected"]
    projected = raised[1]
    assert (
        projected.reason
        == "Dana Lee's billing-cycle spend is projected to reach $300 against $200 by 30 Nov."
    )
    # The wording for channels that may not name people carries neither the name nor an amount.
    assert "Dana" not in projected.summary and "$" not in projected.summary
    assert evaluate_budgets(org, today=today) == []


@pytest.mark.django_db
def test_org_cycle_budget_uses_the_spend_reviews_cycle_and_projection(org, frozen):
    from analytics.selectors import spend_overview

    dana = member(org, "Dana Lee", "dana@acme.test")
    for n in range(5):
        add_spend(org, dana, NOV + timedelta(days=n), 500 * (n + 1))
    today = NOV + timedelta(days=4)
    refresh(org, NOV, today)
    budget = _budget(org, period=Budget.Period.CYCLE)
    status = budget_status(budget, today=today)
    overview = spend_overview(org, today=today, include_members=False)
    assert status.actual_cents == overview["total_cents"]
    assert status.projected_cents == overview["projected_cents"]
    rollup_total = sum(r.spend_cents for r in OrgDailyRollup.objects.filter(organization=org))
    assert status.actual_cents == rollup_total == 7_500
    assert status.projected_low_cents < status.projected_cents < status.projected_high_cents
    assert status.projected_low_cents >= status.actual_cents


@pytest.mark.django_db
def test_budgets_of_another_organization_are_never_evaluated(org, other_org):
    _budget(other_org, amount_cents=1)
    assert evaluate_budgets(org, today=NOV) == []
    assert not Alert.objects.exists()
