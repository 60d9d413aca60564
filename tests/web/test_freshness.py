"""Freshness next to the date range: data through per tool, the last successful sync ("14 min
ago"), the next scheduled sync from the beat schedule, and the embedded mode that has none.
The clock is pinned (`django.utils.timezone.now`)."""

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from celery.schedules import crontab
from django.test import override_settings

from analytics import freshness as rules
from analytics.models import Tool, ToolOrgDay
from integrations.freshness import ago, next_run, tool_freshness
from integrations.models import Connection, Provider

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 53, 10, tzinfo=UTC)
TODAY = NOW.date()
SCHEDULED = override_settings(REDIS_URL="redis://127.0.0.1:6379/9", CELERY_TASK_ALWAYS_EAGER=False)


def connect(org, provider, *, synced_minutes_ago=None, status=Connection.Status.HEALTHY, config=None):
    conn = Connection(organization=org, provider=provider, status=status, config=config or {})
    conn.set_api_key("key_test_0123456789abcd")
    if synced_minutes_ago is not None:
        conn.last_synced_at = NOW - timedelta(minutes=synced_minutes_ago)
    conn.save()
    return conn


def org_day(org, tool, day):
    ToolOrgDay.objects.create(organization=org, tool=tool, day=day, active_people=1, people=1)


@pytest.fixture
def clock():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield NOW


@pytest.fixture
def tools(org, other_org):
    connect(org, Provider.CURSOR, synced_minutes_ago=14)
    connect(org, Provider.COPILOT, synced_minutes_ago=3 * 60 + 5)
    for ago_days in (1, 2, 5):
        org_day(org, Tool.CURSOR, TODAY - timedelta(days=ago_days))
    org_day(org, Tool.CURSOR, TODAY)  # today's partial day: not "complete"
    org_day(org, Tool.COPILOT, TODAY - timedelta(days=3))
    # Another organization's newer data and sync must not leak into Acme's line.
    connect(other_org, Provider.CURSOR, synced_minutes_ago=1)
    connect(other_org, Provider.CLAUDE_CODE, synced_minutes_ago=1)
    org_day(other_org, Tool.COPILOT, TODAY - timedelta(days=1))


# --- the rules ---------------------------------------------------------------------------


def test_data_through_is_the_last_complete_day():
    assert rules.data_through(None, TODAY) is None
    assert rules.data_through(TODAY, TODAY) == TODAY - timedelta(days=1)
    assert rules.data_through(TODAY - timedelta(days=4), TODAY) == TODAY - timedelta(days=4)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (NOW - timedelta(seconds=20), "just now"),
        (NOW - timedelta(minutes=14, seconds=59), "14 min ago"),
        (NOW - timedelta(hours=3, minutes=5), "3 h ago"),
        (NOW - timedelta(days=3), "3 days ago"),
        (None, "never"),
    ],
)
def test_ago(moment, text):
    assert ago(moment, NOW) == text


def test_next_run_follows_the_beat_schedule():
    assert next_run("integrations.tasks.enqueue_hourly_syncs", NOW) == NOW.replace(
        minute=7, second=0
    ) + timedelta(hours=1)
    assert next_run("integrations.tasks.enqueue_hourly_copilot_syncs", NOW) == NOW.replace(
        minute=37, second=0
    ) + (timedelta(hours=1))
    assert next_run("integrations.tasks.enqueue_hourly_claude_code_syncs", NOW) == NOW.replace(
        minute=22, second=0
    ) + timedelta(hours=1)
    assert next_run("no.such.task", NOW) is None


def test_next_run_of_a_weekly_crontab():
    schedule = {"weekly": {"task": "t", "schedule": crontab(minute=0, hour=7, day_of_week="mon")}}
    with override_settings(CELERY_BEAT_SCHEDULE=schedule):
        # 30 Nov 2026 is a Monday, 12:53: the next Monday 07:00 is 7 Dec.
        assert next_run("t", NOW) == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
        assert next_run("t", datetime(2026, 11, 30, 6, 59, tzinfo=UTC)) == datetime(
            2026, 11, 30, 7, 0, tzinfo=UTC
        )


# --- the selector --------------------------------------------------------------------------


def test_each_connected_tool_in_one_query(org, tools, django_assert_num_queries):
    with SCHEDULED, django_assert_num_queries(1):
        fresh = tool_freshness(org, now=NOW)
    by_tool = {t.tool: t for t in fresh.tools}
    assert list(by_tool) == ["cursor", "copilot"]  # Claude Code is another organization's
    cursor, copilot = by_tool["cursor"], by_tool["copilot"]
    assert cursor.data_through == TODAY - timedelta(days=1)  # today is under way
    assert copilot.data_through == TODAY - timedelta(days=3)  # not the other org's newer day
    assert cursor.last_synced_ago == "14 min ago" and copilot.last_synced_ago == "3 h ago"
    assert cursor.next_sync_at == datetime(2026, 11, 30, 13, 7, tzinfo=UTC)
    assert cursor.next_sync_text == "Next sync 13:07 UTC (in 13 min)"
    assert copilot.next_sync_at == datetime(2026, 11, 30, 13, 37, tzinfo=UTC)
    assert fresh.scheduled


def test_the_embedded_mode_claims_no_schedule(org, tools):
    with override_settings(REDIS_URL="", CELERY_TASK_ALWAYS_EAGER=True):
        fresh = tool_freshness(org, now=NOW)
    assert not fresh.scheduled
    for entry in fresh.tools:
        assert entry.next_sync_at is None
        assert entry.next_sync_text.startswith("No scheduled sync in this mode: run python manage.py sync_")
        assert f"--org {org.slug}" in entry.command
        assert "hour" not in entry.next_sync_text


def test_a_rejected_key_has_no_next_sync(org):
    connect(org, Provider.CURSOR, synced_minutes_ago=90, status=Connection.Status.KEY_REJECTED)
    with SCHEDULED:
        (cursor,) = tool_freshness(org, now=NOW).tools
    assert cursor.paused and cursor.next_sync_at is None and "paused" in cursor.next_sync_text


# --- on the pages --------------------------------------------------------------------------


def freshness_line(html: str, tool: str) -> str:
    import re
    from html import unescape

    match = re.search(r'<li data-freshness-tool="' + tool + r'">(.*?)</li>', html, re.S)
    assert match, f"no freshness line for {tool}"
    return " ".join(unescape(re.sub(r"<[^>]+>", "", match.group(1))).split())


@pytest.mark.parametrize(
    "url", ["/ai-analytics/", "/ai-analytics/?tool=all", "/ai-analytics/tools/", "/ai-analytics/teams/"]
)
def test_every_analytics_page_shows_it_next_to_the_range(org, tools, clock, member_client, url):
    with SCHEDULED:
        html = member_client.get(url).content.decode()
    line = freshness_line(html, "cursor")
    assert line == (
        "Cursor: Data through 29 Nov 2026 · last sync 14 min ago · next sync 13:07 UTC (in 13 min)"
        " · provisional from 28 Nov"
    )
    assert freshness_line(html, "copilot").startswith(
        "GitHub Copilot: Data through 27 Nov 2026 · last sync 3 h ago"
    )
    assert 'data-freshness-tool="claude_code"' not in html


def test_the_spend_review_and_my_usage_show_it(org, tools, clock, admin_client, admin_user):
    from analytics.models import CursorMember

    CursorMember.objects.create(organization=org, email=admin_user.email, name="Admin")
    with SCHEDULED:
        for url in ("/ai-analytics/spend/", "/ai-analytics/me/"):
            html = admin_client.get(url).content.decode()
            assert "Data through 29 Nov 2026" in freshness_line(html, "cursor"), url


def test_the_embedded_dashboard_does_not_claim_hourly_syncs(org, tools, clock, member_client):
    with override_settings(REDIS_URL="", CELERY_TASK_ALWAYS_EAGER=True):
        html = member_client.get("/ai-analytics/").content.decode()
    line = freshness_line(html, "cursor")
    assert f"no scheduled sync in this mode: run python manage.py sync_cursor --org {org.slug} ·" in line
    assert "every hour" not in html


def test_the_connect_empty_state_follows_the_mode(org, member_client, clock):
    with override_settings(REDIS_URL="", CELERY_TASK_ALWAYS_EAGER=True):
        embedded = member_client.get("/ai-analytics/").content.decode()
    with SCHEDULED:
        scheduled = member_client.get("/ai-analytics/").content.decode()
    assert "every hour" not in embedded and "no scheduled sync runs" in embedded
    assert "keeps it up to date every hour" in scheduled
    assert "up to 24 hours" in embedded


def test_another_organization_sees_only_its_own_tools(org, tools, clock, outsider_client):
    html = outsider_client.get("/ai-analytics/tools/").content.decode()
    assert "last sync 1 min ago" in freshness_line(html, "cursor")
    assert "Data through" not in freshness_line(html, "cursor")  # Globex has no Cursor facts
    assert 'data-freshness-tool="copilot"' not in html  # Acme's Copilot


def test_copilot_window_matches_its_sync():
    from integrations.copilot.sync import FRESH_DAYS

    assert rules.COPILOT_SETTLE_DAYS == FRESH_DAYS


def test_provisional_from_each_tools_window():
    assert rules.provisional_from("cursor", TODAY) == TODAY - timedelta(days=2)
    assert rules.provisional_from("copilot", TODAY) == TODAY - timedelta(days=4)
    assert rules.provisional_from("claude_code", TODAY) == TODAY - timedelta(days=2)
    assert rules.provisional_from("claude_code", TODAY, source="enterprise") == TODAY - timedelta(days=3)
    # A stalled sync: the days it last fetched stay provisional.
    stalled = date(2026, 11, 20)
    assert rules.provisional_from("cursor", TODAY, last_sync_day=stalled) == date(2026, 11, 18)
    with override_settings(CURSOR_SYNC_LOOKBACK_DAYS=5):
        assert rules.provisional_days("cursor", TODAY - timedelta(days=30), TODAY, TODAY) == [
            TODAY - timedelta(days=n) for n in range(5, -1, -1)
        ]


@pytest.mark.parametrize(
    ("provider", "url", "verb"),
    [
        (Provider.CURSOR, "/settings/integrations/cursor/", "Syncing"),
        (Provider.COPILOT, "/settings/integrations/copilot/", "Checking"),
        (Provider.CLAUDE_CODE, "/settings/integrations/claude-code/", "Checking"),
    ],
)
def test_connection_pages_claim_hourly_syncs_only_when_a_beat_runs(
    org, clock, owner_client, provider, url, verb
):
    connect(org, provider, synced_minutes_ago=14)
    with override_settings(REDIS_URL="", CELERY_TASK_ALWAYS_EAGER=True):
        embedded = owner_client.get(url).content.decode()
    with SCHEDULED:
        scheduled = owner_client.get(url).content.decode()
    assert "every hour" not in embedded and "No scheduled sync in this mode" in embedded
    assert f"{verb} every hour; the last sync succeeded." in scheduled
