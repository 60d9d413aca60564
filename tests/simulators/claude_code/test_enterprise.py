"""The Claude Enterprise Analytics endpoints over loopback HTTP (docs/claude-code-api.md §5)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from simulators.claude_code.generate import discounted, list_micro_cents

from .conftest import client
from .helpers import A_USERS, COST, USAGE, next_page_all

A_WEDNESDAY = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


def latest_day(org):
    return (org.now - timedelta(hours=34)).date()


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def midnight(day):
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def independent_code_metrics(org, person, start, end):
    """Sums straight from the sessions, without the simulator's row code."""
    totals = defaultdict(int)
    day = start
    while day < end:
        for s in org.sessions(day, person):
            if s.visible_s > org.now_s:
                continue
            totals["sessions"] += 1
            totals["commits"] += s.commits
            totals["added"] += s.lines_added
            totals["edit_accepted"] += s.tools.get("edit_tool", [0, 0])[0]
        day += timedelta(days=1)
    return dict(totals)


# -- /analytics/users -------------------------------------------------------------------------------


def test_users_rows_page_with_next_page_and_match_the_sessions(analytics, enterprise):
    day = latest_day(enterprise)
    truth = enterprise.engagement_rows(day, day + timedelta(days=1))
    assert len(truth) > 5
    rows, pages = next_page_all(analytics, A_USERS, [("date", day.isoformat()), ("limit", "4")])
    assert rows == truth and pages == -(-len(truth) // 4)
    assert [r["user"]["email_address"] for r in rows] == sorted(r["user"]["email_address"] for r in rows)
    body = analytics.get(A_USERS, params={"date": day.isoformat()}).json()
    assert set(body) == {"data", "next_page"} and body["next_page"] is None  # default limit 100
    for row in rows:
        person = enterprise.person(row["user"]["id"])
        code = row["claude_code_metrics"]
        mine = independent_code_metrics(enterprise, person, day, day + timedelta(days=1))
        assert code["core_metrics"]["distinct_session_count"] == mine.get("sessions", 0)
        assert code["core_metrics"]["commit_count"] == mine.get("commits", 0)
        assert code["core_metrics"]["lines_of_code"]["added_count"] == mine.get("added", 0)
        assert code["tool_actions"]["edit_tool"]["accepted_count"] == mine.get("edit_accepted", 0)
        assert set(code["tool_actions"]) == {
            "edit_tool",
            "multi_edit_tool",
            "notebook_edit_tool",
            "write_tool",
        }
        assert row["last_activity_date"] == day.isoformat()
        assert row["user"]["type"] == "user"


def test_users_range_sums_the_days(analytics, enterprise):
    end = latest_day(enterprise) + timedelta(days=1)
    start = end - timedelta(days=7)
    rows, _ = next_page_all(
        analytics,
        A_USERS,
        [("starting_date", start.isoformat()), ("ending_date", end.isoformat()), ("limit", "1000")],
    )
    assert rows == enterprise.engagement_rows(start, end)
    for row in rows[:5]:
        person = enterprise.person(row["user"]["email_address"])
        mine = independent_code_metrics(enterprise, person, start, end)
        assert row["claude_code_metrics"]["core_metrics"]["distinct_session_count"] == mine.get("sessions", 0)


def test_users_filter_by_user_id(analytics, enterprise):
    day = latest_day(enterprise)
    truth = enterprise.engagement_rows(day, day + timedelta(days=1))
    wanted = truth[2]["user"]["id"]
    rows = analytics.get(
        A_USERS, params=[("date", day.isoformat()), ("filter[]", f"user_id:{wanted}")]
    ).json()["data"]
    assert rows == [truth[2]]


def test_the_lag_answers_400_naming_the_most_recent_day(analytics, enterprise):
    latest = latest_day(enterprise)
    too_recent = latest + timedelta(days=1)
    response = analytics.get(A_USERS, params={"date": too_recent.isoformat()})
    assert response.status_code == 400
    assert latest.isoformat() in response.json()["error"]["message"]
    enterprise.engagement_lag_hours = 34 + 72  # the older Help Center rule
    response = analytics.get(A_USERS, params={"date": latest.isoformat()})
    assert response.status_code == 400
    assert (latest - timedelta(days=3)).isoformat() in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"date": "2025-12-31"},
        {"date": "2026-11-10", "starting_date": "2026-11-01"},
        {"starting_date": "2026-11-10", "ending_date": "2026-11-10"},
        {"starting_date": "2025-01-01", "ending_date": "2026-11-10"},
        {"date": "2026-11-10", "limit": "1001"},
        {"date": "2026-11-10", "filter[]": "team:x"},
        {"date": "2026-11-10", "group_by[]": "rbac_group_id"},
    ],
)
def test_users_bad_queries_are_400(analytics, params):
    response = analytics.get(A_USERS, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_users_span_and_lookback_follow_the_switches(cc_sim, make_org):
    # A moment far enough past 2026-01-01 (the earliest day) for a 100-day range.
    enterprise = make_org("enterprise", now=A_WEDNESDAY)
    end = latest_day(enterprise) + timedelta(days=1)
    params = {"starting_date": (end - timedelta(days=100)).isoformat(), "ending_date": end.isoformat()}
    with client(cc_sim, enterprise.enterprise_key) as analytics:
        assert analytics.get(A_USERS, params=params).status_code == 200
        enterprise.engagement_max_span_days = 90
        assert analytics.get(A_USERS, params=params).status_code == 400
        enterprise.engagement_max_span_days = 366
        enterprise.engagement_lookback_days = 90
        assert analytics.get(A_USERS, params=params).status_code == 400


def test_inactive_seats_are_rows_only_when_switched_on(enterprise):
    day = latest_day(enterprise)
    active = enterprise.engagement_rows(day, day + timedelta(days=1))
    enterprise.users_include_inactive = True
    everyone = enterprise.engagement_rows(day, day + timedelta(days=1))
    assert len(everyone) > len(active)
    assert all(r in everyone for r in active)


def test_cursors_are_bound_to_their_query_and_expire(analytics, enterprise):
    day = latest_day(enterprise)
    first = analytics.get(A_USERS, params={"date": day.isoformat(), "limit": 2}).json()
    cursor = first["next_page"]
    assert cursor
    other = analytics.get(
        A_USERS, params={"date": (day - timedelta(days=1)).isoformat(), "limit": 2, "page": cursor}
    )
    assert other.status_code == 400
    enterprise.expire_cursors()
    expired = analytics.get(A_USERS, params={"date": day.isoformat(), "limit": 2, "page": cursor})
    assert expired.status_code == 410
    assert analytics.get(A_USERS, params={"date": day.isoformat(), "limit": 2}).status_code == 200


# -- cost and usage reports -------------------------------------------------------------------------


def week(org):
    end = midnight(org.now.date() - timedelta(days=1))
    return end - timedelta(days=7), end


def cost_params(start, end, *extra):
    return [
        ("starting_at", iso(start)),
        ("ending_at", iso(end)),
        ("bucket_width", "1d"),
        ("limit", "7"),
        *extra,
    ]


def test_cost_report_pages_and_decimal_string_cents(analytics, enterprise):
    start, end = week(enterprise)
    rows, pages = next_page_all(
        analytics, COST, cost_params(start, end, ("products[]", "claude_code"), ("group_by[]", "model"))
    )
    assert rows == enterprise.cost_rows(
        start, end, bucket_width="1d", products=["claude_code"], group_by=("model",)
    )
    assert pages > 1 and len(rows) > 10
    body = analytics.get(COST, params=cost_params(start, end)).json()
    assert set(body) == {"data", "data_refreshed_at", "has_more", "next_page", "organization_id"}
    assert body["organization_id"] == enterprise.organization_id
    assert body["data_refreshed_at"] == iso((enterprise.now - timedelta(hours=4)).replace(minute=0, second=0))
    for row in rows:
        assert isinstance(row["amount"], str) and isinstance(row["list_amount"], str)
        assert Decimal(row["amount"]) <= Decimal(row["list_amount"])
        assert len(row["amount"].split(".")[1]) == 6
        assert row["currency"] == "USD" and row["product"] is None and row["model"]
        assert row["ending_at"] == iso(
            datetime.fromisoformat(row["starting_at"].replace("Z", "+00:00")) + timedelta(days=1)
        )
        assert set(row["actor"]) == {"type", "user_id", "email", "name", "deleted"}


def test_cost_totals_agree_across_groupings_and_with_the_sessions(enterprise):
    start, end = week(enterprise)
    by_model = enterprise.cost_rows(
        start, end, bucket_width="1d", products=["claude_code"], group_by=("model",)
    )
    plain = enterprise.cost_rows(start, end, bucket_width="1d", products=["claude_code"])
    summed = defaultdict(Decimal)
    for row in by_model:
        summed[(row["starting_at"], row["actor"]["user_id"])] += Decimal(row["amount"])
    assert {(r["starting_at"], r["actor"]["user_id"]): Decimal(r["amount"]) for r in plain} == dict(summed)
    # independently: one person-day from the sessions
    row = plain[0]
    person = enterprise.person(row["actor"]["user_id"])
    day = date.fromisoformat(row["starting_at"][:10])
    micro = sum(
        discounted(list_micro_cents(m, tuple(t[:4])))
        for s in enterprise.sessions(day, person)
        if s.visible_s + 4 * 3600 <= enterprise.now_s
        for m, t in s.models.items()
    )
    assert Decimal(row["amount"]) == Decimal(micro) / 1_000_000


def test_products_filter_and_product_grouping(enterprise):
    start, end = week(enterprise)
    every = enterprise.cost_rows(start, end, group_by=("product",))
    assert {r["product"] for r in every} == {"chat", "claude_code"}
    code = enterprise.cost_rows(start, end, products=["claude_code"], group_by=("product",))
    assert code == [r for r in every if r["product"] == "claude_code"]
    assert all("starting_at" not in r for r in every)  # no bucket_width: one row per user


def test_usage_report_tokens(analytics, enterprise):
    start, end = week(enterprise)
    rows, _ = next_page_all(
        analytics, USAGE, cost_params(start, end, ("products[]", "claude_code"), ("group_by[]", "model"))
    )
    assert rows == enterprise.usage_rows(
        start, end, bucket_width="1d", products=["claude_code"], group_by=("model",)
    )
    for row in rows:
        cache = row["cache_creation"]
        assert row["total_tokens"] == (
            row["uncached_input_tokens"]
            + row["output_tokens"]
            + row["cache_read_input_tokens"]
            + cache["ephemeral_1h_input_tokens"]
            + cache["ephemeral_5m_input_tokens"]
        )
        assert row["requests"] > 0 and "amount" not in row


def test_cost_is_revised_as_late_data_arrives(make_org):
    # Late data is a share of sessions: pinned to a working week so there are enough of them.
    enterprise = make_org("enterprise", now=A_WEDNESDAY)
    start, end = week(enterprise)
    end = midnight(enterprise.now.date())
    before = enterprise.cost_rows(start, end, bucket_width="1d")
    enterprise.now += timedelta(days=3)
    assert enterprise.cost_rows(start, end, bucket_width="1d") != before


def test_order_by_amount(analytics, enterprise):
    start, end = week(enterprise)
    rows, _ = next_page_all(analytics, COST, cost_params(start, end, ("order_by", "amount")))
    amounts = [Decimal(r["amount"]) for r in rows]
    assert amounts == sorted(amounts, reverse=True)


def test_deleted_users_have_a_null_email(make_org):
    org = make_org("enterprise", seed=3, users=30, days=60)
    ex = next(p for p in org.people if not p.listed)
    start = midnight(org.first_day)
    rows = org.cost_rows(start, start + timedelta(days=31), user_ids=[ex.user_id])
    assert rows and all(r["actor"]["email"] is None and r["actor"]["deleted"] is True for r in rows)


@pytest.mark.parametrize(
    "extra",
    [
        [],
        [("starting_at", "yesterday")],
        [("starting_at", "2025-12-01T00:00:00Z")],
        [("starting_at", "2026-10-01T00:00:00Z"), ("ending_at", "2026-11-05T00:00:00Z")],
        [("starting_at", "2026-11-05T00:00:00Z"), ("ending_at", "2026-11-05T00:00:00Z")],
        [("starting_at", "2026-11-05T00:00:00Z"), ("bucket_width", "1w")],
        [("starting_at", "2026-11-05T00:00:00Z"), ("bucket_width", "1h")],
        [("starting_at", "2026-11-05T00:00:00Z"), ("products[]", "excel")],
        [("starting_at", "2026-11-05T00:00:00Z"), ("group_by[]", "colour")],
        [("starting_at", "2026-11-05T00:00:00Z"), ("group_by[]", "speed")],
        [("starting_at", "2026-11-05T00:00:00Z"), ("order_by", "requests")],
        [("starting_at", "2026-11-05T00:00:00Z"), ("order", "sideways")],
        [("starting_at", "2026-11-05T00:00:00Z"), ("limit", "0")],
    ],
)
def test_cost_report_bad_queries_are_400(analytics, extra):
    response = analytics.get(COST, params=extra)
    assert response.status_code == 400, response.text


def test_cost_window_is_the_last_365_days(cc_sim, make_org):
    org = make_org("enterprise", now=datetime(2027, 6, 1, 12, tzinfo=UTC), days=30)
    with client(cc_sim, org.enterprise_key) as c:
        assert c.get(COST, params={"starting_at": "2026-05-31T00:00:00Z"}).status_code == 400
        assert c.get(COST, params={"starting_at": "2026-06-02T00:00:00Z"}).status_code == 200
        assert c.get(COST, params={"starting_at": "2027-06-02T00:00:00Z"}).status_code == 400  # future
