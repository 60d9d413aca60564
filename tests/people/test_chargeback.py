"""Chargeback: lines add up to the organization's spend exactly, closed periods are frozen,
a re-run is explicit and audited."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db.models import Sum

from analytics.models import ChargebackLine, ToolDay
from analytics.services.chargeback import (
    PeriodError,
    chargeback,
    cycle_period,
    month_period,
    organization_spend,
)
from analytics.services.tool_days import refresh_team_days
from people.models import DirectoryAuditEntry, TeamMembership
from people.teams import add_membership, end_membership

from .conftest import person

pytestmark = pytest.mark.django_db
AFTER = date(2026, 4, 10)  # March is closed by then
MARCH = month_period(2026, 3)


def spend_of(org, *emails, start=MARCH[0], end=MARCH[1]):
    people = [person(org, e) for e in emails]
    total = ToolDay.objects.filter(organization=org, person__in=people, day__range=(start, end)).aggregate(
        s=Sum("cost_cents")
    )["s"]
    return total or Decimal(0)


def lines(cb):
    return {line.team_slug: line for line in cb.lines}


def test_the_lines_add_up_to_the_organizations_spend_to_the_cent(org, tree):
    cb = chargeback(org, "month", *MARCH, today=AFTER)
    total = organization_spend(org, *MARCH)
    assert total > 0
    assert cb.total_spend_cents == total  # exactly, to the sixth decimal of a cent
    assert (
        sum(line.cents for line in cb.lines)
        == int(total.quantize(Decimal(1), ROUND_HALF_UP))
        == cb.total_cents
    )
    assert sum(r["cents"] for r in cb.by_cost_centre()) == cb.total_cents
    assert cb.total_seats == 8  # everyone with usage rows, dev7 (idle) included


def test_spend_goes_to_the_teams_people_were_in_each_day(org, tree):
    by = lines(chargeback(org, "month", *MARCH, today=AFTER))
    assert set(by) == {"platform", "apps", "sales", ""}  # Engineering has no direct members
    dev1 = spend_of(org, "dev1@acme.test")  # in Platform and Apps: split equally
    assert (
        by["platform"].spend_cents + by["apps"].spend_cents
        == spend_of(org, "dev0@acme.test", "dev2@acme.test", "dev3@acme.test") + dev1
    )
    assert abs(by["platform"].spend_cents - spend_of(org, "dev0@acme.test") - dev1 / 2) < Decimal("0.0001")
    assert by["sales"].spend_cents == spend_of(org, "dev4@acme.test")
    assert by[""].spend_cents == spend_of(org, "dev5@acme.test", "dev6@acme.test", "dev7@acme.test")
    assert (by[""].team_name, by["sales"].cost_centre) == ("Unassigned", "CC-200")
    assert (by["platform"].seats, by["apps"].seats, by[""].seats) == (Decimal("1.5"), Decimal("2.5"), 3)
    centres = {r["cost_centre"]: r for r in chargeback(org, "month", *MARCH, today=AFTER).by_cost_centre()}
    assert set(centres) == {"", "CC-110", "CC-200", "Unassigned"}  # Platform has no cost centre


def test_a_closed_period_is_frozen_and_an_explicit_rerun_is_audited(org, tree, owner):
    first = lines(chargeback(org, "month", *MARCH, today=AFTER))
    assert ChargebackLine.objects.filter(organization=org, period="month", period_start=MARCH[0]).count() == 4
    dev4 = person(org, "dev4@acme.test")
    end_membership(TeamMembership.objects.get(person=dev4), end=date(2025, 12, 31))  # removes it
    add_membership(dev4, tree["platform"], start=date(2026, 1, 1))
    refresh_team_days(org.pk)
    again = lines(chargeback(org, "month", *MARCH, today=AFTER))
    assert {k: v.spend_cents for k, v in again.items()} == {k: v.spend_cents for k, v in first.items()}
    rerun = lines(chargeback(org, "month", *MARCH, today=AFTER, rerun=True, actor=owner))
    assert "sales" not in rerun
    assert rerun["platform"].spend_cents > first["platform"].spend_cents
    assert DirectoryAuditEntry.objects.filter(
        organization=org, action="chargeback_rerun", actor=owner
    ).exists()


def test_an_open_period_is_live_and_never_stored(org, tree):
    cb = chargeback(org, "month", *MARCH, today=date(2026, 3, 20))
    assert not cb.closed and cb.frozen_at is None
    assert not ChargebackLine.objects.filter(organization=org).exists()
    with pytest.raises(PeriodError, match="closed"):
        chargeback(org, "month", *MARCH, today=date(2026, 3, 20), rerun=True)
    with pytest.raises(PeriodError, match="not started"):
        chargeback(org, "month", *month_period(2026, 5), today=AFTER)


def test_billing_cycles_start_on_the_anchor_day(org, tree):
    assert cycle_period(org, date(2026, 3, 1)) == MARCH  # the seeded snapshots' cycle starts on the 1st
    with pytest.raises(PeriodError, match="starts on 2026-03-01"):
        cycle_period(org, date(2026, 3, 5))
    with pytest.raises(PeriodError):
        month_period(2026, 13)


def test_another_organizations_spend_never_enters(org, other_org, tree):
    cb = chargeback(org, "month", *MARCH, today=AFTER)
    assert cb.total_spend_cents == organization_spend(org, *MARCH) != organization_spend(other_org, *MARCH)
    assert not ChargebackLine.objects.filter(organization=other_org).exists()
