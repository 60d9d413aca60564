"""Connect GitHub Copilot in the UI against the Copilot simulator (headless Chromium), watch the
backfill, then see both tools on the dashboard's All view."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from analytics.models import CopilotUserDay
from integrations.copilot.options import CopilotSyncOptions
from integrations.models import Connection, Provider
from integrations.ratelimit import NoRateLimit
from tests.fixtures.analytics_data import seed_usage

from .conftest import SIM_NOW

pytestmark = [pytest.mark.browser]


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
    settings.COPILOT_RATE_LIMITS = False
    settings.COPILOT_BACKFILL_DAYS = 10
    settings.COPILOT_SYNC_OPTIONS = CopilotSyncOptions(
        sleep=lambda s: None, limiter=NoRateLimit(), timeout=10.0
    )
    monkeypatch.setattr("integrations.copilot.sync.today", lambda: SIM_NOW.date())
    monkeypatch.setattr("web.tools_views._today", lambda: SIM_NOW.date())
    monkeypatch.setattr("web.views._today", lambda: SIM_NOW.date())


def test_connect_copilot_in_the_ui_and_see_both_tools(tab, live_server, org, copilot_sim, sim_org, settings):
    seed_usage(org, end=SIM_NOW.date(), days=10)  # Cursor's side
    tab.goto(f"{live_server.url}/settings/integrations/")
    tab.click("#provider-copilot >> text=Connect")
    tab.check('input[name="scope"][value="org"]')
    tab.fill('input[name="slug"]', "acme")
    tab.fill('input[name="token"]', sim_org.token)
    # The form has no base-URL field: point the connection at the simulator as settings do.
    settings.COPILOT_API_BASE_URL = copilot_sim.url
    tab.click("main form button.btn-primary, form[novalidate] button.btn-primary")
    tab.wait_for_selector("text=GitHub Copilot is connected", timeout=30_000)
    assert tab.url.endswith("/settings/integrations/copilot/")
    assert sim_org.token not in tab.content()
    connection = Connection.objects.get(organization=org, provider=Provider.COPILOT)
    assert connection.status in (
        Connection.Status.HEALTHY,
        Connection.Status.SYNCING,
        Connection.Status.PENDING,
    )
    assert CopilotUserDay.objects.filter(organization=org).exists()  # the backfill ran (eager Celery)
    assert copilot_sim.tokens_seen_by_download_host() == set()

    tab.goto(f"{live_server.url}/ai-analytics/?tool=all&range=7")
    tab.wait_for_selector('[data-figure="fig-tool-dau"] .main-svg', timeout=15_000)
    cursor = tab.inner_text('.stat[data-tool="cursor"] [data-field="active"]')
    copilot = tab.inner_text('.stat[data-tool="copilot"] [data-field="active"]')
    assert int(cursor.split()[0]) > 0 and int(copilot.split()[0]) > 0
    legend = tab.inner_text('[data-figure="fig-tool-dau"]')
    assert "Cursor" in legend and "GitHub Copilot" in legend
    assert tab.errors == []
