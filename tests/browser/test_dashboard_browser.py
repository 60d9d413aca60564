"""The dashboard in headless Chromium: charts render, no console errors, and a member sees
no per-member spend."""

import pytest

from analytics.models import CursorMember, SpendSnapshot
from koalr.accounts.models import Membership
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory
from tests.fixtures.analytics_data import seed_usage
from tests.fixtures.browser import assert_no_csp_violations, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ["fig-dau", "fig-requests", "fig-model-mix", "fig-model-trend", "fig-spend", "fig-lines"]


@pytest.fixture
def acme_live():
    org = OrganizationFactory(name="Acme", slug="acme")
    admin = MembershipFactory(
        organization=org, role=Membership.Role.ADMIN, user__email="admin@acme.test"
    ).user
    member = MembershipFactory(
        organization=org, role=Membership.Role.MEMBER, user__email="member@acme.test"
    ).user
    roster = seed_usage(org, members=8, days=40, seed=21)
    return org, admin, member, roster


def assert_charts_drawn(page):
    for chart in CHARTS:
        # plotly.js adds .js-plotly-plot and an SVG with the traces once drawn.
        locator = page.locator(f'[data-figure="{chart}"].js-plotly-plot .main-svg')
        assert locator.count() >= 1, f"{chart} not drawn"
    # Five request kinds, plus the legend's "Provisional (may still change)" entry (a bar
    # trace without data, web/charts.py::mark_provisional): the range ends today.
    assert page.locator('[data-figure="fig-requests"] .barlayer .trace').count() == 5 + 1


def test_admin_sees_charts_and_member_table(live_server, browser_page, acme_live):
    _, admin, _, roster = acme_live
    page = browser_page
    log_in(page, live_server.url, admin.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/ai-analytics/")
    page.wait_for_selector('[data-figure="fig-lines"] .main-svg')
    assert_charts_drawn(page)
    assert page.locator("#members table tbody tr").count() == len(roster)
    assert page.get_by_role("link", name="Export CSV").count() == 1
    screenshot(page, "dashboard-admin")

    page.goto(f"{live_server.url}/ai-analytics/spend/")
    page.wait_for_selector('[data-figure="fig-cycle-spend"] .main-svg')
    # Client-side sorting of the model table.
    table = page.locator("#models-title + .table-wrap table")
    table.locator(".sort-btn", has_text="Requests").click()  # not the column's info control
    assert table.locator("th").nth(1).get_attribute("aria-sort") == "ascending"
    values = [int(v.replace(",", "")) for v in table.locator("tbody td:nth-child(2)").all_inner_texts()]
    assert values == sorted(values)
    screenshot(page, "spend-review-admin")
    assert page.errors == []
    assert_no_csp_violations(page)


def test_member_sees_charts_but_no_per_member_spend(live_server, browser_page, acme_live):
    org, _, member, roster = acme_live
    page = browser_page
    log_in(page, live_server.url, member.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/ai-analytics/?range=90")
    page.wait_for_selector('[data-figure="fig-lines"] .main-svg')
    assert_charts_drawn(page)
    assert page.locator("#members").count() == 0
    content = page.content()
    for other in CursorMember.objects.filter(organization=org):
        assert other.email not in content
    for snap in SpendSnapshot.objects.filter(organization=org):
        if snap.overall_spend_cents:
            assert f"${snap.overall_spend_cents / 100:,.2f}" not in content
    screenshot(page, "dashboard-member")
    assert page.errors == []
    assert_no_csp_violations(page)

    response = page.goto(f"{live_server.url}/ai-analytics/spend/")
    assert response.status == 403
