"""The digest: the week against the previous one, top changes, budgets, idle seats, one action;
sent once per period to owners and admins; previewed in the app."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from alerts import tasks
from alerts.digest import build_digest, render, send_digest
from alerts.models import Budget, DigestSent
from analytics.models import ToolDay
from integrations.models import Connection

from .conftest import add_spend, member, refresh

MONDAY = date(2026, 11, 23)
WEEK = MONDAY - timedelta(days=7)
PREVIOUS = WEEK - timedelta(days=7)


@pytest.fixture
def week_data(org):
    dana = member(org, "Dana Lee", "dana@acme.test")
    sam = member(org, "Sam Roe", "sam@acme.test")
    for n in range(7):
        add_spend(org, dana, PREVIOUS + timedelta(days=n), 1_000, model="gpt-5", requests=10)
        add_spend(org, sam, PREVIOUS + timedelta(days=n), 2_000, model="claude-4.5-sonnet", requests=20)
        add_spend(org, dana, WEEK + timedelta(days=n), 6_000, model="claude-4.1-opus", requests=30)
        add_spend(org, sam, WEEK + timedelta(days=n), 1_500, model="claude-4.5-sonnet", requests=20)
    refresh(org, PREVIOUS, MONDAY - timedelta(days=1))
    return dana, sam


@pytest.mark.django_db
def test_the_week_against_the_previous_one_with_the_top_three_changes(org, week_data):
    d = build_digest(org, today=MONDAY)
    assert (d.week_start, d.week_end) == (WEEK, MONDAY - timedelta(days=1))
    truth = sum(t.cost_cents for t in ToolDay.objects.filter(organization=org, day__range=(WEEK, d.week_end)))
    spend, requests, active = d.figures
    assert spend.current == float(truth) == 52_500 and spend.previous == 21_000
    assert (spend.current_text, spend.previous_text, spend.change_text) == ("$525", "$210", "+150%")
    assert (requests.current, requests.previous, active.current) == (350, 210, 2)
    # Per model and per person, largest first: opus +$420, Dana +$350, gpt-5 −$70 (Sam −$35 is fourth).
    assert d.changes == [
        "Spend on claude-4.1-opus rose from $0.00 to $420 (+$420).",
        "Dana Lee's spend rose from $70 to $420 (+$350).",
        "Spend on gpt-5 fell from $70 to $0.00 (−$70).",
    ]
    assert d.action == "Nothing needs your attention this week."


@pytest.mark.django_db
def test_the_action_names_a_budget_projected_to_exceed(org, week_data):
    Budget.objects.create(organization=org, amount_cents=60_000, period=Budget.Period.MONTH)
    d = build_digest(org, today=MONDAY)
    [status] = d.budgets
    assert status.projected_to_exceed
    assert d.action.startswith("The organization's budget is projected at ")
    text, html = render(d)
    assert "projected to exceed" in text and "projected to exceed" in html
    assert "Organization (calendar month)" in text


@pytest.mark.django_db
def test_idle_seats_and_their_saving(org, week_data):
    from tests.fixtures.analytics_data import CursorMemberFactory

    for n in range(2):
        CursorMemberFactory(
            organization=org, email=f"idle{n}@acme.test", first_seen=MONDAY - timedelta(days=60)
        )
    d = build_digest(org, today=MONDAY)
    assert d.idle_seats == 2 and d.idle_saving_cents == 2 * org.seat_price_cents
    assert d.action == "Reclaim the 2 seats idle for 30 days to save $80 a month."
    text, _ = render(d)
    assert "2 seats idle for 30 days: reclaiming them saves about $80 a month." in text


@pytest.mark.django_db
def test_sent_once_per_period_to_owners_and_admins_with_both_parts(
    org, owner, admin_user, member_user, week_data
):
    assert send_digest(org, today=MONDAY, kind="weekly", period=MONDAY.isoformat())
    assert not send_digest(org, today=MONDAY, kind="weekly", period=MONDAY.isoformat())
    [message] = mail.outbox
    assert sorted(message.to) == ["admin@acme.test", "owner@acme.test"]
    assert message.subject == "[Koalr] Acme: your week of AI coding, 16 Nov–22 Nov"
    assert "Spend: $525 (previous week $210, +150%)" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "<strong>$525</strong>" in html
    assert DigestSent.objects.get(organization=org).recipients == 2


@pytest.mark.django_db
def test_beat_tasks_send_weekly_and_three_days_before_the_cycle_ends(org, owner, week_data, frozen):
    Connection.objects.create(organization=org, encrypted_api_key="x")
    frozen(MONDAY)
    assert tasks.send_weekly_digests() == 1
    frozen(date(2026, 11, 27))  # the November cycle's last day is the 30th: three days left
    assert tasks.send_cycle_end_digests() == 1
    assert tasks.send_cycle_end_digests() == 0
    frozen(date(2026, 11, 26))
    assert tasks.send_cycle_end_digests() == 0
    assert [m.subject for m in mail.outbox] == [
        "[Koalr] Acme: your week of AI coding, 16 Nov–22 Nov",
        "[Koalr] Acme: the billing cycle ends 30 Nov",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona, status", [("owner_client", 200), ("admin_client", 200), ("member_client", 403)]
)
def test_preview_page_roles(request, persona, status, week_data):
    client = request.getfixturevalue(persona)
    response = client.get(reverse("alerts:digest"), {"kind": "cycle_end"})
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        assert "the billing cycle ends" in body and "srcdoc=" in body and "Dana Lee" in body


@pytest.mark.django_db
def test_preview_for_an_outsider_shows_only_their_organization(outsider_client, week_data):
    response = outsider_client.get(reverse("alerts:digest"), {"kind": "bogus"})
    assert response.status_code == 200
    assert b"Dana" not in response.content and b"Globex" in response.content


@pytest.mark.django_db
def test_errored_requests_are_no_model_spend_change(org, week_data):
    """ "Errored, Not Charged" events are left out of every spend figure, the digest's too."""
    from analytics.models import UsageEvent

    dana, _ = week_data
    add_spend(org, dana, WEEK, 90_000, model="o3-pro")
    UsageEvent.objects.filter(organization=org, model="o3-pro").update(kind=UsageEvent.ERRORED_KIND)
    changes = build_digest(org, today=MONDAY).changes
    assert not any("o3-pro" in line for line in changes), changes
    UsageEvent.objects.filter(organization=org, model="o3-pro").update(kind="Usage-based")
    assert any("o3-pro" in line for line in build_digest(org, today=MONDAY).changes)
