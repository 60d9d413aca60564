"""The spend review's reconciliation (`summary=True`: counted and totalled in the database,
only the rows shown built in Python) gives the same figures as the full reconciliation the
CSV, the API and data quality read: differences at and just past the tolerance, unlisted
people, a team-like member filter, several organizations."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q, Sum
from django.test.utils import CaptureQueriesContext

from analytics.models import MemberDailyRollup, SpendSnapshot, Tool, UsageEvent
from analytics.selectors.reconciliation import spend_reconciliation
from analytics.services import refresh_after_sync
from tests.fixtures.analytics_data import UsageEventFactory, seed_usage

pytestmark = pytest.mark.django_db

END = date(2026, 3, 20)
CYCLE = datetime(2026, 3, 1, tzinfo=UTC)


def events_cents(org, member) -> Decimal:
    return MemberDailyRollup.objects.filter(organization=org, member=member, day__gte=CYCLE.date()).aggregate(
        s=Sum("spend_cents")
    )["s"] or Decimal(0)


def set_cursor(org, member, cents: Decimal) -> None:
    SpendSnapshot.objects.filter(organization=org, member=member, cycle_start=CYCLE).update(
        overall_spend_cents=cents
    )


@pytest.fixture
def data(org, other_org):
    roster = seed_usage(org, members=10, days=40, end=END, seed=11, idle_members=2)
    seed_usage(other_org, members=5, days=40, end=END, seed=12)
    # An errored request with a charge (left out of the events' sum) and a token fee.
    UsageEventFactory(
        organization=org, member=roster[3], day=END, timestamp=datetime(2026, 3, 20, 8, tzinfo=UTC),
        kind=UsageEvent.ERRORED_KIND, charged_cents=Decimal("310"),
    )  # fmt: skip
    refresh_after_sync(org.pk, Tool.CURSOR, END, END)
    return org, roster


def both(org, **kwargs) -> tuple[dict, dict]:
    full = spend_reconciliation(org, today=END, **kwargs)
    with CaptureQueriesContext(connection) as queries:
        summary = spend_reconciliation(org, today=END, summary=True, **kwargs)
    assert summary["rows"] is (None if summary["cycle_start"] else summary["rows"])
    assert len(queries) <= 3  # the cycle, one statement, the differing people's causes
    return full, summary


def assert_same(full: dict, summary: dict) -> None:
    assert summary == {**full, "rows": None if full["cycle_start"] else []}


CASES = [
    {"tolerance_pct": 0, "tolerance_cents": 50},
    {"tolerance_pct": 50, "tolerance_cents": 0},
    {},
]


@pytest.mark.parametrize("tolerance", CASES)
def test_summary_equals_the_full_reconciliation(data, other_org, tolerance):
    org, roster = data
    e = {m.pk: events_cents(org, m) for m in roster}
    set_cursor(org, roster[0], e[roster[0].pk] + Decimal("50"))  # at the cents tolerance: agrees
    set_cursor(org, roster[1], e[roster[1].pk] + Decimal("50.000001"))  # just past it
    set_cursor(org, roster[2], e[roster[2].pk] - Decimal("50"))
    set_cursor(org, roster[4], 2 * e[roster[4].pk])  # at the 50 % tolerance: agrees
    set_cursor(org, roster[5], 2 * e[roster[5].pk] + Decimal("0.000001"))  # just past it
    set_cursor(org, roster[8], Decimal("1234.5"))  # an idle member whom Cursor charged
    SpendSnapshot.objects.filter(organization=org, member=roster[6]).delete()  # unlisted, with events
    SpendSnapshot.objects.filter(organization=org, member=roster[9]).delete()  # unlisted, no events
    full, summary = both(org, **tolerance)
    assert full["differences"] and full["not_in_spend"]
    assert_same(full, summary)
    assert_same(*both(other_org, **tolerance))
    team = Q(member__email__in=[roster[i].email for i in (1, 2, 5, 6, 7)])
    full, summary = both(org, member_q=team, **tolerance)
    assert {r["email"] for r in full["differences"]} <= {roster[i].email for i in (1, 2, 5)}
    assert_same(full, summary)
    assert_same(*both(org, member_q=Q(member__email__in=[]), **tolerance))  # a team of nobody


def test_the_boundaries_fall_where_the_full_reconciliation_puts_them(data):
    org, roster = data
    e = {m.pk: events_cents(org, m) for m in roster}
    set_cursor(org, roster[0], e[roster[0].pk] + Decimal("50"))
    set_cursor(org, roster[1], e[roster[1].pk] + Decimal("50.000001"))
    full, summary = both(org, tolerance_pct=0, tolerance_cents=50)
    assert {r["email"] for r in summary["differences"]} == {r["email"] for r in full["differences"]}
    assert roster[1].email in {r["email"] for r in summary["differences"]}
    assert roster[0].email not in {r["email"] for r in summary["differences"]}


def test_no_spend_reported_and_no_events_this_cycle(org, data):
    org, _ = data
    # A cycle after every event and without snapshots: nothing listed, nothing summed.
    assert_same(*both(org, cycle_start_at=CYCLE + timedelta(days=30), read_cycle=False))
    SpendSnapshot.objects.filter(organization=org).delete()
    assert_same(*both(org))
