"""Helpers for the alerts tests: spend written as Cursor usage events and daily rows, then
derived like a sync does (`refresh_after_sync`), and a frozen clock."""

import hashlib
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest

from analytics.models import DailyUsage, Tool, UsageEvent
from analytics.services import refresh_after_sync
from tests.fixtures.analytics_data import CursorMemberFactory

_seq = itertools.count()


def add_spend(org, member, day: date, cents, *, model="claude-4.5-sonnet", events=1, requests=None):
    """`events` usage events on `day` charging `cents` in total, and (given `requests`) the
    day's daily-usage row with that many agent requests."""
    cents = Decimal(cents)
    each = cents / events
    rows = []
    for n in range(events):
        ts = datetime(day.year, day.month, day.day, 10, n % 60, tzinfo=UTC)
        rows.append(
            UsageEvent(
                organization=org,
                member=member,
                fingerprint=hashlib.sha256(f"{next(_seq)}".encode()).hexdigest(),
                timestamp=ts,
                day=day,
                model=model,
                kind="Usage-based",
                requests_costs=Decimal(1),
                charged_cents=each,
                token_cents=each,
                is_chargeable=True,
            )
        )
    UsageEvent.objects.bulk_create(rows)
    if requests is not None:
        DailyUsage.objects.update_or_create(
            organization=org, member=member, day=day, defaults={"is_active": True, "agent_requests": requests}
        )


def refresh(org, start: date, end: date):
    refresh_after_sync(org.pk, Tool.CURSOR, start, end)


def member(org, name, email):
    return CursorMemberFactory(organization=org, name=name, email=email)


@pytest.fixture
def frozen():
    """frozen(day) patches django.utils.timezone.now to noon UTC of `day`."""
    patches = []

    def freeze(day: date):
        for p in patches:
            p.stop()
        patches.clear()
        p = mock.patch(
            "django.utils.timezone.now",
            return_value=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12),
        )
        p.start()
        patches.append(p)

    yield freeze
    for p in patches:
        p.stop()
