"""People shared with the Cursor simulator, and the calendar edges every date computation must hold at."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from simulators.claude_code import ClaudeCodeSimulator
from simulators.cursor import CursorSimulator

from .conftest import client
from .helpers import A_USERS, COST, next_page_all, report_day

CALENDAR_EDGES = [
    datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
    datetime(2026, 4, 30, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 6, 30, 22, 0, tzinfo=UTC),  # the day before the model ids change
    datetime(2026, 12, 1, 9, 5, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC),
    datetime(2027, 2, 28, 12, 0, tzinfo=UTC),
    datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    datetime(2028, 3, 1, 0, 5, tzinfo=UTC),
]
at_calendar_edges = pytest.mark.parametrize(
    "sim_now", CALENDAR_EDGES, ids=[m.strftime("%Y-%m-%dT%H:%M") for m in CALENDAR_EDGES]
)


def test_people_are_shared_with_a_cursor_team_of_the_same_seed(sim_now):
    cursor = CursorSimulator(rate_limits=False)
    team = cursor.add_team(seats=40, days=30, seed=7, now=sim_now)
    claude = ClaudeCodeSimulator(now=sim_now, seed=7, users=40, days=30)
    cursor_emails = {m["email"] for m in team.members() if not m["isRemoved"]}
    for org in (claude.console, claude.enterprise):
        users = {u["email"] for u in org.users_list()}
        shared = users & cursor_emails
        assert set(org.shared_emails()) == shared
        assert 0.5 * len(users) <= len(shared) < len(users)  # some people, not all
        names = {m["email"]: m["name"] for m in team.members()}
        assert all(u["name"] == names[u["email"]] for u in org.users_list() if u["email"] in shared)
    assert set(claude.console.shared_emails()) == set(claude.enterprise.shared_emails())


def test_cursor_seats_lets_the_claude_org_be_smaller_than_the_cursor_team(sim_now):
    team = CursorSimulator(rate_limits=False).add_team(seats=60, days=30, seed=2, now=sim_now)
    org = ClaudeCodeSimulator(now=sim_now, seed=2, users=10, days=30, cursor_seats=60).console
    cursor_emails = {m["email"] for m in team.members()}
    assert len(org.users_list()) == 10
    assert len(set(org.shared_emails()) & cursor_emails) == 7


@at_calendar_edges
def test_console_report_at_calendar_edges(admin, console, sim_now):
    today = sim_now.date()
    for day in (today, today - timedelta(days=1), today - timedelta(days=2)):
        rows, _ = report_day(admin, day, limit=5)
        assert rows == console.report_rows(day)
        assert all(r["date"] == f"{day.isoformat()}T00:00:00Z" for r in rows)
        era = (
            {"claude-sonnet-5", "claude-opus-4-8"}
            if day >= date(2026, 7, 1)
            else {"claude-sonnet-4-20250514", "claude-opus-4-6"}
        )
        models = {m["model"] for r in rows for m in r["model_breakdown"]} - {"claude-3-5-haiku-20241022"}
        assert models <= era
    if sim_now.hour == 0:  # just after midnight nothing of today is an hour old yet
        assert console.report_rows(today) == []


@at_calendar_edges
def test_leap_day_and_month_ends_are_ordinary_days(admin, console, sim_now):
    if sim_now.date() == date(2028, 3, 1):
        response = admin.get(
            "/v1/organizations/usage_report/claude_code", params={"starting_at": "2028-02-29"}
        )
        assert response.status_code == 200 and response.json()["data"]
    assert (
        admin.get(
            "/v1/organizations/usage_report/claude_code", params={"starting_at": "2027-02-29"}
        ).status_code
        == 400
    )


@at_calendar_edges
def test_enterprise_lag_and_buckets_at_calendar_edges(cc_sim, make_org, sim_now):
    enterprise = make_org("enterprise")
    latest = (sim_now - timedelta(hours=34)).date()
    with client(cc_sim, enterprise.enterprise_key) as c:
        if latest >= date(2026, 1, 1):
            rows, _ = next_page_all(c, A_USERS, [("date", latest.isoformat()), ("limit", "5")])
            assert rows == enterprise.engagement_rows(latest, latest + timedelta(days=1))
        response = c.get(A_USERS, params={"date": (latest + timedelta(days=1)).isoformat()})
        assert response.status_code == 400
        start = datetime(latest.year, latest.month, latest.day, tzinfo=UTC) - timedelta(days=3)
        if start.date() >= date(2026, 1, 1):
            end = start + timedelta(days=5)
            params = [
                ("starting_at", start.strftime("%Y-%m-%dT%H:%M:%SZ")),
                ("ending_at", end.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ]
            rows, _ = next_page_all(c, COST, params + [("bucket_width", "1d"), ("limit", "50")])
            assert rows == enterprise.cost_rows(start, end, bucket_width="1d")
            days = sorted({r["starting_at"] for r in rows})
            expected = {(start + timedelta(days=k)).strftime("%Y-%m-%dT%H:%M:%SZ") for k in range(5)}
            assert set(days) <= expected and len(days) >= 3
