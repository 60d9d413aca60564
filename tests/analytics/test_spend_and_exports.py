"""Seat price form and the CSV exports: personas, validation, and CSV = what the table shows."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.models import CursorMember, DailyUsage, SpendSnapshot, UsageEvent
from koalr.accounts.models import Organization
from tests.fixtures.analytics_data import seed_usage
from web.tables import MEMBER_COLUMNS, SPEND_COLUMNS

from .conftest import csv_rows

pytestmark = pytest.mark.django_db


def today():
    return datetime.now(UTC).date()


def test_admin_sets_the_seat_price(acme, admin_client):
    response = admin_client.post("/ai-analytics/spend/seat-price/", {"seat_price": "$39.99"})
    assert response.status_code == 302
    org = Organization.objects.get(slug="acme")
    assert org.seat_price_cents == 3999
    html = admin_client.get(response["Location"]).content.decode()
    assert "Seat price set to $39.99 per month." in html
    idle = CursorMember.objects.filter(organization=org, last_seen__isnull=True).count()
    assert f"${idle * 39.99:,.2f}" in html


def test_member_and_outsider_cannot_change_acmes_seat_price(acme, member_client, outsider_client):
    assert member_client.post("/ai-analytics/spend/seat-price/", {"seat_price": "1"}).status_code == 403
    # The outsider's request can only ever reach their own organization.
    assert outsider_client.post("/ai-analytics/spend/seat-price/", {"seat_price": "12"}).status_code == 302
    assert Organization.objects.get(slug="acme").seat_price_cents == 4000
    assert Organization.objects.get(slug="globex").seat_price_cents == 1200


def test_seat_price_needs_post(acme, admin_client):
    assert admin_client.get("/ai-analytics/spend/seat-price/").status_code == 405


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("abc", "Enter the price as a number of dollars"),
        ("NaN", "Enter the price as a number of dollars"),
        ("0", "The seat price must be more than $0."),
        ("-5", "The seat price must be more than $0."),
        ("10.999", "Use at most two decimal places"),
        ("20000", "The seat price must be at most $10,000."),
        ("", "This field is required."),
    ],
)
def test_seat_price_validation(acme, admin_client, value, error):
    response = admin_client.post("/ai-analytics/spend/seat-price/", {"seat_price": value})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert Organization.objects.get(slug="acme").seat_price_cents == 4000


def test_members_csv_holds_what_the_table_shows(acme, admin_client):
    org = acme[0].organization
    end = today()
    start = end - timedelta(days=6)
    page = admin_client.get("/ai-analytics/?range=7&sort=-spend_cents").content.decode()
    response = admin_client.get("/ai-analytics/members.csv?range=7&sort=-spend_cents")
    assert response["Content-Type"].startswith("text/csv")
    assert f"ai-usage-by-member-{start}-to-{end}.csv" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert list(rows[0].keys()) == [label for _, label, _ in MEMBER_COLUMNS]
    for _, label, _ in MEMBER_COLUMNS:
        assert label in page  # the same headers on the page
    spends = [Decimal(r["Spend in range ($)"]) for r in rows]
    assert spends == sorted(spends, reverse=True)
    for row in rows:
        member = CursorMember.objects.get(organization=org, email=row["Email"])
        daily = DailyUsage.objects.filter(organization=org, member=member, day__range=(start, end))
        events = UsageEvent.objects.filter(organization=org, member=member, day__range=(start, end))
        assert int(row["Agent"]) == sum(d.agent_requests for d in daily)
        assert int(row["Active days"]) == sum(1 for d in daily if d.is_active)
        assert Decimal(row["Spend in range ($)"]) == (
            sum((e.charged_cents for e in events), Decimal(0)) / 100
        ).quantize(Decimal("0.01"))
        snap = SpendSnapshot.objects.get(organization=org, member=member)
        assert Decimal(row["Spend cycle to date ($)"]) == (snap.overall_spend_cents / 100).quantize(
            Decimal("0.01")
        )
        # What the table shows for this member, in the same order.
        assert f"{Decimal(row['Spend in range ($)']):,.2f}" in page


def test_spend_csv(acme, admin_client):
    org = acme[0].organization
    rows = csv_rows(admin_client.get("/ai-analytics/spend/export.csv"))
    assert list(rows[0].keys()) == [label for _, label, _ in SPEND_COLUMNS]
    snapshots = SpendSnapshot.objects.filter(organization=org).select_related("member")
    assert {r["Email"] for r in rows} == {s.member.email for s in snapshots}
    for snap in snapshots:
        row = next(r for r in rows if r["Email"] == snap.member.email)
        assert Decimal(row["Total ($)"]) == (snap.overall_spend_cents / 100).quantize(Decimal("0.01"))
        assert Decimal(row["Included ($)"]) == ((snap.overall_spend_cents - snap.spend_cents) / 100).quantize(
            Decimal("0.01")
        )
    totals = [Decimal(r["Total ($)"]) for r in rows]
    assert totals == sorted(totals, reverse=True)


def test_csv_neutralises_spreadsheet_formulas(org, admin_client):
    seed_usage(org, members=2, days=3)
    CursorMember.objects.filter(organization=org).update(name='=HYPERLINK("http://evil")')
    rows = csv_rows(admin_client.get("/ai-analytics/members.csv"))
    assert all(r["Name"].startswith("'=") for r in rows)


def test_member_table_sorts_and_pages(org, admin_client):
    seed_usage(org, members=55, days=5, seed=8)
    html = admin_client.get("/ai-analytics/?sort=email").content.decode()
    emails = sorted(CursorMember.objects.filter(organization=org).values_list("email", flat=True))
    assert emails[0] in html and emails[49] in html and emails[50] not in html
    assert "Page 1 of 2" in html
    page2 = admin_client.get("/ai-analytics/?sort=email&page=2").content.decode()
    assert emails[50] in page2 and emails[0] not in page2
    assert 'aria-sort="ascending"' in html
    # An unknown sort key falls back to the default instead of failing.
    assert admin_client.get("/ai-analytics/?sort=password").status_code == 200


def test_spend_table_sorts_and_pages_in_the_database(org, admin_client):
    seed_usage(org, members=55, days=5, seed=9)
    emails = sorted(CursorMember.objects.filter(organization=org).values_list("email", flat=True))
    html = admin_client.get("/ai-analytics/spend/?sort=-email").content.decode()
    assert emails[-1] in html and "Page 1 of 2" in html
    page2 = admin_client.get("/ai-analytics/spend/?sort=-email&page=2").content.decode()
    table = page2[page2.index('id="spend-members"') :]
    assert emails[0] in table and emails[-1] not in table
    # A page past the end shows the last page rather than failing.
    assert "Page 2 of 2" in admin_client.get("/ai-analytics/spend/?page=99").content.decode()
