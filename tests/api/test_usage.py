"""Daily, per-model and per-member usage and the spend cycle, for every persona.

Each figure is checked twice: against the dashboard's selector for the same range (the
API must show what the pages show) and against sums computed here from the stored rows.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from analytics import selectors
from analytics.models import CursorMember, DailyUsage, SpendSnapshot, UsageEvent
from tests.fixtures.analytics_data import seed_usage

from .conftest import ADMINS_ONLY, EVERY_MEMBER

pytestmark = pytest.mark.django_db


def cents(number):
    return Decimal(str(number)).quantize(Decimal("0.000001"))


def units(number):
    return Decimal(str(number)).quantize(Decimal("0.0001"))


@pytest.fixture
def window(seeded_org, other_org):
    """Acme's seeded 20 days, Globex seeded on the same days; a range reaching 5 days before
    Acme's data (zero-filled) and stopping 2 days before its end."""
    seed_usage(other_org, members=4, days=20, seed=11)
    today = datetime.now(UTC).date()
    return seeded_org, today - timedelta(days=24), today - timedelta(days=2)


def get_all(client, endpoint, start, end):
    response = client.get(
        f"/api/v1/orgs/acme/{endpoint}", {"start": start.isoformat(), "end": end.isoformat(), "limit": 1000}
    )
    assert response.status_code == 200, response.content
    return response.json()


# --- daily ---------------------------------------------------------------------------


def stored_daily(org, start, end):
    """Per-day figures from DailyUsage and UsageEvent rows, without the rollups."""
    days = defaultdict(lambda: defaultdict(int))
    active = defaultdict(set)
    for d in DailyUsage.objects.filter(organization=org, day__range=(start, end)):
        row = days[d.day]
        for api_name, column in [
            ("agent_requests", "agent_requests"),
            ("chat_requests", "chat_requests"),
            ("composer_requests", "composer_requests"),
            ("cmdk_usages", "cmdk_usages"),
            ("tabs_shown", "total_tabs_shown"),
            ("tabs_accepted", "total_tabs_accepted"),
            ("accepts", "total_accepts"),
            ("rejects", "total_rejects"),
            ("total_lines_added", "total_lines_added"),
            ("accepted_lines_added", "accepted_lines_added"),
        ]:
            row[api_name] += getattr(d, column)
        if d.is_active:
            active[d.day].add(d.member_id)
    for e in UsageEvent.objects.filter(organization=org, day__range=(start, end)):
        days[e.day]["usage_events"] += 1
        days[e.day]["spend_cents"] += e.charged_cents
        active[e.day].add(e.member_id)
    for day, members in active.items():
        days[day]["active_users"] = len(members)
    return days


def test_daily_rows_equal_the_dashboard_and_the_stored_rows(window, admin_client):
    org, start, end = window
    body = get_all(admin_client, "usage/daily", start, end)
    rows = body["results"]
    assert body["count"] == (end - start).days + 1 == len(rows)
    assert [r["date"] for r in rows] == [(start + timedelta(days=i)).isoformat() for i in range(len(rows))]

    dashboard = selectors.daily_series(org, start, end)
    stored = stored_daily(org, start, end)
    assert any(r["usage_events"] for r in rows), "the range must hold data"
    assert rows[0]["usage_events"] == 0 == rows[0]["active_users"]  # zero-filled day
    for row, page_row in zip(rows, dashboard, strict=True):
        assert row["date"] == page_row["day"].isoformat()
        day = page_row["day"]
        for field in ["active_users", "agent_requests", "chat_requests", "composer_requests",
                      "cmdk_usages", "tabs_shown", "tabs_accepted", "accepts", "rejects",
                      "total_lines_added", "accepted_lines_added", "usage_events"]:  # fmt: skip
            assert row[field] == page_row[field] == stored[day][field], (day, field)
        assert cents(row["spend_cents"]) == page_row["spend_cents"] == stored[day]["spend_cents"]


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_daily_per_persona(window, persona_client, persona):
    _, start, end = window
    response = persona_client(persona).get("/api/v1/orgs/acme/usage/daily", {"start": start, "end": end})
    assert response.status_code == EVERY_MEMBER[persona]


def test_daily_is_paginated(window, admin_client):
    _, start, end = window
    page = admin_client.get("/api/v1/orgs/acme/usage/daily", {"start": start, "end": end, "limit": 7}).json()
    assert page["count"] == (end - start).days + 1
    assert len(page["results"]) == 7
    assert "offset=7" in page["next"]


# --- models --------------------------------------------------------------------------


def test_models_equal_the_dashboard_and_the_stored_events(window, admin_client):
    org, start, end = window
    rows = get_all(admin_client, "usage/models", start, end)["results"]
    dashboard = selectors.model_usage(org, start, end)
    assert [r["model"] for r in rows] == [m["model"] for m in dashboard]

    stored = defaultdict(lambda: {"events": 0, "units": Decimal(0), "cents": Decimal(0), "users": set()})
    for e in UsageEvent.objects.filter(organization=org, day__range=(start, end)):
        s = stored[e.model]
        s["events"] += 1
        s["units"] += e.requests_costs
        s["cents"] += e.charged_cents
        s["users"].add(e.member_id)
    assert {r["model"] for r in rows} == set(stored)
    for row in rows:
        s = stored[row["model"]]
        assert row["usage_events"] == s["events"]
        assert units(row["request_cost_units"]) == s["units"]
        assert row["users"] == len(s["users"])
        assert cents(row["spend_cents"]) == s["cents"]


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_models_per_persona(window, persona_client, persona):
    _, start, end = window
    response = persona_client(persona).get("/api/v1/orgs/acme/usage/models", {"start": start, "end": end})
    assert response.status_code == EVERY_MEMBER[persona]


# --- members -------------------------------------------------------------------------


def test_members_usage_equals_the_dashboard_and_the_stored_rows(window, admin_client):
    org, start, end = window
    rows = {r["email"]: r for r in get_all(admin_client, "usage/members", start, end)["results"]}
    dashboard = {r["email"]: r for r in selectors.member_usage(org, start, end)}
    assert (
        set(rows)
        == set(dashboard)
        == set(CursorMember.objects.filter(organization=org).values_list("email", flat=True))
    )
    for member in CursorMember.objects.filter(organization=org):
        daily = DailyUsage.objects.filter(organization=org, member=member, day__range=(start, end))
        events = UsageEvent.objects.filter(organization=org, member=member, day__range=(start, end))
        event_days = set(events.values_list("day", flat=True))
        active_days = {d.day for d in daily if d.is_active} | event_days
        row, page_row = rows[member.email], dashboard[member.email]
        assert row["active_days"] == page_row["active_days"] == len(active_days)
        assert row["agent_requests"] == page_row["agent_requests"] == sum(d.agent_requests for d in daily)
        assert row["chat_requests"] == sum(d.chat_requests for d in daily)
        assert row["composer_requests"] == sum(d.composer_requests for d in daily)
        assert row["cmdk_usages"] == sum(d.cmdk_usages for d in daily)
        assert row["accepts"] == sum(d.total_accepts for d in daily)
        assert row["rejects"] == sum(d.total_rejects for d in daily)
        assert row["usage_events"] == page_row["usage_events"] == events.count()
        expected_spend = sum((e.charged_cents for e in events), Decimal(0))
        assert cents(row["spend_cents"]) == page_row["spend_cents"] == expected_spend


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_members_usage_per_persona(window, persona_client, persona):
    _, start, end = window
    response = persona_client(persona).get("/api/v1/orgs/acme/usage/members", {"start": start, "end": end})
    assert response.status_code == ADMINS_ONLY[persona]
    if persona == "member":
        assert "results" not in response.json()


# --- spend ---------------------------------------------------------------------------


def test_spend_equals_the_latest_cycles_snapshots(window, admin_client):
    org, _, _ = window
    body = admin_client.get("/api/v1/orgs/acme/spend").json()
    page = selectors.spend_overview(org)
    snapshots = SpendSnapshot.objects.filter(organization=org).select_related("member")
    latest = max(s.cycle_start for s in snapshots)
    current = [s for s in snapshots if s.cycle_start == latest]

    assert body["cycle_start"] == page["cycle_start"].isoformat() == latest.date().isoformat()
    assert cents(body["total_cents"]) == page["total_cents"] == sum(s.overall_spend_cents for s in current)
    by_email = {m["email"]: m for m in body["members"]}
    assert set(by_email) == {s.member.email for s in current}
    for s in current:
        row = by_email[s.member.email]
        assert cents(row["spend_cents"]) == s.spend_cents
        assert cents(row["overall_spend_cents"]) == s.overall_spend_cents
        assert row["fast_premium_requests"] == s.fast_premium_requests
    assert [m["email"] for m in body["members"]] == [m["email"] for m in page["members"]]


def test_spend_without_snapshots_is_an_empty_cycle(org, admin_client):
    body = admin_client.get("/api/v1/orgs/acme/spend").json()
    assert body["members"] == []
    assert body["total_cents"] == 0


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_spend_per_persona(window, persona_client, persona):
    response = persona_client(persona).get("/api/v1/orgs/acme/spend")
    assert response.status_code == ADMINS_ONLY[persona]
