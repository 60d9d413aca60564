"""Finding 5 in a real browser: every kind of page works under the Content-Security-Policy.

Chromium reports each refused script, style or connection on the console; `browser_page`
collects them. The last test proves the collection sees a violation when there is one.
"""

import pytest

from koalr.accounts.models import Membership
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, OrganizationFactory
from tests.fixtures.analytics_data import seed_usage
from tests.fixtures.browser import assert_no_csp_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    ("/ai-analytics/", '[data-figure="fig-lines"] .main-svg'),
    ("/ai-analytics/spend/", '[data-figure="fig-cycle-spend"] .main-svg'),
    ("/ai-analytics/me/", "main"),
    ("/settings/integrations/", "main"),
    ("/settings/api-tokens/", "main"),
    ("/accounts/members/", "main"),
    ("/api/v1/docs/", ".swagger-ui .opblock"),
]


@pytest.fixture
def admin_live():
    org = OrganizationFactory(name="Acme", slug="acme")
    admin = MembershipFactory(
        organization=org, role=Membership.Role.ADMIN, user__email="admin@acme.test"
    ).user
    seed_usage(org, members=5, days=20, seed=3)
    return admin


def test_every_page_renders_without_a_csp_violation(live_server, browser_page, admin_live):
    page = browser_page
    for path in ["/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"]:
        response = page.goto(f"{live_server.url}{path}")
        policy = dict(d.strip().split(" ", 1) for d in response.headers["content-security-policy"].split(";"))
        assert policy["script-src"].startswith("'self'"), policy
        assert "unsafe" not in policy["script-src"], policy
    log_in(page, live_server.url, admin_live.email, DEFAULT_PASSWORD)
    for path, ready in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "content-security-policy" in response.headers, path
        page.wait_for_selector(ready, timeout=30_000)
    assert page.errors == []
    assert_no_csp_violations(page)


def test_an_injected_inline_script_is_refused_and_reported(live_server, browser_page, admin_live):
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    with pytest.raises(Exception):  # noqa: B017 - Playwright reports the refused tag as an error
        page.add_script_tag(content="window.__injected = true")
    assert page.evaluate("window.__injected === undefined")
    assert page.csp_violations, "the console showed no CSP violation"
