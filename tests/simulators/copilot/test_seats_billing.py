"""Seats (Link pagination, activity, plans, cancellations), the billing summary and billing usage."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from simulators.copilot.scope import INCLUDED_CREDITS_HUNDREDTHS, INCLUDED_PREMIUM_REQUESTS

from .helpers import CALENDAR_EDGES, github

SEAT_KEYS = {
    "created_at",
    "updated_at",
    "pending_cancellation_date",
    "last_activity_at",
    "last_activity_editor",
    "last_authenticated_at",
    "assignee",
    "organization",
    "assigning_team",
    "plan_type",
}
LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


def first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def links(response) -> dict:
    return {rel: url for url, rel in LINK.findall(response.headers.get("link", ""))}


def test_seats_page_by_link_header_until_there_is_no_next(org, client):
    seen = []
    response = client.get("/orgs/acme/copilot/billing/seats", params={"per_page": 7})
    first = links(response)
    assert set(first) == {"next", "last"}
    assert first["last"].endswith("page=6")  # 40 seats, 7 a page
    pages = 0
    while True:
        assert response.status_code == 200
        body = response.json()
        assert body["total_seats"] == 40
        assert len(body["seats"]) <= 7
        seen.extend(body["seats"])
        pages += 1
        nxt = links(response).get("next")
        if nxt is None:
            assert set(links(response)) == {"prev", "first"}
            break
        response = client.get(nxt)
    assert pages == 6
    assert seen == org.seat_rows()
    assert len({s["assignee"]["id"] for s in seen}) == 40


def test_per_page_defaults_to_50_and_is_capped_at_100(copilot_sim):
    org = copilot_sim.add_org("wide", seats=130, days=5)
    with github(copilot_sim, org.token) as client:
        assert len(client.get("/orgs/wide/copilot/billing/seats").json()["seats"]) == 50
        capped = client.get("/orgs/wide/copilot/billing/seats", params={"per_page": 500})
        assert len(capped.json()["seats"]) == 100
        assert links(capped)["next"].endswith("per_page=100&page=2")
        assert client.get("/orgs/wide/copilot/billing/seats", params={"page": 99}).json()["seats"] == []
        junk = client.get("/orgs/wide/copilot/billing/seats", params={"per_page": "many", "page": "x"})
        assert junk.status_code == 200 and len(junk.json()["seats"]) == 50


def test_a_seat_has_exactly_githubs_fields_and_honest_activity(org, sim_now):
    rows = org.seat_rows()
    by_login = {s.user.login: s for s in org.seats}
    never = idle = pending = 0
    for row in rows:
        assert set(row) <= SEAT_KEYS and SEAT_KEYS - {"plan_type"} <= set(row)
        assert row.get("plan_type", "business") in ("business", "enterprise", "unknown")
        seat = by_login[row["assignee"]["login"]]
        assert row["organization"]["login"] == "acme"
        if row["last_activity_at"] is None:
            never += 1
            assert row["last_activity_editor"] is None and row["last_authenticated_at"] is None
            continue
        last = datetime.fromisoformat(row["last_activity_at"].replace("Z", "+00:00"))
        assert last <= sim_now
        assert row["last_activity_editor"].count("/") == 3
        assert datetime.fromisoformat(row["created_at"].replace("Z", "+00:00")) <= last
        # The last day with a record is the day of last_activity_at (for days in the window).
        days = [
            d
            for d in (sim_now.date() - timedelta(days=n) for n in range(45))
            if org.user_metrics(seat.user.login, d)
        ]
        if days and days[0] < sim_now.date():
            assert last.date() >= days[0]
        if (sim_now - last).days >= 14:
            idle += 1
        if row["pending_cancellation_date"] is not None:
            pending += 1
            assert row["pending_cancellation_date"] == first_of_next_month(sim_now.date()).isoformat()
    assert never >= 1 and idle >= 1 and pending >= 1
    emails = [r["assignee"].get("email") for r in rows]
    assert any(emails) and not all(emails)


def test_billing_summary_counts_the_seats(org, client):
    body = client.get("/orgs/acme/copilot/billing").json()
    breakdown = body["seat_breakdown"]
    assert breakdown == org.seat_breakdown()
    assert breakdown["total"] == 40
    assert breakdown["pending_cancellation"] == sum(
        1 for r in org.seat_rows() if r["pending_cancellation_date"]
    )
    assert body["plan_type"] == "business" and body["public_code_suggestions"] in (
        "allow",
        "block",
        "unconfigured",
    )


def test_enterprise_seats_list_one_item_per_granting_org_but_count_people_once(copilot_sim):
    ent = copilot_sim.add_enterprise("corp", days=20)
    copilot_sim.add_org("corp-a", seats=12, days=20, seed=5, enterprise=ent)
    copilot_sim.add_org("corp-b", seats=12, days=20, seed=5, enterprise=ent)  # the same 12 people
    copilot_sim.add_org("corp-c", seats=6, days=20, seed=6, enterprise=ent)
    with github(copilot_sim, ent.token) as client:
        seats, url = [], "/enterprises/corp/copilot/billing/seats?per_page=10"
        while url:
            response = client.get(url)
            assert response.json()["total_seats"] == 18
            seats.extend(response.json()["seats"])
            url = links(response).get("next")
    assert len(seats) == 30 and seats == ent.seat_rows()
    assert len({s["assignee"]["id"] for s in seats}) == 18
    assert {s["organization"]["login"] for s in seats} == {"corp-a", "corp-b", "corp-c"}


def usage(client, kind="ai_credit", **params):
    response = client.get(f"/organizations/acme/settings/billing/{kind}/usage", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def billing_period(org) -> tuple[str, int, int]:
    """(kind, year, month) of the newest complete day: AI credits from June 2026, premium
    requests before (billing covers complete days, so on the 1st it is the previous month)."""
    yesterday = org.today - timedelta(days=1)
    return (
        ("ai_credit" if yesterday >= date(2026, 6, 1) else "premium_request"),
        yesterday.year,
        yesterday.month,
    )


def quantity(item, kind) -> int:
    """Integer units: hundredths of a credit, or requests."""
    return round(item["grossQuantity"] * 100) if kind == "ai_credit" else item["grossQuantity"]


def test_per_user_billing_calls_add_up_to_the_organization(org, client):
    kind, year, month = billing_period(org)
    whole = usage(client, kind, year=year, month=month)
    assert whole["timePeriod"] == {"year": year, "month": month}
    assert whole["organization"] == "acme"
    assert whole["usageItems"] == org.usage_items(kind, year, month)
    assert whole["usageItems"], "a month with complete days has usage"
    totals: dict[str, int] = {}
    for seat in org.seats:
        body = usage(client, kind, year=year, month=month, user=seat.user.login)
        assert body["user"] == seat.user.login
        for item in body["usageItems"]:
            assert "date" not in item and "username" not in item
            totals[item["model"]] = totals.get(item["model"], 0) + quantity(item, kind)
    assert totals == {i["model"]: quantity(i, kind) for i in whole["usageItems"]}
    sku, unit, price = {
        "ai_credit": ("Copilot AI Credits", "credits", 0.01),
        "premium_request": ("Copilot Premium Request", "requests", 0.04),
    }[kind]
    for item in whole["usageItems"]:
        assert (item["sku"], item["unitType"], item["pricePerUnit"]) == (sku, unit, price)
        assert round(item["discountQuantity"] + item["netQuantity"], 2) == item["grossQuantity"]
        assert item["grossAmount"] == pytest.approx(item["grossQuantity"] * price, abs=1e-4)
        assert item["netAmount"] == pytest.approx(item["netQuantity"] * price, abs=1e-4)


def test_one_day_of_billing_equals_the_ai_credits_in_that_days_records(copilot_sim):
    # About the AI-credit era (records carry ai_credits_used from 2026-06-19): a fixed moment.
    org = copilot_sim.add_org("acme", seats=30, days=20, now=datetime(2026, 11, 18, 15, 30, tzinfo=UTC))
    day = date(2026, 11, 12)
    records = org.user_records(day)
    with github(copilot_sim, org.token) as client:
        items = usage(client, year=day.year, month=day.month, day=day.day)["usageItems"]
        assert (
            sum(quantity(i, "ai_credit") for i in items)
            == sum(round(r["ai_credits_used"] * 100) for r in records)
            > 0
        )
        one = records[0]
        mine = usage(client, year=day.year, month=day.month, day=day.day, user=one["user_login"])[
            "usageItems"
        ]
    assert sum(quantity(i, "ai_credit") for i in mine) == round(one["ai_credits_used"] * 100)


def test_the_included_allowance_is_used_up_per_person_and_month(org, client):
    kind, year, month = billing_period(org)
    allowance = (INCLUDED_CREDITS_HUNDREDTHS if kind == "ai_credit" else INCLUDED_PREMIUM_REQUESTS)[
        "business"
    ]
    checked = 0
    for seat in sorted(org.seats, key=lambda s: -s.user.level)[:5]:
        if seat.plan_type not in (None, "business", "unknown"):
            continue
        items = usage(client, kind, year=year, month=month, user=seat.user.login)["usageItems"]
        gross = sum(quantity(i, kind) for i in items)
        discount = sum(
            round(i["discountQuantity"] * 100) if kind == "ai_credit" else i["discountQuantity"]
            for i in items
        )
        assert discount == min(gross, allowance)
        checked += gross > 0
    assert checked


def test_filters_and_bad_periods(org, client):
    kind, year, month = billing_period(org)
    models = [i["model"] for i in usage(client, kind, year=year, month=month)["usageItems"]]
    assert models and all(m[0].isupper() for m in models)  # display names, e.g. "Claude Sonnet 4.6"
    only = usage(client, kind, year=year, month=month, model=models[0].lower())
    assert [i["model"] for i in only["usageItems"]] == [models[0]] and only["model"] == models[0].lower()
    assert usage(client, kind, year=year, month=month, product="Actions")["usageItems"] == []
    assert usage(client, kind, year=year, month=month, user="nobody-here")["usageItems"] == []
    today = org.today
    for params in ({"month": 13}, {"year": "x"}, {"month": today.month, "day": 32}, {"year": today.year - 3}):
        response = client.get("/organizations/acme/settings/billing/ai_credit/usage", params=params)
        assert response.status_code == 400, params
        assert response.json()["status"] == "400"
    future = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    response = client.get(
        "/organizations/acme/settings/billing/ai_credit/usage",
        params={"year": future.year, "month": future.month},
    )
    assert response.status_code == 400


def test_premium_requests_before_june_2026_and_ai_credits_after(copilot_sim):
    org = copilot_sim.add_org("acme2", seats=15, days=40, now=datetime(2026, 6, 20, 12, tzinfo=UTC))
    with github(copilot_sim, org.token) as client:

        def items(kind, month):
            return client.get(
                f"/organizations/acme2/settings/billing/{kind}/usage", params={"month": month}
            ).json()["usageItems"]

        may_premium, may_credits = items("premium_request", 5), items("ai_credit", 5)
        june_premium, june_credits = items("premium_request", 6), items("ai_credit", 6)
    assert may_premium and not may_credits and june_credits and not june_premium
    assert {i["sku"] for i in may_premium} == {"Copilot Premium Request"}
    assert all(i["unitType"] == "requests" and isinstance(i["grossQuantity"], int) for i in may_premium)
    assert all(i["grossAmount"] == pytest.approx(i["grossQuantity"] * 0.04) for i in may_premium)
    # ai_credits_used appears in the records from 2026-06-19 only.
    assert all("ai_credits_used" not in r for r in org.user_records(date(2026, 6, 18)))
    assert all("ai_credits_used" in r for r in org.user_records(date(2026, 6, 19)))


def test_consolidated_billing_answers_404_and_the_enterprise_twin_answers(copilot_sim):
    ent = copilot_sim.add_enterprise("holding", days=20)
    org = copilot_sim.add_org("holding-dev", seats=10, days=20, enterprise=ent)
    org.billing_consolidated = True
    with github(copilot_sim, copilot_sim.token) as client:
        assert client.get("/organizations/holding-dev/settings/billing/ai_credit/usage").status_code == 404
        body = client.get("/enterprises/holding/settings/billing/ai_credit/usage").json()
        assert body["enterprise"] == "holding"
        assert body["usageItems"] == org.usage_items("ai_credit", org.today.year, org.today.month)


@pytest.mark.parametrize(
    "sim_now", CALENDAR_EDGES, ids=[m.strftime("%Y-%m-%dT%H:%M") for m in CALENDAR_EDGES]
)
def test_billing_months_and_cancellations_at_calendar_edges(copilot_sim, sim_now):
    org = copilot_sim.add_org("edge", seats=40, days=70, seed=3)
    today = sim_now.date()
    pending = {row["pending_cancellation_date"] for row in org.seat_rows()} - {None}
    assert pending == {first_of_next_month(today).isoformat()}
    kind = "ai_credit" if today >= date(2026, 6, 1) else "premium_request"
    last_month = today.replace(day=1) - timedelta(days=1)
    with github(copilot_sim, org.token) as client:
        whole = client.get(
            f"/organizations/edge/settings/billing/{kind}/usage",
            params={"year": last_month.year, "month": last_month.month},
        ).json()["usageItems"]
        by_day: dict[str, float] = {}
        for n in range(1, last_month.day + 1):
            for item in client.get(
                f"/organizations/edge/settings/billing/{kind}/usage",
                params={"year": last_month.year, "month": last_month.month, "day": n},
            ).json()["usageItems"]:
                by_day[item["model"]] = by_day.get(item["model"], 0) + item["grossQuantity"]
        this_month = client.get(f"/organizations/edge/settings/billing/{kind}/usage").json()
    assert {i["model"]: i["grossQuantity"] for i in whole} == pytest.approx(by_day)
    assert this_month["timePeriod"] == {"year": today.year, "month": today.month}
    if today.day == 1:
        assert this_month["usageItems"] == []  # complete days only: nothing yet this month


def test_a_cancelled_seat_disappears_on_its_date_and_its_activity_stops(org, client):
    cancelled = next(s for s in org.seats if s.pending_cancellation_date)
    login = cancelled.user.login
    assert login in {r["assignee"]["login"] for r in org.seat_rows()}
    org.now = datetime.combine(
        cancelled.pending_cancellation_date, datetime.min.time(), tzinfo=UTC
    ) + timedelta(hours=1)
    rows = client.get("/orgs/acme/copilot/billing/seats", params={"per_page": 100}).json()
    assert login not in {r["assignee"]["login"] for r in rows["seats"]}
    assert rows["total_seats"] == len(org.seat_rows()) < 40
    assert org.user_metrics(login, cancelled.pending_cancellation_date) is None


def test_unassigning_a_seat_keeps_the_past_reports(org, client):
    day = [d for d in org.report_days() if d.weekday() < 5][-1]
    person = org.user_records(day)[0]["user_login"]
    org.unassign(person)
    listed = client.get("/orgs/acme/copilot/billing/seats", params={"per_page": 100}).json()
    assert person not in {r["assignee"]["login"] for r in listed["seats"]}
    assert listed["total_seats"] == 39
    assert org.user_metrics(person, day) is not None  # history stays
    assert org.user_metrics(person, org.today) is None
    with pytest.raises(KeyError):
        org.unassign("nobody")
