"""Every analytics page costs the same number of queries whatever the amount of data: measured
cold (cache emptied, as right after a sync) with N members × D days, then again once the same
organization holds 3N members × 3D days (Cursor, Copilot and Claude Code, in teams)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import ClaudeCodeActorDay, ClaudeCodeUser, CopilotSeat, CopilotUserDay, Tool
from analytics.services import refresh_after_sync
from analytics.services.tool_days import refresh_team_days
from people.models import Person
from people.teams import add_membership, create_team
from tests.fixtures.analytics_data import (
    CursorMemberFactory,
    DailyUsageFactory,
    SpendSnapshotFactory,
    UsageEventFactory,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
START_180 = TODAY - timedelta(days=179)
PAGE_BUDGET = 15  # issue 18: ≤ 15 queries per page, cold

PAGES = [
    "/ai-analytics/",
    "/ai-analytics/?range=7",
    "/ai-analytics/?range=90",
    f"/ai-analytics/?start={START_180}&end={TODAY}",
    "/ai-analytics/?model=gpt-5",
    "/ai-analytics/?range=90&model=gpt-5&sort=-spend_cents",
    "/ai-analytics/?team=engineering",
    "/ai-analytics/?team=platform&range=90",
    "/ai-analytics/?team=none",
    "/ai-analytics/spend/",
    "/ai-analytics/spend/?team=engineering",
    "/ai-analytics/me/",
    "/ai-analytics/me/?range=90&model=gpt-5",
    f"/ai-analytics/me/?start={START_180}&end={TODAY}",
    "/ai-analytics/members/{member}/",
    "/ai-analytics/members/{member}/?range=7&model=gpt-5",
    "/ai-analytics/teams/",
    "/ai-analytics/teams/?range=90",
    f"/ai-analytics/teams/?start={START_180}&end={TODAY}",
    "/ai-analytics/tools/",
    "/ai-analytics/tools/?range=90",
    "/ai-analytics/?tool=all",
    "/ai-analytics/?tool=copilot&range=90",
    "/ai-analytics/?tool=claude_code",
]


@pytest.fixture
def teams(org):
    eng = create_team(org.pk, name="Engineering", cost_centre="CC-100")
    return [
        create_team(org.pk, name="Platform", parent=eng),
        create_team(org.pk, name="Apps", parent=eng),
        create_team(org.pk, name="Sales"),
    ]


def add_usage(org, teams, *, prefix: str, members: int, days: int) -> list:
    """`members` more Cursor members with `days` days of usage ending TODAY, each in a team
    (one in four in none), half of them on Copilot and a third on Claude Code."""
    start = TODAY - timedelta(days=days - 1)
    roster = []
    for i in range(members):
        member = CursorMemberFactory(
            organization=org, email=f"{prefix}{i}@acme.test", first_seen=start, last_seen=TODAY
        )
        roster.append(member)
        SpendSnapshotFactory(organization=org, member=member, cycle_start=datetime(2026, 11, 1, tzinfo=UTC))
        for d in range(days):
            if (i + d) % 4 == 3:
                continue
            day = start + timedelta(days=d)
            DailyUsageFactory(organization=org, member=member, day=day, agent_requests=1 + (i + d) % 5)
            UsageEventFactory(
                organization=org,
                member=member,
                timestamp=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                model=("gpt-5", "claude-4.5-sonnet")[(i + d) % 2],
            )
    refresh_after_sync(org.pk, Tool.CURSOR, start, TODAY)
    for i, member in enumerate(roster):
        member.refresh_from_db()
        person = Person.objects.get(pk=member.person_id)
        if i % 4:
            add_membership(person, teams[i % len(teams)], start=start)
        if i % 2 == 0:
            login = f"gh-{prefix}{i}"
            Person.objects.filter(pk=person.pk).update(github_login=login)
            CopilotSeat.objects.create(organization=org, person=person, login=login, synced_at=NOW)
            CopilotUserDay.objects.bulk_create(
                CopilotUserDay(
                    organization=org,
                    person=person,
                    login=login,
                    day=start + timedelta(days=d),
                    interactions=2,
                    generations=3,
                    acceptances=1,
                    loc_added=5,
                    ai_credits_used=Decimal("1.5"),
                )
                for d in range(0, days, 2)
            )
        if i % 3 == 0:
            ClaudeCodeUser.objects.create(
                organization=org, person=person, user_id=f"u-{prefix}{i}", email=member.email, synced_at=NOW
            )
            ClaudeCodeActorDay.objects.bulk_create(
                ClaudeCodeActorDay(
                    organization=org,
                    source="console",
                    person=person,
                    day=start + timedelta(days=d),
                    actor_type="user_actor",
                    actor_key=f"user:{member.email}",
                    email=member.email,
                    sessions=1,
                    lines_added=10,
                    actions_accepted=2,
                )
                for d in range(0, days, 3)
            )
    refresh_after_sync(org.pk, Tool.COPILOT, start, TODAY)
    refresh_after_sync(org.pk, Tool.CLAUDE_CODE, start, TODAY)
    refresh_team_days(org.pk)
    return roster


def cold_queries(client, url: str) -> int:
    cache.clear()  # the first view after a sync: nothing cached
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


@pytest.fixture
def frozen_clock():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def test_every_page_costs_the_same_queries_with_three_times_the_data(
    org, other_org, teams, admin_user, admin_client, frozen_clock
):
    mine = CursorMemberFactory(organization=org, email=admin_user.email, first_seen=TODAY - timedelta(days=9))
    roster = add_usage(org, teams, prefix="a", members=4, days=10)
    mine.refresh_from_db()  # linked to a person by the refresh: My usage compares with their teams
    add_membership(Person.objects.get(pk=mine.person_id), teams[0], start=TODAY - timedelta(days=200))
    add_usage(other_org, [create_team(other_org.pk, name="Elsewhere")], prefix="z", members=3, days=10)
    admin_client.get("/ai-analytics/sync-status.json")  # the session's first request stores its org
    urls = [url.format(member=roster[1].pk) for url in PAGES]
    small = {url: cold_queries(admin_client, url) for url in urls}

    add_usage(org, teams, prefix="b", members=8, days=30)  # 12 members (3N), 30 days (3D)
    large = {url: cold_queries(admin_client, url) for url in urls}

    assert large == small
    over = {url: n for url, n in large.items() if n > PAGE_BUDGET}
    assert not over, f"over the {PAGE_BUDGET}-query budget: {over}"
