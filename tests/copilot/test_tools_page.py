"""The Tools page: per-tool figures, the overlap of seats (people and savings equal a hand
computation), idle Copilot seats, the CSV and the Copilot seat price, for every persona."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.models import CopilotSeat, CursorMember, Tool, ToolDay, ToolOrgDay
from integrations.models import Connection, Provider
from people.models import Person
from tests.fixtures.analytics_data import rebuild_from_facts

from .fakes import TOKEN
from .test_views import text as page_text


def text(response) -> str:
    return re.sub(r"<[^>]+>", "", page_text(response))


pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
PAGE, CSV, PRICE = (
    "/ai-analytics/tools/",
    "/ai-analytics/tools/overlap.csv",
    "/ai-analytics/tools/copilot-seat-price/",
)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr("web.tools_views._today", lambda: TODAY)


def at(days_ago: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=9
    )


@pytest.fixture
def seats(org):
    """Seven people. Cursor seats for all; Copilot seats for five (gus's was removed)."""
    conn = Connection(
        organization=org, provider=Provider.COPILOT, config={"scope": "org", "slug": "acme"},
        capabilities={"plan_type": "business"},
    )  # fmt: skip
    conn.set_api_key(TOKEN)
    conn.save()
    people = {}
    for name in ("ana", "ben", "cat", "dan", "eve", "fay", "gus"):
        person = Person.objects.create(
            organization=org, name=name.title(), primary_email=f"{name}@acme.test", github_login=name
        )
        people[name] = person
        CursorMember.objects.create(
            organization=org, person=person, email=person.primary_email, name=name.title()
        )
    last_activity = {"ana": 1, "ben": 20, "cat": 2, "dan": 45, "fay": 40}
    for name, days_ago in last_activity.items():
        CopilotSeat.objects.create(
            organization=org, person=people[name], login=name, synced_at=at(0), last_activity_at=at(days_ago),
            seat_created_at=at(200), pending_cancellation_date=date(2026, 12, 1) if name == "fay" else None,
        )  # fmt: skip
    CopilotSeat.objects.create(
        organization=org, person=people["gus"], login="gus", synced_at=at(0), removed_at=at(3)
    )

    def active(name, tool, days_ago_list, active=True):
        for d in days_ago_list:
            ToolDay.objects.create(
                organization=org, tool=tool, person=people[name], day=TODAY - timedelta(days=d), active=active
            )

    active("ana", Tool.CURSOR, [1, 2, 3])
    active("ana", Tool.COPILOT, [2, 5])
    active("ben", Tool.CURSOR, [1, 2, 3, 4, 5])
    active("cat", Tool.COPILOT, [1, 2, 3, 4])
    active("dan", Tool.CURSOR, [3], active=False)  # a fact row without activity
    active("fay", Tool.CURSOR, [10])
    active("fay", Tool.COPILOT, [40])  # outside the 30 days
    active("gus", Tool.CURSOR, [1])
    ToolOrgDay.objects.create(
        organization=org, tool=Tool.COPILOT, day=TODAY - timedelta(days=2), people=2, active_people=2,
        cost_cents=Decimal("100"), cost_is_estimate=True, accepted_lines=70, suggested_lines=90,
    )  # fmt: skip
    ToolOrgDay.objects.create(
        organization=org, tool=Tool.CURSOR, day=TODAY - timedelta(days=2), people=3, active_people=3,
        cost_cents=Decimal("300"), accepted_lines=10, suggested_lines=20,
    )  # fmt: skip
    rebuild_from_facts(org)  # the facts were written by hand: derive what a refresh would
    return conn


# Hand computation, Cursor $40 (the organization's default), Copilot $19 (Business list price):
# ana uses both: 0; ben only Cursor: drop Copilot $19; cat only Copilot: drop Cursor $40;
# dan neither: drop both $59; fay Cursor only in the window: drop Copilot $19. eve has no
# Copilot seat, gus's Copilot seat was removed. 5 people, $137 a month.
EXPECTED = {
    "Ana": ("both", "", "0.00"),
    "Ben": ("cursor", "copilot", "19.00"),
    "Cat": ("copilot", "cursor", "40.00"),
    "Dan": ("neither", "both", "59.00"),
    "Fay": ("cursor", "copilot", "19.00"),
}


def overlap_csv(client) -> dict:
    response = client.get(CSV)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    return {r["Name"]: (r["Uses"], r["Seat to drop"], r["Monthly saving ($)"]) for r in rows}


def test_overlap_people_and_savings_equal_the_hand_computation(admin_client, seats):
    assert overlap_csv(admin_client) == EXPECTED
    page = text(admin_client.get(PAGE))
    assert "5 people hold a seat in both tools" in page
    assert "saves $137.00 a month" in page
    assert "GitHub's list price, an estimate" in page


def test_tool_rows(admin_client, seats):
    response = admin_client.get(PAGE + "?range=30")
    tools = {t["tool"]: t for t in response.context["data"].tools}
    cursor, copilot = tools[Tool.CURSOR], tools[Tool.COPILOT]
    assert (cursor["seats"], cursor["active_people"]) == (7, 4)  # ana, ben, fay, gus
    assert (copilot["seats"], copilot["active_people"]) == (5, 2)  # ana, cat
    # (5 seats × $19 × 30/30 + $1.00 usage) ÷ 2 active people
    assert copilot["cost_per_active_cents"] == Decimal("4800")
    assert copilot["cost_is_estimate"] is True and cursor["cost_is_estimate"] is False
    # (7 × $40 + $3.00) ÷ 4
    assert cursor["cost_per_active_cents"] == Decimal("7075")
    assert copilot["accepted_lines"] == 70 and copilot["suggested_lines"] == 90
    assert "Active people per day, by tool" in text(response)


def test_idle_copilot_seats(admin_client, seats):
    idle = admin_client.get(PAGE).context["data"].idle
    assert {s["login"] for s in idle["idle_30"]} == {"dan", "fay"}
    assert {s["login"] for s in idle["idle_14"]} == {"ben", "dan", "fay"}
    assert idle["monthly_saving_cents"] == 1900  # fay's seat is already pending cancellation


def test_setting_the_copilot_seat_price_changes_the_savings(admin_client, seats):
    response = admin_client.post(PRICE, {"seat_price": "25"})
    assert response.status_code == 302
    assert overlap_csv(admin_client)["Dan"] == ("neither", "both", "65.00")
    page = text(admin_client.get(PAGE))
    assert "saves $155.00 a month" in page and "an estimate" not in page


@pytest.mark.parametrize("value", ["", "abc", "0", "-3", "1.234"])
def test_a_bad_seat_price_is_refused_and_changes_nothing(admin_client, seats, value):
    response = admin_client.post(PRICE, {"seat_price": value})
    assert response.status_code == 400 and "field-error" in response.content.decode()
    seats.refresh_from_db()
    assert "seat_price_cents" not in seats.config


def test_members_see_the_tool_figures_but_nobody_by_name(member_client, seats):
    response = member_client.get(PAGE)
    assert response.status_code == 200
    page = text(response)
    assert "GitHub Copilot" in page and "Cursor" in page
    assert "Ben" not in page and "ben@acme.test" not in page and "Seats in both" not in page
    assert member_client.get(CSV).status_code == 403
    assert member_client.post(PRICE, {"seat_price": "1"}).status_code == 403
    seats.refresh_from_db()
    assert "seat_price_cents" not in seats.config


def test_outsiders_see_only_their_own_organization(outsider_client, seats):
    page = text(outsider_client.get(PAGE))
    assert "No AI tool has data yet" in page and "Ben" not in page
    rows = list(csv.reader(io.StringIO(outsider_client.get(CSV).content.decode())))
    assert len(rows) == 1  # the header only
    assert outsider_client.post(PRICE, {"seat_price": "1"}).status_code == 404


def test_owner_sees_the_overlap(owner_client, seats):
    assert overlap_csv(owner_client) == EXPECTED


def test_anonymous_is_sent_to_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_copilot_idle_seats_join_the_spend_reviews_idle_list(admin_client, seats, monkeypatch):
    monkeypatch.setattr("web.views._today", lambda: TODAY)
    page = text(admin_client.get("/ai-analytics/spend/"))
    assert "Idle Copilot seats" in page
    assert "2 seats without activity for 30 days (3 for 14)" in page
    assert "dan" in page and "fay" in page


def test_the_spend_review_has_no_copilot_section_without_copilot(admin_client, org):
    assert "Idle Copilot seats" not in text(admin_client.get("/ai-analytics/spend/"))


def test_a_long_overlap_list_shows_its_first_rows_and_points_to_the_csv(admin_client, seats, monkeypatch):
    monkeypatch.setattr("web.tools_views.ROWS_SHOWN", 2)
    response = admin_client.get(PAGE)
    html = response.content.decode()
    table = html.split('id="overlap-table"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr data-person=") == 2
    assert "Showing the first 2 of 5 people; the CSV has every one." in text(response)
    assert len(overlap_csv(admin_client)) == 5  # the CSV keeps every row
