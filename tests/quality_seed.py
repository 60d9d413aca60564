"""A small stored Cursor dataset with known data-quality findings, and its checks recorded on a
finished sync run, for the page and API tests (the loopback tests in tests/sync/ cover how each
check fires on the simulator's faults).

Alice is on the roster and has daily usage and events every day of the window but one (a missing
day); her /teams/spend total is 600 cents above her events' charged cents. A ghost who is not on
the roster used Cursor yesterday. Bob is on the roster and never used it.
"""

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from analytics.models import CursorMember, DailyUsage, SpendSnapshot, Tool, UsageEvent
from analytics.services import refresh_after_sync
from integrations.models import SyncRun
from integrations.quality import record_cursor_checks
from tests.integrations.conftest import make_connection

GHOST = "ghost@elsewhere.test"
ALICE = "alice@acme.test"
BOB = "bob@acme.test"
SKEW = Decimal(600)


def seed_quality(org, *, connect=True):
    today = timezone.now().date()
    start = today - timedelta(days=6)
    conn = make_connection(org) if connect else None
    run = SyncRun.objects.create(
        organization=org,
        connection=conn,
        status=SyncRun.Status.SUCCEEDED,
        window_start=start,
        window_end=today,
    )
    alice = CursorMember.objects.create(organization=org, email=ALICE, name="Alice")
    ghost = CursorMember.objects.create(organization=org, email=GHOST, not_in_roster=True)
    CursorMember.objects.create(organization=org, email=BOB, name="Bob")
    missing = today - timedelta(days=3)
    cycle = datetime(start.year, start.month, start.day, tzinfo=UTC)
    charged = Decimal(0)
    n = 0
    for offset in range(7):
        day = start + timedelta(days=offset)
        people = [alice] + ([ghost] if day == today - timedelta(days=1) else [])
        for member in people:
            if day != missing:
                DailyUsage.objects.create(
                    organization=org, member=member, day=day, is_active=True, agent_requests=2
                )
            for e in range(2):
                n += 1
                cents = Decimal("12.5") if member is alice else Decimal(3)
                charged += cents if member is alice else 0
                UsageEvent.objects.create(
                    organization=org,
                    member=member,
                    fingerprint=hashlib.sha256(f"{org.pk}-{n}".encode()).hexdigest(),
                    timestamp=datetime(day.year, day.month, day.day, 10 + e, tzinfo=UTC),
                    day=day,
                    kind="Usage-based",
                    charged_cents=cents,
                )
    SpendSnapshot.objects.create(
        organization=org, member=alice, cycle_start=cycle, spend_cents=charged + SKEW,
        overall_spend_cents=charged + SKEW, captured_at=timezone.now(),
    )  # fmt: skip
    refresh_after_sync(org.pk, Tool.CURSOR, start, today)
    record_cursor_checks(run, skipped_events=2, skipped_other=0, today=today)
    return run
