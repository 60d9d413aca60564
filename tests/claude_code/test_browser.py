"""Connect Claude Code in the UI against the Claude Code simulator (headless Chromium), with
Cursor and Copilot data beside it, then see three tools on the dashboard and the Tools page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings as django_settings
from django.test import Client

from analytics.models import ClaudeCodeActorDay, Tool, ToolDay, ToolOrgDay
from integrations.claude_code.options import ClaudeCodeSyncOptions
from integrations.models import Connection, Provider
from people.models import Person
from tests.fixtures.analytics_data import rebuild_from_facts, seed_usage

pytestmark = [pytest.mark.browser]

SIM_NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


@pytest.fixture
def claude_sim():
    from simulators.claude_code import ClaudeCodeSimulator

    sim = ClaudeCodeSimulator(now=SIM_NOW, users=10, days=20, seed=2, rate_limits=False)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def tab(chromium, live_server, admin_user):
    context = chromium.new_context(viewport={"width": 1360, "height": 900})
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    client = Client()
    client.force_login(admin_user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


@pytest.fixture(autouse=True)
def fixed_clock_and_fast_sync(settings, monkeypatch):
    settings.CLAUDE_CODE_BACKFILL_DAYS = 10
    settings.CLAUDE_CODE_SYNC_OPTIONS = ClaudeCodeSyncOptions(sleep=lambda s: None, timeout=10.0)
    monkeypatch.setattr("django.utils.timezone.now", lambda: SIM_NOW)
    monkeypatch.setattr("web.tools_views._today", lambda: SIM_NOW.date())
    monkeypatch.setattr("web.views._today", lambda: SIM_NOW.date())


def test_connect_claude_code_in_the_ui_and_see_three_tools(tab, live_server, org, claude_sim, settings):
    seed_usage(org, end=SIM_NOW.date(), days=10)  # Cursor's side
    someone = Person.objects.filter(organization=org).first() or Person.objects.create(
        organization=org, primary_email="gh@x.io"
    )
    # Copilot's side: one active person today (its own sync is tested in tests/copilot/).
    ToolDay.objects.create(
        organization=org, tool=Tool.COPILOT, person=someone, day=SIM_NOW.date(), active=True
    )
    ToolOrgDay.objects.create(
        organization=org, tool=Tool.COPILOT, day=SIM_NOW.date(), active_people=1, people=1
    )
    rebuild_from_facts(org)  # the fact was written by hand: derive what a refresh would

    tab.goto(f"{live_server.url}/settings/integrations/")
    tab.click("#provider-claude_code >> text=Connect")
    assert "Only the organization's Primary Owner can create it" in tab.inner_text("main")
    tab.check('input[name="source"][value="console"]')
    tab.fill('input[name="api_key"]', claude_sim.admin_key)
    settings.CLAUDE_CODE_API_BASE_URL = claude_sim.url  # the form has no base-URL field
    tab.click("form[novalidate] button.btn-primary")
    tab.wait_for_selector("text=Claude Code is connected", timeout=30_000)
    assert tab.url.endswith("/settings/integrations/claude-code/")
    assert claude_sim.admin_key not in tab.content()
    assert Connection.objects.filter(organization=org, provider=Provider.CLAUDE_CODE).exists()
    assert ClaudeCodeActorDay.objects.filter(organization=org).exists()  # the backfill ran (eager Celery)
    tab.reload()
    assert "Known gap" in tab.inner_text("main")

    tab.goto(f"{live_server.url}/ai-analytics/?tool=all&range=7")
    tab.wait_for_selector('[data-figure="fig-tool-dau"] .main-svg', timeout=15_000)
    for tool in ("cursor", "copilot", "claude_code"):
        active = tab.inner_text(f'.stat[data-tool="{tool}"] [data-field="active"]')
        assert int(active.split()[0]) > 0, tool
    legend = tab.inner_text('[data-figure="fig-tool-dau"]')
    assert "Cursor" in legend and "GitHub Copilot" in legend and "Claude Code" in legend

    tab.goto(f"{live_server.url}/ai-analytics/tools/?range=7")
    rows = tab.locator("#tool-table tbody tr")
    assert {rows.nth(i).get_attribute("data-tool") for i in range(rows.count())} == {
        "cursor",
        "copilot",
        "claude_code",
    }
    assert "Commits by Claude Code" in tab.inner_text("#claude-code")
    assert tab.errors == []
