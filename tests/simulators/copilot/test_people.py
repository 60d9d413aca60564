"""People: deterministic per seed, and shared with the Cursor simulator's roster."""

from __future__ import annotations

import re

import httpx

from simulators.copilot import CopilotSimulator, cursor_members
from simulators.cursor import CursorSimulator

from .helpers import download, github


def all_seats(sim, org) -> list[dict]:
    with github(sim, org.token) as client:
        return client.get(f"/orgs/{org.login}/copilot/billing/seats", params={"per_page": 100}).json()[
            "seats"
        ]


def test_the_same_seed_serves_the_same_data_and_another_seed_does_not(sim_now):
    served = []
    for seed in (3, 3, 4):
        with CopilotSimulator(clock=lambda: sim_now) as sim:
            org = sim.add_org("acme", seats=25, days=30, seed=seed)
            day = org.latest_report_day
            with github(sim, org.token) as client:
                links = client.get(
                    "/orgs/acme/copilot/metrics/reports/users-1-day", params={"day": day.isoformat()}
                ).json()["download_links"]
                usage = client.get("/organizations/acme/settings/billing/ai_credit/usage").json()
            served.append((all_seats(sim, org), download(links), usage))
    assert served[0] == served[1]
    assert served[0][0] != served[2][0] and served[0][1] != served[2][1]


def test_logins_are_unique_and_github_shaped(copilot_sim):
    org = copilot_sim.add_org("big", seats=400, days=3, seed=11)
    logins = [p.login for p in org.people]
    assert len({login.lower() for login in logins}) == 400
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", login) for login in logins)
    assert len({p.id for p in org.people}) == 400


def test_seats_overlap_with_a_cursor_team_by_email_for_some_and_login_for_all(sim_now):
    with (
        CursorSimulator(rate_limits=False, clock=lambda: sim_now) as cursor,
        CopilotSimulator(clock=lambda: sim_now) as copilot,
    ):
        team = cursor.add_team(seats=30, days=20, seed=1)
        org = copilot.add_org("acme", seats=25, days=20, seed=1, cursor_team=team)
        members = httpx.get(cursor.base_url + "/teams/members", auth=(team.api_key, "")).json()["teamMembers"]
        cursor_emails = {m["email"] for m in members if not m["isRemoved"]}
        overlap = org.overlap_with_cursor()
        assert 0 < len(overlap) <= 20  # at least a fifth of the seats are Copilot-only
        assert {o["cursor_email"] for o in overlap} <= cursor_emails
        shown = [o for o in overlap if o["seat_email"]]
        assert 0 < len(shown) < len(overlap)
        assert all(o["seat_email"] == o["cursor_email"] for o in shown)
        seats = {s["assignee"]["login"]: s for s in all_seats(copilot, org)}
        assert {o["login"] for o in overlap} <= set(seats)
        for o in overlap:
            assert seats[o["login"]]["assignee"].get("email") == o["seat_email"]
            assert seats[o["login"]]["assignee"]["id"] == o["user_id"]
        # Copilot-only people never carry a Cursor member's email.
        others = [
            s["assignee"].get("email")
            for login, s in seats.items()
            if login not in {o["login"] for o in overlap}
        ]
        assert not set(filter(None, others)) & cursor_emails
        assert any(email and email.endswith("@" + team.domain) for email in others)


def test_cursor_members_builds_the_same_roster_without_a_cursor_server(sim_now):
    with CursorSimulator(rate_limits=False, clock=lambda: sim_now) as cursor:
        team = cursor.add_team(seats=30, days=20, seed=2)
    roster = cursor_members(2, 30, sim_now, 20)
    assert [m.email for m in roster] == [m.email for m in team.roster]
    a = CopilotSimulator(clock=lambda: sim_now).add_org("x", seats=20, days=20, cursor_team=team)
    b = CopilotSimulator(clock=lambda: sim_now).add_org("x", seats=20, days=20, cursor_team=roster)
    assert a.overlap_with_cursor() == b.overlap_with_cursor()
    assert a.seat_rows() == b.seat_rows()


def test_a_person_in_two_organizations_has_the_same_days(copilot_sim, sim_now):
    roster = cursor_members(5, 20, sim_now, 30)
    first = copilot_sim.add_org("one", seats=15, days=30, seed=1, cursor_team=roster)
    second = copilot_sim.add_org("two", seats=15, days=30, seed=2, cursor_team=roster)
    shared = {o["login"] for o in first.overlap_with_cursor()} & {
        o["login"] for o in second.overlap_with_cursor()
    }
    assert shared
    for day in first.report_days()[-5:]:
        mine = {r["user_login"]: r for r in first.user_records(day) if r["user_login"] in shared}
        theirs = {r["user_login"]: r for r in second.user_records(day) if r["user_login"] in shared}
        for login in set(mine) & set(theirs):
            strip = {k: v for k, v in mine[login].items() if k != "organization_id"}
            assert strip == {k: v for k, v in theirs[login].items() if k != "organization_id"}
