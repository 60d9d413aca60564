"""A figure the plan does not provide says so ("Not available on your plan") on the page and
is null in the API, never 0: Cursor's AI Code Tracking and Analytics API on a Team plan."""

from datetime import UTC, datetime, timedelta

import pytest

from analytics.models import AiCommit, CursorMember, UsageEvent
from integrations import tasks
from integrations.cursor import sync
from integrations.cursor.ratelimit import NoRateLimit
from integrations.cursor.sync import SyncOptions
from integrations.models import Connection

from .conftest import END, PAGE_RANGE, RANGE

pytestmark = pytest.mark.django_db
ORG = "/api/v1/orgs/acme/"
DASHBOARD = "/ai-analytics/"


def connect(org, *, enterprise: bool) -> Connection:
    conn = Connection(organization=org)
    conn.set_api_key("key_live_plan_0000")
    conn.capabilities = {"admin": True, "analytics": enterprise, "ai_code": enterprise}
    conn.save()
    return conn


def test_a_team_plan_says_not_available_on_the_page_and_null_in_the_api(tree, org, page, api):
    connect(org, enterprise=False)
    html = page("member").get(DASHBOARD, PAGE_RANGE).content.decode()
    assert 'data-unavailable="ai_share"' in html and 'data-unavailable="agent_tab_lines"' in html
    assert "Not available on your plan: AI Code Tracking needs Cursor&#x27;s Enterprise plan." in html
    assert 'data-figure="fig-ai-share"' not in html  # no chart of zeros
    body = api("member").get(ORG + "usage/ai-code", RANGE).json()
    assert body["available"] is False and body["reason"].startswith("Not available on your plan")
    assert body["totals"] == dict.fromkeys(body["totals"]) and set(body["totals"]) >= {"ai_share", "commits"}
    assert body["days"] == []
    rows = api("member").get(ORG + "analytics/team", RANGE).json()
    assert rows["available"] is False and rows["count"] == 0 and "Analytics API" in rows["reason"]


def test_enterprise_draws_the_figures_and_the_api_returns_them(tree, org, page, api):
    connect(org, enterprise=True)
    dev0 = CursorMember.objects.get(organization=org, email="dev0@acme.test")
    for i, (tab, agent, total) in enumerate([(10, 30, 100), (5, 0, 50)]):
        AiCommit.objects.create(
            organization=org, commit_hash=f"c{i}", member=dev0, email=dev0.email, total_lines_added=total,
            tab_lines_added=tab, composer_lines_added=agent, non_ai_lines_added=total - tab - agent,
            ingested_at=datetime(2026, 3, 20, tzinfo=UTC), day=END - timedelta(days=i),
        )  # fmt: skip
    html = page("member").get(DASHBOARD, PAGE_RANGE).content.decode()
    assert 'data-figure="fig-ai-share"' in html and "data-unavailable" not in html
    body = api("member").get(ORG + "usage/ai-code", RANGE).json()
    assert body["available"] is True and body["reason"] is None
    assert body["totals"]["commits"] == 2 and body["totals"]["ai_share"] == pytest.approx(45 / 150)
    assert [d["date"] for d in body["days"]] == [(END - timedelta(days=1)).isoformat(), END.isoformat()]
    assert body["days"][1]["ai_share"] == pytest.approx(0.4)


def test_not_connected_is_not_a_plan_gap(tree, page, api):
    """Without a Cursor connection nothing is known of the plan: no claim either way."""
    html = page("member").get(DASHBOARD, PAGE_RANGE).content.decode()
    assert "data-unavailable" not in html
    assert api("member").get(ORG + "usage/ai-code", RANGE).json()["available"] is True


@pytest.fixture
def _sync_in_the_foreground(settings, monkeypatch):
    settings.CURSOR_SYNC_OPTIONS = SyncOptions(sleep=lambda s: None, limiter=NoRateLimit(), timeout=5.0)
    monkeypatch.setattr(tasks.sync_connection, "apply_async", lambda *args, **kwargs: None)


def test_a_team_plan_synced_from_the_simulator(
    org, admin_user, make_sim_team, cursor_sim, monkeypatch, _sync_in_the_foreground
):
    """The real path: a Team-plan key synced over loopback; the sync marks the Enterprise
    streams unavailable and the pages and the API say so (dates from the stored rows)."""
    from integrations import services

    team = make_sim_team(plan="team", seats=4, days=6, seed=3)
    team.rate_limits = False
    conn = Connection(organization=org, base_url=cursor_sim.base_url)
    conn.set_api_key(team.api_key)
    conn.save()  # capabilities unknown: only the sync learns what the plan lacks
    run = sync.run_sync(services.trigger_sync(conn).pk)
    assert run.progress["ai_code"]["status"] == "unavailable", run.message
    last = UsageEvent.objects.filter(organization=org).latest("day").day
    monkeypatch.setattr("web.views._today", lambda: last)
    query = {"start": (last - timedelta(days=5)).isoformat(), "end": last.isoformat()}
    c = page_client(admin_user)
    html = c.get(DASHBOARD, {"range": "custom", **query}).content.decode()
    assert 'data-unavailable="ai_share"' in html and "Not available on your plan" in html
    body = c.get(ORG + "usage/ai-code", query).json()
    assert body["available"] is False and body["totals"]["ai_share"] is None


def page_client(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c
