"""Fixtures for the integrations tests: a fake Cursor client, a recorded start_sync, seeded data."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.utils import timezone

from analytics.models import CursorMember, DailyUsage, UsageEvent
from integrations import key_check, services
from integrations.cursor.records import Capabilities
from integrations.models import Connection

# Looks like a real key of the newest documented format (D4 in docs/cursor-api.md §1.1: crsr_ and
# 64 characters); distinctive so a leak is easy to find.
API_KEY = "crsr_" + "Sx9kQ2vLr7Tz" * 5 + "pW4b"
NEW_API_KEY = "key_" + "Mn3Jd8Hq" * 8 + "zY6c"
ENTERPRISE = Capabilities(admin=True, analytics=True, ai_code=True, member_count=12, plan_note="")
TEAM_PLAN = Capabilities(
    admin=True, analytics=False, ai_code=False, member_count=5, plan_note="Enterprise required"
)


@dataclass
class FakeCursor:
    """Stands in for CursorClient in service/view tests: records calls, answers as configured."""

    capabilities: Capabilities = ENTERPRISE
    error: Exception | None = None
    calls: list = field(default_factory=list)

    def __call__(self, api_key, base_url):
        self.calls.append((api_key, base_url))
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def validate(self):
        if self.error is not None:
            raise self.error
        return self.capabilities


@pytest.fixture
def fake_cursor(monkeypatch):
    fake = FakeCursor()
    monkeypatch.setattr(key_check, "make_client", fake)
    return fake


@dataclass
class SyncSpy:
    """Wraps the real sync engine's start_sync and records its calls.

    Under pytest-django the test's transaction never commits, so the Celery task the engine
    enqueues "after commit" never runs: a started sync stays a queued SyncRun to assert on.
    """

    calls: list = field(default_factory=list)

    def __call__(self, connection, *, trigger, actor=None, days=None):
        from integrations.cursor.sync import start_sync

        self.calls.append({"connection": connection.pk, "trigger": trigger, "actor": actor, "days": days})
        return start_sync(connection, trigger=trigger, actor=actor, days=days)


@pytest.fixture
def sync_calls(monkeypatch):
    spy = SyncSpy()
    monkeypatch.setattr(services, "_start_sync", spy)
    return spy


def make_connection(organization, *, key=API_KEY, status=Connection.Status.HEALTHY, **extra):
    conn = Connection(
        organization=organization,
        status=status,
        capabilities={"admin": True, "analytics": True, "ai_code": True},
        **extra,
    )
    conn.set_api_key(key)
    conn.save()
    return conn


@pytest.fixture
def connection(org, admin_user):
    return make_connection(org, created_by=admin_user, last_synced_at=timezone.now() - timedelta(hours=2))


def seed_history(organization, first_day: date, days: int, members: int = 2) -> int:
    """Daily usage and one usage event per member per day; returns the rows created."""
    created = 0
    for m in range(members):
        member = CursorMember.objects.create(
            organization=organization, email=f"dev{m}@{organization.slug}.test"
        )
        created += 1
        for d in range(days):
            day = first_day + timedelta(days=d)
            DailyUsage.objects.create(
                organization=organization, member=member, day=day, is_active=True, agent_requests=d
            )
            UsageEvent.objects.create(
                organization=organization,
                member=member,
                fingerprint=f"{organization.slug}-{m}-{d}",
                timestamp=timezone.now(),
                day=day,
            )
            created += 2
    return created
