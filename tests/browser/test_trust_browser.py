"""Info controls and provisional days in headless Chromium: the control opens and closes with
the mouse and with the keyboard (Tab to it, Enter opens, Escape closes, focus back on the
button); the dashboard's provisional days are drawn differently, and docs/provisional-days.png
is that screenshot (written there with KOALR_DOCS_SCREENSHOTS=1, else to artifacts/)."""

import dataclasses
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics import metrics
from analytics.metrics import Metric
from integrations.models import Connection, Provider
from koalr.accounts.models import Membership
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory
from tests.fixtures.analytics_data import seed_usage
from tests.fixtures.browser import SCREENSHOTS, assert_no_csp_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"
REQUESTS_METRIC = Metric(
    key="test.ai_requests",
    name="AI requests",
    definition="Requests people made to Cursor's AI: agent, chat, composer and Cmd-K.",
    formula="agent + chat + composer + Cmd-K requests",
    unit="count",
    sources={"cursor": "POST /teams/daily-usage-data"},
    caveats=("Tab completions are counted apart, as accepts.",),
)


@pytest.fixture
def dashboard(monkeypatch):
    """Acme with usage through today, a Cursor sync 14 minutes ago, and the headline cards
    and charts tied to a test entry of the registry (the real keys live on the declarations)."""
    from web.pages import usage

    metrics.register(REQUESTS_METRIC)
    monkeypatch.setattr(
        usage, "CARDS", tuple(dataclasses.replace(c, metric=REQUESTS_METRIC.key) for c in usage.CARDS)
    )
    monkeypatch.setattr(
        usage, "CHARTS", tuple(dataclasses.replace(c, metric=REQUESTS_METRIC.key) for c in usage.CHARTS)
    )
    org = OrganizationFactory(name="Acme", slug="acme")
    admin = MembershipFactory(
        organization=org, role=Membership.Role.ADMIN, user__email="admin@acme.test"
    ).user
    seed_usage(org, members=8, days=30, seed=21)
    conn = Connection(organization=org, provider=Provider.CURSOR, status=Connection.Status.HEALTHY)
    conn.set_api_key("key_test_0123456789abcd")
    conn.last_synced_at = datetime.now(UTC) - timedelta(minutes=14)
    conn.save()
    yield org, admin
    metrics._REGISTRY.pop(REQUESTS_METRIC.key, None)


def expanded(locator) -> str:
    return locator.get_attribute("aria-expanded")


def test_info_control_with_mouse_and_keyboard(live_server, browser_page, dashboard):
    _, admin = dashboard
    page = browser_page
    log_in(page, live_server.url, admin.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/ai-analytics/?range=7")
    button = page.get_by_role("button", name="About AI requests").first
    panel = page.locator(f"#{button.get_attribute('aria-controls')}")
    assert expanded(button) == "false" and not panel.is_visible()

    # Mouse: click opens, a second click closes, a click outside closes.
    button.click()
    assert expanded(button) == "true" and panel.is_visible()
    assert "agent + chat + composer + Cmd-K requests" in panel.inner_text()
    button.click()
    assert expanded(button) == "false" and not panel.is_visible()
    button.click()
    page.locator("h1").click()
    assert expanded(button) == "false" and not panel.is_visible()

    # Keyboard: Tab to the control from the control before it, Enter opens, Escape closes.
    page.locator("body").click()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-metric-info')"):
            break
    else:
        pytest.fail("Tab never reached an info control")
    focused_id = page.evaluate("document.activeElement.getAttribute('aria-controls')")
    focused = page.locator(f"[aria-controls='{focused_id}']")
    page.keyboard.press("Enter")
    assert expanded(focused) == "true" and page.locator(f"#{focused_id}").is_visible()
    page.keyboard.press("Escape")
    assert expanded(focused) == "false" and not page.locator(f"#{focused_id}").is_visible()
    assert page.evaluate("document.activeElement.getAttribute('aria-controls')") == focused_id
    page.keyboard.press("Space")  # Space toggles it too
    assert expanded(focused) == "true"
    page.keyboard.press("Escape")

    # Touch-sized viewport: a tap (click) opens it without any hover.
    page.set_viewport_size({"width": 390, "height": 844})
    button.scroll_into_view_if_needed()
    button.click()
    box = panel.bounding_box()
    assert panel.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.errors == []
    assert_no_csp_violations(page)


def test_provisional_days_are_drawn_differently(live_server, browser_page, dashboard):
    _, admin = dashboard
    page = browser_page
    log_in(page, live_server.url, admin.email, DEFAULT_PASSWORD)
    today = datetime.now(UTC).date()
    page.goto(f"{live_server.url}/ai-analytics/?start={today - timedelta(days=13)}&end={today}")
    page.wait_for_selector('[data-figure="fig-requests"] .main-svg')
    page.wait_for_selector('[data-figure="fig-dau"] .main-svg')
    # Plotly draws a pattern as an SVG <pattern> fill on the hatched bars, and the legend
    # carries the entry.
    assert page.locator('[data-figure="fig-requests"] defs pattern').count() >= 1
    legend = page.locator('[data-figure="fig-requests"] .legend').text_content()
    assert "Provisional (may still change)" in legend
    assert page.locator('[data-figure="fig-dau"] .legend').text_content().count("Provisional") == 1
    freshness = page.locator("#freshness").inner_text()
    assert "Data through" in freshness and "14 min ago" in freshness
    page.mouse.move(0, 0)
    top = page.locator(".filters").bounding_box()
    charts = page.locator(".chart-grid .chart-card")
    bottom = charts.nth(3).bounding_box()  # the first two rows of charts
    target = DOCS if os.environ.get("KOALR_DOCS_SCREENSHOTS") == "1" else SCREENSHOTS
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(target / "provisional-days.png"),
        full_page=True,
        clip={
            "x": 0,
            "y": top["y"] - 4,
            "width": 1360,
            "height": bottom["y"] + bottom["height"] - top["y"] + 12,
        },
    )
    assert page.errors == []
    assert_no_csp_violations(page)
