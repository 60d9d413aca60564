"""The /ai-analytics pages with the three personas: figures, privacy, filters, states."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.models import CursorMember, DailyUsage, SpendSnapshot, Tool, UsageEvent
from analytics.services import refresh_after_sync
from integrations.models import Connection, SyncRun
from tests.fixtures.analytics_data import CursorMemberFactory, DailyUsageFactory, UsageEventFactory

from .conftest import dollars, figure, stat_value, trace

pytestmark = pytest.mark.django_db


def today():
    return datetime.now(UTC).date()


def connect(org, status=Connection.Status.HEALTHY):
    conn = Connection(organization=org, status=status)
    conn.set_api_key("key_test_0123456789abcd")
    conn.save()
    return conn


# --- personas ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login(client):
    for url in ("/ai-analytics/", "/ai-analytics/me/", "/ai-analytics/spend/", "/ai-analytics/members.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_dashboard_for_admin_owner_member_and_outsider(
    acme, owner_client, admin_client, member_client, outsider_client
):
    emails = [m.email for m in acme]
    for c in (owner_client, admin_client):
        html = c.get("/ai-analytics/").content.decode()
        assert 'id="members-title"' in html
        assert all(email in html for email in emails)

    member_html = member_client.get("/ai-analytics/").content.decode()
    assert "Acme" in member_html
    assert 'id="members-title"' not in member_html
    assert "members.csv" not in member_html

    outsider = outsider_client.get("/ai-analytics/")
    assert outsider.status_code == 200
    html = outsider.content.decode()
    assert "Globex" in html
    assert not any(email in html for email in emails)
    assert all(m.email in html for m in CursorMember.objects.filter(organization__slug="globex"))


def without_info_panels(html: str) -> str:
    return re.sub(r'<span class="metric-info-panel".*?\n</span></span>', "", html, flags=re.S)


def test_member_never_receives_other_members_rows_or_spend(acme, member_client, member_user):
    # The member has their own Cursor usage too: it may appear on their own page only.
    mine = CursorMemberFactory(organization=acme[0].organization, email=member_user.email)
    UsageEventFactory(organization=mine.organization, member=mine, charged_cents=Decimal("777.00"))
    org = mine.organization
    refresh_after_sync(org.pk, Tool.CURSOR, today(), today())
    others = CursorMember.objects.filter(organization=org).exclude(pk=mine.pk)
    snapshots = SpendSnapshot.objects.filter(organization=org).exclude(member=mine)

    # The info controls' panels are the registry's fixed text (a caveat may quote "US$0.01"),
    # not figures: they are left out of what is searched for other people's amounts.
    bodies = [
        without_info_panels(member_client.get(url).content.decode())
        for url in ("/ai-analytics/", "/ai-analytics/?range=90&model=gpt-5", "/ai-analytics/me/")
    ] + [member_client.get("/ai-analytics/sync-status.json").content.decode()]
    for body in bodies:
        for other in others:
            assert other.email not in body
            assert other.name not in body
        for snap in snapshots:
            if snap.overall_spend_cents:
                assert dollars(snap.overall_spend_cents) not in body
        assert "cycle_spend_cents" not in body and "Spend cycle to date" not in body
    me = bodies[2]
    assert member_user.email in me and "$7.77" in me


@pytest.mark.parametrize(
    "url", ["/ai-analytics/spend/", "/ai-analytics/spend/export.csv", "/ai-analytics/members.csv"]
)
def test_admin_only_pages_and_exports(acme, url, admin_client, owner_client, member_client, outsider_client):
    emails = [m.email for m in acme]
    for c in (admin_client, owner_client):
        response = c.get(url)
        assert response.status_code == 200
        assert any(email in response.content.decode() for email in emails)
    denied = member_client.get(url)
    assert denied.status_code == 403
    assert not any(email in denied.content.decode() for email in emails)
    outsider = outsider_client.get(url)  # their own organization, never Acme's
    assert outsider.status_code == 200
    assert not any(email in outsider.content.decode() for email in emails)


def test_member_page_personas_and_other_org_ids(
    acme, admin_client, member_client, outsider_client, other_org
):
    member = acme[0]
    url = f"/ai-analytics/members/{member.pk}/"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert member.email in response.content.decode()
    assert member_client.get(url).status_code == 403
    assert outsider_client.get(url).status_code == 404
    globex_member = CursorMember.objects.filter(organization=other_org).first()
    assert admin_client.get(f"/ai-analytics/members/{globex_member.pk}/").status_code == 404
    assert admin_client.get("/ai-analytics/members/999999/").status_code == 404


# --- numbers on the page equal sums of the stored rows ----------------------------------


def test_headline_figures_equal_sums_of_stored_rows(acme, admin_client):
    org = acme[0].organization
    end = today()
    start = end - timedelta(days=6)
    html = admin_client.get("/ai-analytics/?range=7").content.decode()
    daily = DailyUsage.objects.filter(organization=org, day__range=(start, end))
    events = UsageEvent.objects.filter(organization=org, day__range=(start, end))
    requests = sum(d.agent_requests + d.chat_requests + d.composer_requests + d.cmdk_usages for d in daily)
    accepts, rejects = sum(d.total_accepts for d in daily), sum(d.total_rejects for d in daily)
    tabs_shown, tabs_accepted = (
        sum(d.total_tabs_shown for d in daily),
        sum(d.total_tabs_accepted for d in daily),
    )
    spend = sum((e.charged_cents for e in events), Decimal(0))
    active = {}
    for d in daily:
        if d.is_active:
            active.setdefault(d.day, set()).add(d.member_id)
    for e in events:
        active.setdefault(e.day, set()).add(e.member_id)

    assert stat_value(html, "ai_requests") == f"{requests:,}"
    assert stat_value(html, "acceptance_rate") == f"{accepts / (accepts + rejects) * 100:.1f}%"
    assert stat_value(html, "tab_acceptance_rate") == f"{tabs_accepted / tabs_shown * 100:.1f}%"
    assert stat_value(html, "accepted_lines") == f"{sum(d.accepted_lines_added for d in daily):,}"
    assert stat_value(html, "spend_cents") == dollars(spend)
    assert stat_value(html, "avg_dau") == f"{sum(len(s) for s in active.values()) / 7:,.1f}"
    users = len(set().union(*active.values()))
    assert stat_value(html, "active_share") == f"{users / len(acme) * 100:.1f}%"


def test_chart_figures_equal_sums_of_stored_rows(acme, member_client):
    org = acme[0].organization
    end = today()
    start = end - timedelta(days=29)
    html = member_client.get("/ai-analytics/").content.decode()
    requests = figure(html, "fig-requests")
    agent = trace(requests, "Agent")
    assert agent["x"][0] == start.isoformat() and agent["x"][-1] == end.isoformat()
    for day, value in zip(agent["x"], agent["y"], strict=True):
        stored = DailyUsage.objects.filter(organization=org, day=day)
        assert value == sum(d.agent_requests for d in stored)
    mix = figure(html, "fig-model-mix")["data"][0]
    events = UsageEvent.objects.filter(organization=org, day__range=(start, end))
    assert dict(zip(mix["labels"], mix["values"], strict=True)) == {
        model: events.filter(model=model).count() for model in set(events.values_list("model", flat=True))
    }
    spend = figure(html, "fig-spend")
    per_day = trace(spend, "Spend per day")
    assert sum(per_day["y"]) == pytest.approx(float(sum((e.charged_cents for e in events), Decimal(0)) / 100))
    # The cycle-to-date line ends at this cycle's charged usage so far.
    cycle_events = UsageEvent.objects.filter(organization=org, day__gte=end.replace(day=1), day__lte=end)
    assert trace(spend, "Cycle to date")["y"][-1] == pytest.approx(
        float(sum((e.charged_cents for e in cycle_events), Decimal(0)) / 100)
    )


def test_model_filter_narrows_spend_and_is_kept_in_links(acme, admin_client):
    org = acme[0].organization
    end = today()
    start = end - timedelta(days=29)
    html = admin_client.get("/ai-analytics/?model=gpt-5").content.decode()
    events = UsageEvent.objects.filter(organization=org, day__range=(start, end), model="gpt-5")
    assert stat_value(html, "spend_cents") == dollars(sum((e.charged_cents for e in events), Decimal(0)))
    assert '<option value="gpt-5" selected>' in html
    assert "range=7&amp;model=gpt-5" in html  # the presets keep the model
    assert "members.csv?range=30&amp;model=gpt-5" in html


def test_spend_review_figures(acme, admin_client):
    org = acme[0].organization
    html = admin_client.get("/ai-analytics/spend/").content.decode()
    snapshots = SpendSnapshot.objects.filter(organization=org)
    assert stat_value(html, "total") == dollars(sum((s.overall_spend_cents for s in snapshots), Decimal(0)))
    idle = CursorMember.objects.filter(organization=org, last_seen__isnull=True)
    assert stat_value(html, "idle") == str(idle.count())
    assert idle.first().email in html
    assert dollars(idle.count() * org.seat_price_cents) in html
    top = snapshots.select_related("member").order_by("-overall_spend_cents").first()
    assert top.member.email in html


# --- filters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2025-13-01&end=2025-12-01", "Dates must be given as YYYY-MM-DD"),
        ("start=yesterday&end=today", "Dates must be given as YYYY-MM-DD"),
        ("start=2025-06-10&end=2025-06-01", "The start date is after the end date"),
        ("range=custom&start=2099-01-01&end=2099-01-02", "The end date is in the future"),
        ("start=2020-01-01&end=2020-02-01", "not available"),
        ("range=42", "Unknown range"),
        ("range=custom", "Choose a start and an end date"),
    ],
)
def test_bad_ranges_fall_back_to_the_default_with_a_message(acme, admin_client, query, message):
    response = admin_client.get(f"/ai-analytics/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "showing the last 30 days" in html or "Choose a start" in html
    start = today() - timedelta(days=29)
    assert f'name="start" value="{start.isoformat()}"' in html


def test_custom_range_and_unknown_model(acme, admin_client):
    org = acme[0].organization
    start, end = today() - timedelta(days=12), today() - timedelta(days=3)
    response = admin_client.get(f"/ai-analytics/?range=30&start={start}&end={end}&model=no-such-model")
    html = response.content.decode()
    assert "No usage of the model “no-such-model” in this range" in html
    assert f"{start:%-d %b %Y} – {end:%-d %b %Y}" in html
    daily = DailyUsage.objects.filter(organization=org, day__range=(start, end))
    assert stat_value(html, "accepted_lines") == f"{sum(d.accepted_lines_added for d in daily):,}"
    assert "vs previous 10 days" in html


# --- empty and partial states -------------------------------------------------------------


def test_no_connection_and_no_data_calls_to_connect(org, admin_client, member_client):
    admin_html = admin_client.get("/ai-analytics/").content.decode()
    assert "Connect Cursor to see your team" in admin_html
    assert 'href="/settings/integrations/cursor/"' in admin_html
    member_html = member_client.get("/ai-analytics/").content.decode()
    assert "Ask an owner or admin of Acme to connect Cursor" in member_html
    assert 'class="btn btn-primary" href="/settings/integrations/cursor/"' not in member_html


def test_syncing_shows_progress(org, member_client):
    conn = connect(org, Connection.Status.SYNCING)
    SyncRun.objects.create(
        organization=org,
        connection=conn,
        status=SyncRun.Status.RUNNING,
        progress={"members": {"done": 1, "total": 1}, "daily_usage": {"done": 1, "total": 4}},
    )
    html = member_client.get("/ai-analytics/").content.decode()
    assert "Syncing your Cursor data" in html
    assert 'aria-valuenow="62"' in html and "width:62%" in html
    status = member_client.get("/ai-analytics/sync-status.json").json()
    assert status == {"status": "syncing", "syncing": True, "percent": 62}


def test_connected_without_usage_explains_the_delay(org, admin_client):
    connect(org)
    html = admin_client.get("/ai-analytics/").content.decode()
    assert "usage can take up to 24 hours to appear" in html
    assert "Still missing after 24 hours?" in html  # what to do then (integrations/_cursor_delay.html)
    assert stat_value(html, "ai_requests") == "0"


def test_rejected_key_banner_for_admins_only(acme, admin_client, member_client):
    connect(acme[0].organization, Connection.Status.KEY_REJECTED)
    assert "Cursor rejected the API key" in admin_client.get("/ai-analytics/").content.decode()
    assert "Cursor rejected the API key" not in member_client.get("/ai-analytics/").content.decode()


# --- My usage -------------------------------------------------------------------------


def test_my_usage_without_a_matching_cursor_member(acme, member_client, member_user):
    html = member_client.get("/ai-analytics/me/").content.decode()
    assert f"Your Cursor account ({member_user.email}) hasn" in html
    assert not any(m.email in html for m in acme)


def test_my_usage_matches_email_case_insensitively_and_shows_own_figures(acme, member_client, member_user):
    org = acme[0].organization
    mine = CursorMemberFactory(organization=org, email=member_user.email.upper())
    for offset in range(3):
        DailyUsageFactory(
            organization=org, member=mine, day=today() - timedelta(days=offset), agent_requests=offset + 2
        )
    refresh_after_sync(org.pk, Tool.CURSOR, today() - timedelta(days=2), today())
    html = member_client.get("/ai-analytics/me/?range=7").content.decode()
    assert stat_value(html, "ai_requests") == "9"  # 2 + 3 + 4, nobody else's
    assert stat_value(html, "active_days") == "3"
    assert trace(figure(html, "fig-requests"), "Agent")["y"][-3:] == [4, 3, 2]
    assert "fig-dau" not in html


# --- query counts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/ai-analytics/",
        "/ai-analytics/?range=90&model=gpt-5&sort=-spend_cents",
        "/ai-analytics/spend/",
        "/ai-analytics/members.csv",
        "/ai-analytics/spend/export.csv",
    ],
)
def test_admin_pages_cost_a_constant_number_of_queries(org, url, admin_client, django_assert_max_num_queries):
    from tests.fixtures.analytics_data import seed_usage

    seed_usage(org, members=60, days=45, seed=5)
    connect(org, Connection.Status.SYNCING)
    admin_client.get("/ai-analytics/me/")  # a session's first request also stores its active org
    # 20, plus the freshness line next to the range (1: every tool's connection and newest day).
    with django_assert_max_num_queries(21):
        assert admin_client.get(url).status_code == 200


def test_member_pages_cost_a_constant_number_of_queries(
    org, member_client, member_user, django_assert_max_num_queries
):
    from tests.fixtures.analytics_data import seed_usage

    roster = seed_usage(org, members=30, days=45, seed=6)
    CursorMember.objects.filter(pk=roster[0].pk).update(email=member_user.email)
    member_client.get("/ai-analytics/sync-status.json")  # stores the session's active org
    for url in ("/ai-analytics/", "/ai-analytics/me/?model=gpt-5"):
        with django_assert_max_num_queries(20):
            assert member_client.get(url).status_code == 200


def test_cached_figures_follow_a_rollup_refresh(acme, admin_client):
    org = acme[0].organization
    url = "/ai-analytics/?range=7"
    before = stat_value(admin_client.get(url).content.decode(), "ai_requests")
    assert stat_value(admin_client.get(url).content.decode(), "ai_requests") == before  # served from cache
    DailyUsage.objects.filter(organization=org, day=today()).update(agent_requests=1000)
    refresh_after_sync(org.pk, Tool.CURSOR, today(), today())
    html = admin_client.get(url).content.decode()
    daily = DailyUsage.objects.filter(organization=org, day__range=(today() - timedelta(days=6), today()))
    expected = sum(d.agent_requests + d.chat_requests + d.composer_requests + d.cmdk_usages for d in daily)
    assert stat_value(html, "ai_requests") == f"{expected:,}" != before
    # The member table follows too.
    top = CursorMember.objects.filter(organization=org, daily_usage__day=today()).order_by("email").first()
    assert "1,000" in html and top.email in html
