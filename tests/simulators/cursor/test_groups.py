"""The simulator's ``GET /teams/groups`` (docs/cursor-api.md §2.9): deterministic billing groups
over the roster for Enterprise teams, the Enterprise denial on other plans."""

from __future__ import annotations

import httpx
import pytest

from simulators.cursor import admin_api

FORBIDDEN = {"error": "Forbidden", "message": "Enterprise access required"}


def client_for(sim, team) -> httpx.Client:
    return httpx.Client(base_url=sim.base_url, auth=(team.api_key, ""), timeout=30)


def get_groups(sim, team) -> dict:
    with client_for(sim, team) as c:
        response = c.get("/teams/groups")
    assert response.status_code == 200, response.text
    return response.json()


def test_every_current_member_is_in_exactly_one_group(cursor_sim, make_sim_team):
    team = make_sim_team(seats=40, seed=5)
    data = get_groups(cursor_sim, team)
    assert set(data) == {"groups", "unassignedGroup", "billingCycle"}
    assert data["unassignedGroup"]["id"] == "group_unassigned"
    assert data["billingCycle"]["cycleStart"] < data["billingCycle"]["cycleEnd"]
    emails = [m["email"] for g in data["groups"] for m in g["currentMembers"]]
    emails += [m["email"] for m in data["unassignedGroup"]["currentMembers"]]
    current = sorted(m.email for m in team.listed_members if not m.is_removed)
    assert sorted(emails) == current
    assert len(data["groups"]) >= 2  # 40 seats over four groups: more than one is used
    for g in data["groups"]:
        assert g["id"].startswith("group_") and g["type"] == "BILLING"
        assert g["name"] in admin_api.GROUP_NAMES
        assert g["memberCount"] == len(g["currentMembers"])
        assert all(m["leftAt"] is None and m["userId"].startswith("user_") for m in g["currentMembers"])


def test_groups_are_deterministic_per_seed(cursor_sim, make_sim_team):
    first = get_groups(cursor_sim, make_sim_team(seats=30, seed=7))
    again = get_groups(cursor_sim, make_sim_team(seats=30, seed=7))
    other = get_groups(cursor_sim, make_sim_team(seats=30, seed=8))
    assert first == again
    assert first["groups"] != other["groups"]


def test_a_moved_member_shows_in_the_new_group(cursor_sim, make_sim_team):
    team = make_sim_team(seats=20, seed=9)
    before = get_groups(cursor_sim, team)
    member = before["groups"][0]["currentMembers"][0]
    team.group_moves[member["email"]] = "Research"
    after = get_groups(cursor_sim, team)
    by_name = {g["name"]: g for g in after["groups"]}
    assert [m["email"] for m in by_name["Research"]["currentMembers"]] == [member["email"]]
    others = [m["email"] for g in after["groups"] if g["name"] != "Research" for m in g["currentMembers"]]
    assert member["email"] not in others
    # The group keeps its id while its members change.
    ids = {g["name"]: g["id"] for g in before["groups"]}
    assert all(ids[g["name"]] == g["id"] for g in after["groups"] if g["name"] in ids)
    team.group_moves[member["email"]] = None  # to Unassigned
    unassigned = get_groups(cursor_sim, team)["unassignedGroup"]["currentMembers"]
    assert member["email"] in [m["email"] for m in unassigned]


@pytest.mark.parametrize("status", [403, 404, 401])
def test_team_plan_is_denied_groups(cursor_sim, make_sim_team, status):
    team = make_sim_team(plan="team")
    if status != 403:
        team.enterprise_denied_status = {"/teams/groups": status}
    with client_for(cursor_sim, team) as c:
        response = c.get("/teams/groups")
        assert response.status_code == status
        if status == 403:
            assert response.json() == FORBIDDEN
        assert c.get("/teams/members").status_code == 200  # the rest of the Admin API still works
