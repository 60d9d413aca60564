"""A call costs a constant number of queries, whatever the number of members or days."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import Tool
from analytics.services import refresh_after_sync
from integrations.models import SyncRun
from tests.fixtures.analytics_data import (
    CursorMemberFactory,
    DailyUsageFactory,
    SpendSnapshotFactory,
    UsageEventFactory,
    seed_usage,
)

from .conftest import bearer_client

pytestmark = pytest.mark.django_db

ENDPOINTS = ["members", "usage/daily", "usage/models", "usage/members", "usage", "spend", "sync-runs"]


def add_members(org, *, count, days, end):
    """More members, each active every day with a usage event and a spend snapshot."""
    start = end - timedelta(days=days - 1)
    for i in range(count):
        member = CursorMemberFactory(organization=org, email=f"extra{i}@acme.test")
        SpendSnapshotFactory(organization=org, member=member)
        SyncRun.objects.create(organization=org)
        for d in range(days):
            day = start + timedelta(days=d)
            DailyUsageFactory(organization=org, member=member, day=day, agent_requests=1)
            UsageEventFactory(
                organization=org,
                member=member,
                timestamp=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                model=f"model-{i % 3}",
            )
    refresh_after_sync(org.pk, Tool.CURSOR, start, end)


def queries_for(client, endpoint, start, end):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(
            f"/api/v1/orgs/acme/{endpoint}", {"start": start, "end": end, "group_by": "user"}
        )
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_query_count_does_not_grow_with_the_data(org, other_org, admin_user, make_token, endpoint):
    today = datetime.now(UTC).date()
    client = bearer_client(make_token(admin_user, org))
    client.get("/api/v1/orgs/acme/members")  # first call writes last_used_at; measure later ones
    start = today - timedelta(days=29)
    seed_usage(org, members=2, days=3, seed=1)
    SyncRun.objects.create(organization=org)
    small = queries_for(client, endpoint, start, today)
    add_members(org, count=10, days=30, end=today)
    large = queries_for(client, endpoint, start, today)
    assert large == small
