"""The whole product in a real browser: sign up, connect Cursor, read the
dashboard, invite a member, and review spend as the admin.

Cursor is the project's simulator over loopback; the figures on the page are checked
against the simulator's own ground truth, not against our database.
"""

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from tests.fixtures.browser import assert_no_csp_violations, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN_EMAIL = "ada@journey.test"
ADMIN_PASSWORD = "journey-admin-pass-2026"  # noqa: S105
MEMBER_PASSWORD = "journey-member-pass-2026"  # noqa: S105


@pytest.fixture
def cursor_team(cursor_sim, make_sim_team, settings):
    """A simulated Enterprise team, and the app pointed at the simulator without pacing."""
    cursor_sim.rate_limits = False
    settings.CURSOR_RATE_LIMITS = False
    settings.CURSOR_API_BASE_URL = cursor_sim.base_url
    settings.CURSOR_BACKFILL_DAYS = 30
    return make_sim_team(seats=14, days=35, seed=7)


def _record_csp(page, msg):
    if "Content Security Policy" in msg.text:
        page.csp_violations.append(msg.text)


def stat_value(page, key: str) -> str:
    return page.inner_text(f'[data-stat="{key}"] .stat-value').strip()


def figure(page, element_id: str) -> dict:
    return page.evaluate(f"JSON.parse(document.getElementById('{element_id}').textContent)")


def test_sign_up_connect_read_invite_and_review_spend(live_server, browser_page, chromium, cursor_team):
    page, base = browser_page, live_server.url

    # 1. Sign up, confirm the address from the emailed link, log in: the organization and the
    #    owner role come with the confirmation.
    page.goto(f"{base}/accounts/signup/")
    page.fill('input[name="email"]', ADMIN_EMAIL)
    page.fill('input[name="first_name"]', "Ada")
    page.fill('input[name="last_name"]', "Lovelace")
    page.fill('input[name="password"]', ADMIN_PASSWORD)
    page.fill('input[name="organization_name"]', "Journey Labs")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/accounts/signup/sent/")
    assert "Check your email" in page.content()
    verify = re.search(r"https?://[^/]+(/accounts/verify/\S+/)", mail.outbox[-1].body).group(1)
    page.goto(f"{base}{verify}")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/accounts/login/**")
    log_in(page, base, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.wait_for_url(f"{base}/ai-analytics/**")
    assert "Connect Cursor" in page.content()
    mail.outbox.clear()

    # 2. Settings → Integrations → AI Tools → Connect, paste the simulator's key.
    page.goto(f"{base}/settings/integrations/")
    page.click("text=Connect")
    page.fill('input[name="api_key"]', cursor_team.api_key)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/settings/integrations/cursor/**")
    page.wait_for_selector("text=Healthy", timeout=60_000)
    assert cursor_team.api_key not in page.content()

    # 3. The dashboard's figures equal the simulator's ground truth for the same 30 days.
    page.goto(f"{base}/ai-analytics/?range=30")
    today = datetime.now(UTC).date()
    start = today - timedelta(days=29)
    rows = cursor_team.daily_rows(start, today)
    expected_requests = sum(
        r["agentRequests"] + r["chatRequests"] + r["composerRequests"] + r["cmdkUsages"] for r in rows
    )
    assert int(stat_value(page, "ai_requests").replace(",", "")) == expected_requests
    active_per_day = Counter(r["day"] for r in rows if r["isActive"])
    dau = figure(page, "fig-dau")["data"][0]
    assert dict(zip(dau["x"], dau["y"], strict=True)) == {
        (start + timedelta(days=i)).isoformat(): active_per_day.get(
            (start + timedelta(days=i)).isoformat(), 0
        )
        for i in range(30)
    }
    page.wait_for_selector('[data-figure="fig-dau"] .main-svg')  # Plotly drew it
    assert page.errors == []
    screenshot(page, "journey-dashboard")

    # 4. Invite a teammate; they accept from the emailed link and set a password.
    member_email = next(
        m["email"] for m in cursor_team.members() if m["role"] == "member" and not m["isRemoved"]
    )
    page.goto(f"{base}/accounts/members/")
    page.fill('input[name="email"]', member_email)
    page.select_option('select[name="role"]', "member")
    page.click("form.invite-form button[type=submit], form:has(input[name=email]) button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/invite/\S+/", mail.outbox[0].body).group(0)

    member_context = chromium.new_context()
    member_page = member_context.new_page()
    member_page.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), base))
    member_page.fill('input[name="password"]', MEMBER_PASSWORD)
    member_page.click("main form button[type=submit]")
    member_page.wait_for_url(f"{base}/ai-analytics/**")
    member_page.csp_violations = []
    member_page.on("console", lambda msg: _record_csp(member_page, msg))

    # 5. The member sees team aggregates, but no per-member rows or spend of anyone else.
    member_page.goto(f"{base}/ai-analytics/?range=30")
    assert int(stat_value(member_page, "ai_requests").replace(",", "")) == expected_requests
    html = member_page.content()
    others = [m["email"] for m in cursor_team.members() if m["email"] != member_email]
    assert not [email for email in others if email in html]
    assert "Export CSV" not in html
    assert member_page.goto(f"{base}/ai-analytics/spend/").status == 403
    assert_no_csp_violations(member_page)
    member_context.close()

    # 6. The admin reviews spend and downloads the CSV; it matches the simulator's spend.
    page.goto(f"{base}/ai-analytics/spend/")
    page.wait_for_selector('[data-figure="fig-cycle-spend"] .main-svg')
    screenshot(page, "journey-spend-review")
    with page.expect_download() as download_info:
        page.click("text=Export CSV")
    content = open(download_info.value.path(), encoding="utf-8").read()
    exported = list(csv.DictReader(io.StringIO(content)))
    spend = {r["email"]: r for r in cursor_team.spend_rows()}
    assert {r["Email"] for r in exported} >= {e for e, r in spend.items() if r["overallSpendCents"] > 0}
    assert page.errors == []
    assert_no_csp_violations(page)

    # 7. The API docs (Swagger UI) render under the same policy.
    page.goto(f"{base}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert_no_csp_violations(page)
