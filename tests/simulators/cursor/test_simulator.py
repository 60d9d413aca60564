"""The Cursor simulator, over real loopback HTTP: the contract the client and sync tests rely on."""

from __future__ import annotations

import base64
import json
import math
import re
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from simulators.cursor import CursorSimulator

DAY_MS = 86_400_000
# Moments the key consistency checks must hold at (tests run at `sim_now`, see conftest.py):
# month ends of 31, 30 and 28 days, the first of a month, the turn of the year, a leap day and
# the day after it, some right after midnight (today almost empty) or right before it.
CALENDAR_EDGES = [
    datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
    datetime(2026, 4, 30, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 11, 30, 9, 5, tzinfo=UTC),
    datetime(2026, 12, 1, 9, 5, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC),
    datetime(2027, 2, 28, 12, 0, tzinfo=UTC),
    datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    datetime(2028, 3, 1, 0, 5, tzinfo=UTC),
]
at_calendar_edges = pytest.mark.parametrize(
    "sim_now", CALENDAR_EDGES, ids=[moment.strftime("%Y-%m-%dT%H:%M") for moment in CALENDAR_EDGES]
)
# Usage grows with the absolute date by design (an adoption curve that rises through 2026), and
# identical twins only occur on busy member-days; a test that needs twins says which date it is about.
BUSY_ERA = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
UNAUTHORIZED = {"error": "Unauthorized", "message": "Invalid API key"}
FORBIDDEN = {"error": "Forbidden", "message": "Enterprise access required"}
TOO_MANY = {"error": "Too Many Requests", "message": "Rate limit exceeded. Please try again later."}


def day_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def client(cursor_sim, sim_team):
    with httpx.Client(base_url=cursor_sim.base_url, auth=(sim_team.api_key, ""), timeout=30) as c:
        yield c


def client_for(sim, team) -> httpx.Client:
    return httpx.Client(base_url=sim.base_url, auth=(team.api_key, ""), timeout=30)


def no_limits(cursor_sim):
    cursor_sim.rate_limits = False


def last_days_window(team, days: int) -> tuple[int, int]:
    """[start of the day `days - 1` days ago, end of today] in epoch ms."""
    today = team.now.date()
    return day_ms(today - timedelta(days=days - 1)), day_ms(today) + DAY_MS - 1


def all_events(client, start_ms, end_ms, page_size=1000, **filters) -> list[dict]:
    events, page = [], 1
    while True:
        body = {"startDate": start_ms, "endDate": end_ms, "page": page, "pageSize": page_size} | filters
        data = client.post("/teams/filtered-usage-events", json=body).json()
        events.extend(data["usageEvents"])
        if not data["pagination"]["hasNextPage"]:
            return events
        page += 1


def fingerprint(event: dict) -> str:
    return json.dumps(event, sort_keys=True)


# -- auth -------------------------------------------------------------------------------------------


def test_basic_auth_with_key_and_empty_password_is_accepted(client):
    assert client.get("/teams/members").status_code == 200


@pytest.mark.parametrize("prefix", ["key_", "crsr_"])
def test_both_key_prefixes_are_accepted(cursor_sim, make_sim_team, prefix):
    team = make_sim_team(api_key=prefix + "k" * 60 + f"{len(prefix):04d}")
    with client_for(cursor_sim, team) as c:
        assert c.get("/teams/members").status_code == 200


def test_generated_key_is_crsr_plus_64_characters(sim_team):
    assert re.fullmatch(r"crsr_[A-Za-z0-9]{64}", sim_team.api_key)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic " + base64.b64encode(b"crsr_" + b"x" * 64 + b":").decode()},
        {"Authorization": "Basic not-base64!!"},
    ],
    ids=["missing", "unknown-key", "garbage"],
)
def test_missing_or_unknown_key_is_401_with_documented_body(cursor_sim, sim_team, headers):
    response = httpx.get(cursor_sim.base_url + "/teams/members", headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_bearer_is_rejected_unless_enabled(cursor_sim, sim_team):
    headers = {"Authorization": f"Bearer {sim_team.api_key}"}
    assert httpx.get(cursor_sim.base_url + "/teams/members", headers=headers).status_code == 401
    cursor_sim.accept_bearer = True
    assert httpx.get(cursor_sim.base_url + "/teams/members", headers=headers).status_code == 200


def test_unknown_path_is_404_with_standard_body(client):
    response = client.get("/teams/nope")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found", "message": "Resource not found"}


def test_post_endpoint_rejects_invalid_json_body(client):
    response = client.post("/teams/spend", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"


# -- members ----------------------------------------------------------------------------------------


def test_members_envelope_fields_and_roster_shape(client, sim_team):
    data = client.get("/teams/members").json()
    assert list(data) == ["teamMembers"]
    members = data["teamMembers"]
    assert members == sim_team.members()
    assert len(members) == 20
    domain = sim_team.domain
    for m in members:
        assert set(m) == {"id", "name", "email", "role", "isRemoved"}
        assert re.fullmatch(r"user_[A-Za-z0-9]{24}", m["id"])
        assert re.fullmatch(rf"[a-z]+\.[a-z]+\d*@{re.escape(domain)}", m["email"])
        assert m["role"] in {"owner", "admin", "member"}
    assert [m["role"] for m in members].count("owner") == 1
    assert any(m["isRemoved"] for m in members)
    assert len({m["email"] for m in members}) == len(members)


def test_usage_includes_ex_members_missing_from_members_list(client, cursor_sim, sim_team):
    no_limits(cursor_sim)
    listed = {m["email"] for m in sim_team.members()}
    start, end = last_days_window(sim_team, 30)
    emails = {e["userEmail"] for e in sim_team.usage_events(start, end)}
    assert emails - listed, "expected usage from people no longer in /teams/members"


def test_roster_has_idle_and_heavy_members(sim_team):
    today = sim_team.now.date()
    rows = sim_team.daily_rows(today - timedelta(days=34), today)
    active_days = Counter(r["email"] for r in rows)
    recent = {r["email"] for r in rows if date.fromisoformat(r["day"]) > today - timedelta(days=14)}
    listed = [m for m in sim_team.members() if not m["isRemoved"]]
    idle = [m for m in listed if m["email"] in active_days and m["email"] not in recent]
    assert idle, "expected someone active earlier but idle for the last 14 days"
    events_per_member = Counter()
    for r in rows:
        events_per_member[r["email"]] += r["subscriptionIncludedReqs"] + r["usageBasedReqs"] + r["apiKeyReqs"]
    per_day = sorted(events_per_member[e] / active_days[e] for e in active_days)
    assert per_day[-1] > 2.5 * per_day[len(per_day) // 2], "expected heavy users"


# -- daily usage ------------------------------------------------------------------------------------


def test_daily_usage_unpaginated_returns_active_rows_only(client, sim_team):
    start, end = last_days_window(sim_team, 7)
    data = client.post("/teams/daily-usage-data", json={"startDate": start, "endDate": end}).json()
    assert set(data) == {"data", "period"}
    assert data["period"] == {"startDate": start, "endDate": end}
    rows = data["data"]
    assert rows and all(r["isActive"] for r in rows)
    today = sim_team.now.date()
    assert rows == sim_team.daily_rows(today - timedelta(days=6), today)
    row = rows[0]
    assert re.fullmatch(r"user_[A-Za-z0-9]{24}", row["userId"])
    assert row["date"] == day_ms(date.fromisoformat(row["day"]))
    for key in (
        "totalLinesAdded totalLinesDeleted acceptedLinesAdded acceptedLinesDeleted totalApplies totalAccepts "
        "totalRejects totalTabsShown totalTabsAccepted composerRequests chatRequests agentRequests cmdkUsages "
        "subscriptionIncludedReqs apiKeyReqs usageBasedReqs bugbotUsages"
    ).split():
        assert isinstance(row[key], int)
    assert row["mostUsedModel"] and row["applyMostUsedExtension"].startswith(".")
    assert row["clientVersion"]


@at_calendar_edges
def test_daily_usage_paginated_lists_every_member_by_user_with_zero_rows(client, sim_team):
    today = sim_team.now.date()
    start_day = today - timedelta(days=9)
    start, end = day_ms(start_day), day_ms(today) + DAY_MS - 1
    pages, page = [], 1
    while True:
        body = {"startDate": start, "endDate": end, "page": page, "pageSize": 6}
        data = client.post("/teams/daily-usage-data", json=body).json()
        pages.append(data)
        if not data["pagination"]["hasNextPage"]:
            break
        page += 1
    first = pages[0]["pagination"]
    assert set(first) == {"page", "pageSize", "totalUsers", "totalPages", "hasNextPage", "hasPreviousPage"}
    assert first["totalPages"] == math.ceil(first["totalUsers"] / 6) == len(pages)
    assert pages[-1]["pagination"]["hasPreviousPage"] is True
    rows = [r for p in pages for r in p["data"]]
    assert rows == sim_team.daily_rows(start_day, today, include_inactive=True)
    users_per_page = [{r["email"] for r in p["data"]} for p in pages]
    assert all(len(u) <= 6 for u in users_per_page)
    assert sum(len(u) for u in users_per_page) == first["totalUsers"]  # a user never spans pages
    inactive = [r for r in rows if not r["isActive"]]
    assert inactive, "paginated mode must include zero rows"
    zero = inactive[0]
    assert zero["agentRequests"] == zero["totalLinesAdded"] == zero["usageBasedReqs"] == 0
    assert zero["mostUsedModel"] is None and zero["clientVersion"] is None
    assert zero["applyMostUsedExtension"] is None and zero["tabMostUsedExtension"] is None
    assert len(rows) > len(sim_team.daily_rows(start_day, today))


def test_daily_usage_paginated_excludes_members_who_joined_after_the_range(make_sim_team, cursor_sim):
    team = make_sim_team(seats=60, days=35)
    late = [m for m in team.roster if m.listed and m.join_day > team.first_day + timedelta(days=3)]
    assert late
    joiner = late[0]
    before = joiner.join_day - timedelta(days=1)
    with client_for(cursor_sim, team) as c:
        body = {"startDate": day_ms(team.first_day), "endDate": day_ms(before), "page": 1, "pageSize": 500}
        emails = {r["email"] for r in c.post("/teams/daily-usage-data", json=body).json()["data"]}
    assert joiner.email not in emails
    assert team.roster[0].email in emails


@pytest.mark.parametrize("missing", ["startDate", "endDate"])
def test_daily_usage_requires_both_dates(client, sim_team, missing):
    body = {"startDate": sim_team.now_ms - DAY_MS, "endDate": sim_team.now_ms}
    del body[missing]
    response = client.post("/teams/daily-usage-data", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"


def test_daily_usage_range_over_30_days_is_400_but_30_days_is_fine(client, sim_team):
    end = sim_team.now_ms
    ok = client.post("/teams/daily-usage-data", json={"startDate": end - 30 * DAY_MS, "endDate": end})
    assert ok.status_code == 200
    bad = client.post("/teams/daily-usage-data", json={"startDate": end - 30 * DAY_MS - 1, "endDate": end})
    assert bad.status_code == 400
    assert bad.json() == {"error": "Bad Request", "message": "Date range cannot exceed 30 days"}


def test_daily_user_ids_can_be_numeric(client, sim_team):
    sim_team.daily_numeric_user_ids = True
    start, end = last_days_window(sim_team, 3)
    rows = client.post("/teams/daily-usage-data", json={"startDate": start, "endDate": end}).json()["data"]
    assert all(isinstance(r["userId"], int) for r in rows)


# -- usage events -----------------------------------------------------------------------------------


def test_usage_events_envelope_and_default_page_size(client, sim_team):
    start, end = last_days_window(sim_team, 3)
    data = client.post("/teams/filtered-usage-events", json={"startDate": start, "endDate": end}).json()
    assert list(data) == ["totalUsageEventsCount", "pagination", "usageEvents", "period"]
    total = data["totalUsageEventsCount"]
    assert data["pagination"] == {
        "numPages": math.ceil(total / 100),
        "currentPage": 1,
        "pageSize": 100,
        "hasNextPage": total > 100,
        "hasPreviousPage": False,
    }
    assert len(data["usageEvents"]) == min(100, total)
    assert data["period"] == {"startDate": start, "endDate": end}


def test_usage_event_fields_follow_the_current_shape_and_omit_optional_fields(client, cursor_sim, sim_team):
    no_limits(cursor_sim)
    start, end = last_days_window(sim_team, 14)
    events = all_events(client, start, end)
    assert events == sim_team.usage_events(start, end)
    required = {
        "timestamp",
        "userEmail",
        "model",
        "kind",
        "maxMode",
        "requestsCosts",
        "isTokenBasedCall",
        "isChargeable",
        "isHeadless",
        "chargedCents",
    }
    optional = {"tokenUsage", "cursorTokenFee", "conversationId", "cloudAgentId"}
    seen_optional = set()
    for e in events:
        assert required <= set(e) <= required | optional
        assert None not in e.values()
        assert isinstance(e["timestamp"], str) and e["timestamp"].isdigit()
        assert start <= int(e["timestamp"]) <= end
        assert ("tokenUsage" in e) == e["isTokenBasedCall"]
        if "tokenUsage" in e:
            assert set(e["tokenUsage"]) == {
                "inputTokens",
                "outputTokens",
                "cacheWriteTokens",
                "cacheReadTokens",
                "totalCents",
            }
        if "cursorTokenFee" in e:
            assert e["isTokenBasedCall"] and e["model"] != "composer-1"
            assert e["chargedCents"] == pytest.approx(e["tokenUsage"]["totalCents"] + e["cursorTokenFee"])
        seen_optional |= set(e) & optional
    assert seen_optional == optional
    kinds = Counter(e["kind"] for e in events)
    assert kinds["Included in Business"] > kinds["Usage-based"] > 0
    models = {e["model"] for e in events}
    assert {"claude-4.5-sonnet", "gpt-5", "composer-1", "auto", "gemini-2.5-pro"} <= models
    assert any(e["maxMode"] for e in events)
    assert any(not float(e["requestsCosts"]).is_integer() for e in events)
    assert any(not float(e["chargedCents"]).is_integer() for e in events)


def test_usage_events_are_newest_first_and_bounds_are_inclusive(client, cursor_sim, sim_team):
    no_limits(cursor_sim)
    start, end = last_days_window(sim_team, 5)
    events = all_events(client, start, end)
    stamps = [int(e["timestamp"]) for e in events]
    assert stamps == sorted(stamps, reverse=True)
    newest, oldest = stamps[0], stamps[-1]
    exact = all_events(client, oldest, newest)
    assert exact == events
    inner = all_events(client, oldest + 1, newest - 1)
    assert len(inner) == len(events) - stamps.count(oldest) - stamps.count(newest)


@pytest.mark.parametrize("sim_now", [BUSY_ERA], ids=["busy-era"])
def test_usage_events_include_a_few_exact_duplicates(client, cursor_sim, sim_team):
    no_limits(cursor_sim)
    start, end = last_days_window(sim_team, 30)
    events = all_events(client, start, end)
    counts = Counter(fingerprint(e) for e in events)
    duplicates = [fp for fp, n in counts.items() if n > 1]
    assert 0 < len(duplicates) < len(events) * 0.02


def test_usage_events_page_size_is_clamped_to_1000_or_rejected(client, cursor_sim, sim_team):
    no_limits(cursor_sim)
    start, end = last_days_window(sim_team, 30)
    body = {"startDate": start, "endDate": end, "pageSize": 5000}
    data = client.post("/teams/filtered-usage-events", json=body).json()
    assert data["pagination"]["pageSize"] == 1000
    assert len(data["usageEvents"]) == min(1000, data["totalUsageEventsCount"])
    sim_team.page_size_policy = "reject"
    assert client.post("/teams/filtered-usage-events", json=body).status_code == 400
    assert client.post("/teams/filtered-usage-events", json=body | {"pageSize": 0}).status_code == 400


def test_usage_events_page_past_the_end_is_empty(client, sim_team):
    start, end = last_days_window(sim_team, 2)
    body = {"startDate": start, "endDate": end, "page": 10_000, "pageSize": 100}
    data = client.post("/teams/filtered-usage-events", json=body).json()
    assert data["usageEvents"] == []
    assert data["pagination"]["hasNextPage"] is False
    assert data["pagination"]["currentPage"] == 10_000


def test_usage_events_range_over_30_days_is_400_unless_disabled(client, sim_team):
    end = sim_team.now_ms
    body = {"startDate": end - 31 * DAY_MS, "endDate": end, "pageSize": 1}
    response = client.post("/teams/filtered-usage-events", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    sim_team.events_max_range_days = None
    assert client.post("/teams/filtered-usage-events", json=body).status_code == 200


def test_usage_events_filter_by_email(client, cursor_sim, sim_team):
    no_limits(cursor_sim)
    start, end = last_days_window(sim_team, 10)
    everyone = sim_team.usage_events(start, end)
    email = Counter(e["userEmail"] for e in everyone).most_common(1)[0][0]
    mine = all_events(client, start, end, page_size=50, email=email)
    assert mine == [e for e in everyone if e["userEmail"] == email]
    assert all_events(client, start, end, email="nobody@example.com") == []


def test_usage_events_reject_unknown_hosting_type(client, sim_team):
    body = {"startDate": sim_team.now_ms - DAY_MS, "endDate": sim_team.now_ms, "hostingType": "MOON"}
    response = client.post("/teams/filtered-usage-events", json=body)
    assert response.status_code == 400
    ok = client.post("/teams/filtered-usage-events", json=body | {"hostingType": "CLOUD"})
    assert ok.status_code == 200
    assert all("cloudAgentId" in e for e in ok.json()["usageEvents"])


@at_calendar_edges
def test_no_data_after_now_or_before_the_window(client, sim_team):
    future = client.post(
        "/teams/filtered-usage-events",
        json={"startDate": sim_team.now_ms + 1, "endDate": sim_team.now_ms + DAY_MS},
    ).json()
    assert future["totalUsageEventsCount"] == 0
    old_end = day_ms(sim_team.first_day) - 1
    old = client.post(
        "/teams/filtered-usage-events", json={"startDate": old_end - 10 * DAY_MS, "endDate": old_end}
    ).json()
    assert old["totalUsageEventsCount"] == 0


# -- internal consistency ---------------------------------------------------------------------------


@at_calendar_edges
def test_daily_rows_agree_with_that_days_events(sim_team):
    today = sim_team.now.date()
    first = today - timedelta(days=29)
    # Identical twins are real requests: every served event counts.
    events = sim_team.usage_events(day_ms(first), sim_team.now_ms)
    per_member_day = defaultdict(list)
    for e in events:
        day = datetime.fromtimestamp(int(e["timestamp"]) / 1000, UTC).date()
        per_member_day[(e["userEmail"], day)].append(e)
    rows = sim_team.daily_rows(first, today, include_inactive=True)
    active_keys = set()
    for row in rows:
        key = (row["email"], date.fromisoformat(row["day"]))
        day_events = per_member_day.get(key, [])
        n = len(day_events)
        assert row["isActive"] == (n > 0)
        assert row["subscriptionIncludedReqs"] + row["usageBasedReqs"] + row["apiKeyReqs"] == n
        assert row["agentRequests"] + row["chatRequests"] + row["composerRequests"] + row["cmdkUsages"] == n
        assert row["usageBasedReqs"] == sum(e["kind"] == "Usage-based" for e in day_events)
        assert row["apiKeyReqs"] == sum(e["kind"] == "User API Key" for e in day_events)
        if n:
            active_keys.add(key)
            counts = Counter(e["model"] for e in day_events)
            best = max(counts.values())
            assert row["mostUsedModel"] == min(m for m, c in counts.items() if c == best)
    assert active_keys == set(per_member_day)


@at_calendar_edges
def test_spend_agrees_with_cycle_events(client, cursor_sim, sim_team):
    no_limits(cursor_sim)
    cycle_start_ms = int(sim_team.cycle_start.timestamp() * 1000)
    assert sim_team.now - timedelta(days=31) < sim_team.cycle_start <= sim_team.now
    served = sim_team.usage_events(cycle_start_ms, sim_team.now_ms)
    overall, on_demand, premium = Counter(), Counter(), Counter()
    for e in served:
        overall[e["userEmail"]] += round(e["chargedCents"] * 10_000)
        if e["kind"] == "Usage-based":
            on_demand[e["userEmail"]] += round(e["chargedCents"] * 10_000)
            premium[e["userEmail"]] += 1
    data = client.post("/teams/spend", json={"pageSize": 500}).json()
    assert data["subscriptionCycleStart"] == cycle_start_ms
    rows = data["teamMemberSpend"]
    assert {r["email"] for r in rows} == {m["email"] for m in sim_team.members()}
    for row in rows:
        assert round(row["overallSpendCents"] * 10_000) == overall[row["email"]]
        assert round(row["spendCents"] * 10_000) == on_demand[row["email"]]
        assert row["fastPremiumRequests"] == premium[row["email"]]
    assert sorted(rows, key=lambda r: r["email"]) == sorted(sim_team.spend_rows(), key=lambda r: r["email"])


@at_calendar_edges
def test_revise_day_changes_rows_events_and_spend_consistently(client, cursor_sim, sim_team):
    no_limits(cursor_sim)
    day = sim_team.now.date() - timedelta(days=1)
    start, end = day_ms(day), day_ms(day) + DAY_MS - 1
    before_events = sim_team.usage_events(start, end)
    before_rows = sim_team.daily_rows(day, day)
    before_spend = {r["email"]: r["overallSpendCents"] for r in sim_team.spend_rows()}
    sim_team.revise_day(day)
    after_events = all_events(client, start, end)
    after_rows = client.post("/teams/daily-usage-data", json={"startDate": start, "endDate": end}).json()[
        "data"
    ]
    assert len(after_events) > len(before_events)
    assert Counter(map(fingerprint, before_events)) - Counter(map(fingerprint, after_events)) == Counter()
    # Identical twins are real requests, counted in the rows: count every served copy per member
    # (a set of fingerprints would merge the twins and come up short).
    requests_per_member = Counter()
    for r in after_rows:
        requests_per_member[r["email"]] += (
            r["subscriptionIncludedReqs"] + r["usageBasedReqs"] + r["apiKeyReqs"]
        )
    assert requests_per_member == Counter(e["userEmail"] for e in after_events)
    assert sum(requests_per_member.values()) == len(after_events)
    assert after_rows != before_rows
    if day >= sim_team.cycle_start.date():
        after_spend = {r["email"]: r["overallSpendCents"] for r in sim_team.spend_rows()}
        assert sum(after_spend.values()) >= sum(before_spend.values())


# -- spend ------------------------------------------------------------------------------------------


def test_spend_envelope_pages_search_and_sort(client, sim_team):
    data = client.post("/teams/spend", json={"page": 1, "pageSize": 7}).json()
    assert list(data) == ["teamMemberSpend", "subscriptionCycleStart", "totalMembers", "totalPages"]
    assert data["totalMembers"] == 20 and data["totalPages"] == 3
    assert len(data["teamMemberSpend"]) == 7
    row = data["teamMemberSpend"][0]
    assert set(row) == {
        "userId",
        "name",
        "email",
        "role",
        "spendCents",
        "overallSpendCents",
        "fastPremiumRequests",
        "hardLimitOverrideDollars",
        "monthlyLimitDollars",
        "effectivePerUserLimitDollars",
    }
    assert row["userId"].startswith("user_")
    everyone = []
    for page in (1, 2, 3):
        everyone += client.post("/teams/spend", json={"page": page, "pageSize": 7}).json()["teamMemberSpend"]
    assert len({r["email"] for r in everyone}) == 20
    last = client.post("/teams/spend", json={"page": 4, "pageSize": 7}).json()
    assert last["teamMemberSpend"] == []
    ranked = client.post("/teams/spend", json={"sortBy": "amount", "sortDirection": "desc"}).json()
    amounts = [r["spendCents"] for r in ranked["teamMemberSpend"]]
    assert amounts == sorted(amounts, reverse=True)
    someone = sim_team.members()[3]
    term = someone["name"].split()[1].upper()
    found = client.post("/teams/spend", json={"searchTerm": term}).json()
    assert someone["email"] in {r["email"] for r in found["teamMemberSpend"]}
    assert found["totalMembers"] < 20


# -- legacy shapes ----------------------------------------------------------------------------------


def test_legacy_shapes(client, sim_team):
    sim_team.legacy_shapes = True
    members = client.get("/teams/members").json()["teamMembers"]
    assert all(isinstance(m["id"], int) for m in members)
    spend = client.post("/teams/spend", json={}).json()["teamMemberSpend"]
    assert all(isinstance(r["userId"], int) for r in spend)
    assert all("overallSpendCents" not in r and "includedSpendCents" in r for r in spend)
    start, end = last_days_window(sim_team, 3)
    rows = client.post("/teams/daily-usage-data", json={"startDate": start, "endDate": end}).json()["data"]
    assert all(isinstance(r["userId"], int) for r in rows)
    data = client.post("/teams/filtered-usage-events", json={"startDate": start, "endDate": end}).json()
    assert data["pagination"]["pageSize"] == 10
    for e in data["usageEvents"]:
        assert "kind" not in e and e["kindLabel"]
        assert e["isFreeBugbot"] is False
    assert data["usageEvents"] == sim_team.usage_events(start, end)[:10]
    sim_team.legacy_shapes = False
    overall = {r["email"]: r["overallSpendCents"] for r in sim_team.spend_rows()}
    assert {r["email"]: r["spendCents"] for r in spend} == overall


# -- plan gating ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/analytics/team/dau", "/analytics/by-user/tabs", "/analytics/ai-code/commits"]
)
def test_team_plan_is_denied_enterprise_endpoints(cursor_sim, make_sim_team, path):
    team = make_sim_team(plan="team")
    with client_for(cursor_sim, team) as c:
        response = c.get(path)
        assert response.status_code == 403
        assert response.json() == FORBIDDEN
        team.enterprise_denied_status = 401
        response = c.get(path)
        assert response.status_code == 401
        assert response.json()["error"] == "Unauthorized"
        assert c.get("/teams/members").status_code == 200  # the Admin API still works


# -- analytics --------------------------------------------------------------------------------------

TEAM_METRICS = {
    "dau": ("dau", "date"),
    "models": ("models", "date"),
    "agent-edits": ("agent-edits", "event_date"),
    "tabs": ("tabs", "event_date"),
    "client-versions": ("client-versions", "event_date"),
    "top-file-extensions": ("top-files", "event_date"),
    "mcp": ("mcp", "event_date"),
    "commands": ("commands", "event_date"),
    "plans": ("plans", "event_date"),
    "ask-mode": ("ask-mode", "event_date"),
}


@pytest.mark.parametrize("endpoint", sorted(TEAM_METRICS))
def test_analytics_team_envelope(client, sim_team, endpoint):
    metric, date_key = TEAM_METRICS[endpoint]
    response = client.get(f"/analytics/team/{endpoint}", params={"startDate": "14d", "endDate": "today"})
    assert response.status_code == 200
    data = response.json()
    today = sim_team.now.date()
    assert data["params"] == {
        "metric": metric,
        "teamId": sim_team.team_id,
        "startDate": (today - timedelta(days=14)).isoformat(),
        "endDate": today.isoformat(),
    }
    assert data["data"], endpoint
    for row in data["data"]:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[date_key])
        assert ("event_date" if date_key == "date" else "date") not in row


@at_calendar_edges
def test_analytics_dau_matches_daily_rows(client, sim_team):
    data = client.get("/analytics/team/dau", params={"startDate": "10d"}).json()["data"]
    today = sim_team.now.date()
    active = Counter(r["day"] for r in sim_team.daily_rows(today - timedelta(days=10), today))
    assert {r["date"]: r["dau"] for r in data} == {
        d.isoformat(): active[d.isoformat()]
        for d in (today - timedelta(days=n) for n in range(11))
        if d >= sim_team.first_day
    }
    assert set(data[0]) == {"date", "dau", "cli_dau", "cloud_agent_dau", "bugbot_dau"}


@at_calendar_edges
def test_analytics_models_and_tabs_match_daily_rows(client, sim_team):
    day = sim_team.now.date() - timedelta(days=2)
    rows = sim_team.daily_rows(day, day)
    models = client.get(
        "/analytics/team/models", params={"startDate": day.isoformat(), "endDate": day.isoformat()}
    )
    breakdown = models.json()["data"][0]["model_breakdown"]
    total_events = sum(r["subscriptionIncludedReqs"] + r["usageBasedReqs"] + r["apiKeyReqs"] for r in rows)
    assert sum(v["messages"] for v in breakdown.values()) == total_events
    tabs = client.get(
        "/analytics/team/tabs", params={"startDate": day.isoformat(), "endDate": day.isoformat()}
    )
    tab_row = tabs.json()["data"][0]
    assert tab_row["total_suggestions"] == sum(r["totalTabsShown"] for r in rows)
    assert tab_row["total_accepts"] == sum(r["totalTabsAccepted"] for r in rows)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (7, 0)),
        ("yesterday", "today", (1, 0)),
        ("now", "now", (0, 0)),
        ("3d", "1d", (3, 1)),
        ("{d5}", "{d2}", (5, 2)),
        ("{d5}T14:30:00Z", "{d2}T08:00:00+00:00", (5, 2)),
    ],
)
@at_calendar_edges
def test_analytics_date_formats(client, sim_team, start, end, expected):
    today = sim_team.now.date()
    fill = {"d5": (today - timedelta(days=5)).isoformat(), "d2": (today - timedelta(days=2)).isoformat()}
    params = {}
    if start:
        params["startDate"] = start.format(**fill)
    if end:
        params["endDate"] = end.format(**fill)
    got = client.get("/analytics/team/agent-edits", params=params).json()["params"]
    assert got["startDate"] == (today - timedelta(days=expected[0])).isoformat()
    assert got["endDate"] == (today - timedelta(days=expected[1])).isoformat()


def test_analytics_rejects_ranges_over_30_days_and_bad_dates(client):
    response = client.get("/analytics/team/dau", params={"startDate": "31d", "endDate": "today"})
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    assert client.get("/analytics/team/dau", params={"startDate": "30d"}).status_code == 200
    assert client.get("/analytics/team/dau", params={"startDate": "last tuesday"}).status_code == 400


def test_analytics_unknown_users_filter_is_400(client, sim_team):
    response = client.get("/analytics/team/tabs", params={"users": "ghost@example.com"})
    assert response.status_code == 400
    assert response.json() == {"error": "Bad Request", "message": "Some users are not in the team"}
    member = sim_team.members()[0]
    ok = client.get("/analytics/team/dau", params={"users": f"{member['email']},{member['id']}"})
    assert ok.status_code == 200
    assert all(r["dau"] <= 1 for r in ok.json()["data"])


def test_analytics_leaderboard_pagination_and_ranks(client):
    first = client.get("/analytics/team/leaderboard", params={"startDate": "14d", "pageSize": 5}).json()
    assert set(first["data"]) == {"tab_leaderboard", "agent_leaderboard"}
    assert first["params"]["page"] == 1 and first["params"]["pageSize"] == 5
    pagination = first["pagination"]
    assert set(pagination) == {
        "page",
        "pageSize",
        "totalUsers",
        "totalPages",
        "hasNextPage",
        "hasPreviousPage",
    }
    assert pagination["hasNextPage"] is True
    tab = first["data"]["tab_leaderboard"]["data"]
    assert [e["rank"] for e in tab] == [1, 2, 3, 4, 5]
    assert set(tab[0]) >= {"email", "user_id", "total_accepts", "total_lines_accepted", "accept_ratio"}
    agent = first["data"]["agent_leaderboard"]["data"][0]
    assert "accept_ratio" not in agent
    second = client.get("/analytics/team/leaderboard", params={"startDate": "14d", "pageSize": 5, "page": 2})
    assert [e["rank"] for e in second.json()["data"]["tab_leaderboard"]["data"]] == [6, 7, 8, 9, 10]
    third_email = tab[2]["email"]
    filtered = client.get("/analytics/team/leaderboard", params={"startDate": "14d", "users": third_email})
    assert [e["rank"] for e in filtered.json()["data"]["tab_leaderboard"]["data"]] == [3]


def test_analytics_by_user_is_keyed_by_email_with_user_mappings(client, sim_team):
    data = client.get("/analytics/by-user/agent-edits", params={"startDate": "7d", "pageSize": 4}).json()
    assert len(data["data"]) == 4
    mappings = data["params"]["userMappings"]
    assert [m["email"] for m in mappings] == list(data["data"])
    assert all(m["id"].startswith("user_") for m in mappings)
    assert data["pagination"]["totalUsers"] > 4


# -- AI code tracking -------------------------------------------------------------------------------


def test_ai_code_commits_envelope_and_fields(client):
    data = client.get("/analytics/ai-code/commits", params={"startDate": "14d", "endDate": "now"}).json()
    assert list(data) == ["items", "totalCount", "page", "pageSize"]
    assert data["pageSize"] == 100 and data["page"] == 1
    assert data["totalCount"] > 0
    commit = data["items"][0]
    assert set(commit) == {
        "commitHash",
        "userId",
        "userEmail",
        "repoName",
        "branchName",
        "isPrimaryBranch",
        "commitSource",
        "totalLinesAdded",
        "totalLinesDeleted",
        "tabLinesAdded",
        "tabLinesDeleted",
        "composerLinesAdded",
        "composerLinesDeleted",
        "nonAiLinesAdded",
        "nonAiLinesDeleted",
        "message",
        "commitTs",
        "createdAt",
    }
    assert commit["userId"].startswith("user_") and commit["commitSource"] in {"ide", "cli", "cloud"}
    for c in data["items"]:
        ai = c["tabLinesAdded"] + c["composerLinesAdded"]
        assert c["nonAiLinesAdded"] == max(0, c["totalLinesAdded"] - ai)


def test_ai_code_changes_pages_and_page_size_clamp(client, sim_team):
    data = client.get("/analytics/ai-code/changes", params={"startDate": "7d", "pageSize": 5000}).json()
    assert data["pageSize"] == 1000
    change = data["items"][0]
    assert set(change) == {
        "changeId",
        "userId",
        "userEmail",
        "source",
        "model",
        "totalLinesAdded",
        "totalLinesDeleted",
        "createdAt",
        "metadata",
    }
    assert change["changeId"].isdigit() and change["source"] in {"TAB", "COMPOSER"}
    assert set(change["metadata"][0]) == {"fileName", "fileExtension", "linesAdded", "linesDeleted"}
    page2 = client.get(
        "/analytics/ai-code/changes", params={"startDate": "7d", "pageSize": 10, "page": 2}
    ).json()
    assert page2["items"] == data["items"][10:20]
    email = change["userEmail"]
    mine = client.get("/analytics/ai-code/changes", params={"startDate": "7d", "user": email}).json()
    assert mine["items"] and all(c["userEmail"] == email for c in mine["items"])


# -- ETag / 304 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/analytics/team/dau", "/analytics/by-user/tabs", "/analytics/ai-code/commits"]
)
def test_etag_and_304_on_analytics_and_ai_code(client, sim_team, path):
    first = client.get(path, params={"startDate": "7d"})
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=900"
    again = client.get(path, params={"startDate": "7d"}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = client.get(path, params={"startDate": "6d"}, headers={"If-None-Match": etag})
    assert other.status_code == 200
    sim_team.revise_day(sim_team.now.date() - timedelta(days=1))
    assert client.get(path, params={"startDate": "7d"}, headers={"If-None-Match": etag}).status_code == 200


def test_analytics_etag_ignores_the_time_part_of_dates(client, sim_team):
    day = (sim_team.now.date() - timedelta(days=3)).isoformat()
    etag = client.get("/analytics/team/tabs", params={"startDate": f"{day}T14:30:00Z"}).headers["ETag"]
    again = client.get("/analytics/team/tabs", params={"startDate": day}, headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_admin_endpoints_have_no_etag(client, sim_team):
    response = client.get("/teams/members")
    assert "ETag" not in response.headers
    assert "ETag" not in client.post("/teams/spend", json={}).headers


def test_304_does_not_count_toward_rate_limits(client, cursor_sim, sim_team):
    cursor_sim.set_limits({"analytics_team": 2})
    etag = client.get("/analytics/team/dau").headers["ETag"]
    for _ in range(5):
        assert client.get("/analytics/team/dau", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/analytics/team/models").status_code == 200
    assert client.get("/analytics/team/tabs").status_code == 429


# -- rate limits ------------------------------------------------------------------------------------


def test_admin_rate_limit_is_20_per_minute_without_retry_after(client, sim_team):
    statuses = [client.get("/teams/members").status_code for _ in range(20)]
    assert statuses == [200] * 20
    response = client.post("/teams/spend", json={})  # the same admin bucket
    assert response.status_code == 429
    assert response.json() == TOO_MANY
    assert "Retry-After" not in response.headers
    # Other families have their own buckets.
    start, end = last_days_window(sim_team, 1)
    ok = client.post("/teams/filtered-usage-events", json={"startDate": start, "endDate": end})
    assert ok.status_code == 200
    assert [entry[1:] for entry in sim_team.request_log[-2:]] == [
        ("admin", "/teams/spend", 429),
        ("usage_events", "/teams/filtered-usage-events", 200),
    ]


def test_rate_limit_headers_on_request_and_window_reset(client, cursor_sim):
    cursor_sim.rate_window_seconds = 1.0
    cursor_sim.set_limits({"admin": 3})
    cursor_sim.retry_after_header = True
    cursor_sim.rate_limit_reset_header = True
    assert [client.get("/teams/members").status_code for _ in range(3)] == [200] * 3
    limited = client.get("/teams/members")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert int(limited.headers["X-RateLimit-Reset"]) >= int(time.time())
    time.sleep(1.05)
    assert client.get("/teams/members").status_code == 200


def test_ai_code_limit_is_per_endpoint(client, cursor_sim):
    cursor_sim.set_limits({"ai_code": 2})
    assert [client.get("/analytics/ai-code/commits", params={"page": n}).status_code for n in (1, 2, 3)] == [
        200,
        200,
        429,
    ]
    assert client.get("/analytics/ai-code/changes").status_code == 200


def test_rate_limits_are_per_team_and_can_be_switched_off(client, cursor_sim, make_sim_team):
    cursor_sim.set_limits({"admin": 1})
    assert client.get("/teams/members").status_code == 200
    assert client.get("/teams/members").status_code == 429
    other = make_sim_team(seed=2)
    with client_for(cursor_sim, other) as c:
        assert c.get("/teams/members").status_code == 200
    cursor_sim.rate_limits = False
    assert client.get("/teams/members").status_code == 200


# -- faults -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("retry_after", [True, False])
def test_fault_rate_limit_storm(client, sim_team, retry_after):
    sim_team.faults.rate_limit_storm(2, retry_after=retry_after, reset_header=True)
    for _ in range(2):
        response = client.get("/teams/members")
        assert response.status_code == 429
        assert response.json() == TOO_MANY
        assert ("Retry-After" in response.headers) == retry_after
        assert "X-RateLimit-Reset" in response.headers
    assert client.get("/teams/members").status_code == 200


def test_fault_fail_on_call_hits_only_the_nth_request(client, sim_team):
    sim_team.faults.fail_on_call(3, status=500)
    statuses = [client.get("/teams/members").status_code for _ in range(4)]
    assert statuses == [200, 200, 500, 200]
    sim_team.faults.fail_on_call(1, status=502)
    response = client.get("/teams/members")
    assert response.status_code == 502 and response.json()["error"] == "Bad Gateway"


def test_fault_fail_next_with_path_filter(client, sim_team):
    path = "/teams/filtered-usage-events"
    sim_team.faults.fail_next(2, status=503, path=path)
    assert client.get("/teams/members").status_code == 200  # other paths are untouched
    body = {"startDate": sim_team.now_ms - DAY_MS, "endDate": sim_team.now_ms}
    first = client.post(path, json=body)
    assert first.status_code == 503
    assert first.json() == {"error": "Service Unavailable", "message": "Service temporarily unavailable"}
    assert client.post(path, json=body).status_code == 503
    assert client.post(path, json=body).status_code == 200


def test_fault_internal_error_body(client, sim_team):
    sim_team.faults.fail_next(1, status=500)
    response = client.get("/teams/members")
    assert response.json() == {"error": "Internal Server Error", "message": "An unexpected error occurred"}


def test_fault_slow_response_trips_client_timeouts(cursor_sim, sim_team):
    sim_team.faults.slow_seconds = 0.5
    with httpx.Client(base_url=cursor_sim.base_url, auth=(sim_team.api_key, ""), timeout=0.1) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.get("/teams/members")
    sim_team.faults.reset()
    with client_for(cursor_sim, sim_team) as c:
        started = time.monotonic()
        assert c.get("/teams/members").status_code == 200
        assert time.monotonic() - started < 0.5


def test_fault_malformed_json(client, sim_team):
    sim_team.faults.malformed_json_next(1)
    response = client.get("/teams/members")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert client.get("/teams/members").json()["teamMembers"]


def test_fault_malformed_record_on_events_adds_one_broken_record(client, sim_team):
    start, end = last_days_window(sim_team, 2)
    body = {"startDate": start, "endDate": end, "pageSize": 50}
    sim_team.faults.malformed_record_next(1, path="/teams/filtered-usage-events")
    broken = client.post("/teams/filtered-usage-events", json=body).json()
    good = client.post("/teams/filtered-usage-events", json=body).json()
    assert broken["usageEvents"][0]["timestamp"] == "not-a-number"
    assert broken["usageEvents"][1:] == good["usageEvents"]
    assert broken["totalUsageEventsCount"] == good["totalUsageEventsCount"]


@pytest.mark.parametrize(
    ("method", "path", "list_key", "is_broken"),
    [
        ("GET", "/teams/members", "teamMembers", lambda r: "email" not in r),
        ("POST", "/teams/spend", "teamMemberSpend", lambda r: "email" not in r),
        (
            "POST",
            "/teams/daily-usage-data",
            "data",
            lambda r: not isinstance(r["date"], int) and "email" not in r,
        ),
        ("GET", "/analytics/ai-code/commits", "items", lambda r: r["userEmail"] is None),
    ],
)
def test_fault_malformed_record_other_endpoints(client, sim_team, method, path, list_key, is_broken):
    body = {"startDate": sim_team.now_ms - 3 * DAY_MS, "endDate": sim_team.now_ms}
    sim_team.faults.malformed_record_next(1)
    broken = client.request(method, path, json=body if method == "POST" else None).json()[list_key]
    good = client.request(method, path, json=body if method == "POST" else None).json()[list_key]
    assert broken[1:] == good
    assert is_broken(broken[0])
    assert not any(is_broken(r) for r in good)


def test_faults_reset(client, sim_team):
    sim_team.faults.fail_next(5)
    sim_team.faults.reset()
    assert client.get("/teams/members").status_code == 200


# -- audit logs -------------------------------------------------------------------------------------


def test_audit_logs_envelope_and_filters(client, sim_team):
    data = client.get(
        "/teams/audit-logs", params={"startTime": "14d", "endTime": "now", "pageSize": 5}
    ).json()
    assert set(data) == {"events", "pagination", "params"}
    assert set(data["pagination"]) == {
        "page",
        "pageSize",
        "totalCount",
        "totalPages",
        "hasNextPage",
        "hasPreviousPage",
    }
    assert data["params"]["teamId"] == sim_team.team_id
    assert data["params"]["endDate"] == sim_team.now_ms
    event = data["events"][0]
    assert set(event) == {"event_id", "timestamp", "ip_address", "user_email", "event_type", "event_data"}
    assert event["timestamp"].endswith("Z")
    logins = client.get(
        "/teams/audit-logs", params={"startTime": "14d", "eventTypes": "login", "pageSize": 500}
    )
    assert {e["event_type"] for e in logins.json()["events"]} == {"login"}
    stamps = [e["timestamp"] for e in logins.json()["events"]]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize("start", ["7d", "168h", "604800s", "{iso}", "{date}", "{secs}", "{ms}", "yesterday"])
@at_calendar_edges
def test_audit_logs_time_formats(client, sim_team, start):
    week_ago = sim_team.now - timedelta(days=7)
    value = start.format(
        iso=week_ago.isoformat(),
        date=week_ago.date().isoformat(),
        secs=int(week_ago.timestamp()),
        ms=int(week_ago.timestamp() * 1000),
    )
    response = client.get("/teams/audit-logs", params={"startTime": value})
    assert response.status_code == 200
    got = response.json()["params"]["startDate"]
    assert abs(got - int(week_ago.timestamp() * 1000)) <= 7 * DAY_MS


def test_audit_logs_limits(client, sim_team):
    assert client.get("/teams/audit-logs", params={"startTime": "31d"}).status_code == 400
    assert client.get("/teams/audit-logs", params={"pageSize": 0}).status_code == 400
    assert client.get("/teams/audit-logs", params={"pageSize": 900}).json()["pagination"]["pageSize"] == 500


# -- determinism ------------------------------------------------------------------------------------


def test_teams_take_their_now_from_the_simulators_clock(cursor_sim, sim_team, sim_now):
    leap_day = datetime(2028, 2, 29, 23, 0, tzinfo=UTC)
    sim = CursorSimulator(rate_limits=False, clock=lambda: leap_day)
    team = sim.add_team(seats=5, days=3)
    assert team.now == leap_day and team.first_day == date(2028, 2, 27)
    assert sim.add_team(seats=5, days=3, now=sim_now).now == sim_now  # an explicit `now` wins
    assert sim_team.now == sim_now  # the fixtures' teams run at `sim_now`, not today
    with client_for(cursor_sim, sim_team) as c:
        dau = c.get("/analytics/team/dau", params={"startDate": "1d", "endDate": "today"}).json()
    assert [row["date"] for row in dau["data"]] == [
        (sim_now.date() - timedelta(days=1)).isoformat(),
        sim_now.date().isoformat(),
    ]


@at_calendar_edges
def test_same_seed_same_data_regardless_of_generation_order(sim_now):
    a, b = CursorSimulator(rate_limits=False), CursorSimulator(rate_limits=False)
    team_a = a.add_team(seats=30, days=20, seed=7, now=sim_now)
    team_b = b.add_team(seats=30, days=20, seed=7, now=sim_now)
    start, end = day_ms(team_a.first_day), team_a.now_ms
    # Generate b's days newest-first and one day early, a's oldest-first.
    team_b.day_data(sim_now.date() - timedelta(days=4))
    events_b = team_b.usage_events(start, end)
    team_a.warm()
    assert team_a.members() == team_b.members()
    assert team_a.usage_events(start, end) == events_b
    assert team_a.daily_rows(team_a.first_day, sim_now.date()) == team_b.daily_rows(
        team_b.first_day, sim_now.date()
    )
    assert team_a.spend_rows() == team_b.spend_rows()
    other = CursorSimulator().add_team(seats=30, days=20, seed=8, now=sim_now)
    assert other.members() != team_a.members()


@at_calendar_edges
def test_past_days_do_not_change_when_now_moves(sim_now):
    sim = CursorSimulator(rate_limits=False)
    team = sim.add_team(seats=15, days=10, seed=3, now=sim_now)
    day = sim_now.date() - timedelta(days=2)
    before = team.daily_rows(day, day)
    today_before = team.daily_rows(sim_now.date(), sim_now.date())
    team.now = sim_now + timedelta(hours=6)
    assert team.daily_rows(day, day) == before
    today_after = team.daily_rows(sim_now.date(), sim_now.date())
    assert sum(r["agentRequests"] for r in today_after) >= sum(r["agentRequests"] for r in today_before)


@at_calendar_edges
def test_events_are_truncated_at_now(make_sim_team, sim_now):
    team = make_sim_team()
    assert team.now == sim_now
    today = sim_now.date()
    events = team.usage_events(day_ms(today - timedelta(days=1)), day_ms(today) + DAY_MS)
    assert events and max(int(e["timestamp"]) for e in events) <= team.now_ms


# -- speed ------------------------------------------------------------------------------------------


def test_serves_events_fast(cursor_sim, make_sim_team):
    """The sync targets >= 50k events/s end to end (bench/sync_bench.py), so the server alone must
    beat that comfortably. Best of three sweeps, raw bodies only, so a busy CI machine does not make
    it flaky."""
    cursor_sim.rate_limits = False
    team = make_sim_team(seats=200, days=14)  # > 20k events on any date (usage grows with the date)
    team.warm()
    start, end = day_ms(team.first_day), team.now_ms
    total = len(team.usage_events(start, end))
    assert total > 20_000
    best = 0.0
    with client_for(cursor_sim, team) as c:
        for _ in range(3):
            started = time.perf_counter()
            for page in range(1, math.ceil(total / 1000) + 1):
                body = {"startDate": start, "endDate": end, "page": page, "pageSize": 1000}
                assert c.post("/teams/filtered-usage-events", json=body).status_code == 200
            best = max(best, total / (time.perf_counter() - started))
    assert best > 100_000, f"{best:.0f} events/s"
