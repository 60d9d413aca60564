"""The simulator's fault control for the drills: a pause point, storms with a chosen
Retry-After, and faults armed from plain data."""

import threading

import httpx
import pytest


@pytest.fixture
def client(cursor_sim, sim_team):
    with httpx.Client(base_url=cursor_sim.base_url, auth=(sim_team.api_key, ""), timeout=30) as c:
        yield c


def test_pause_point_holds_the_matching_request_until_released(cursor_sim, client, sim_team):
    pause = sim_team.faults.pause_at("/teams/members", after=1)
    assert client.get("/teams/members").status_code == 200  # the one let through
    assert sim_team.faults.armed
    answered = []
    t = threading.Thread(target=lambda: answered.append(client.get("/teams/members").status_code))
    t.start()
    assert pause.wait_reached(10)
    t.join(0.3)
    assert answered == [] and t.is_alive()  # held inside the server
    with httpx.Client(base_url=cursor_sim.base_url, auth=(sim_team.api_key, ""), timeout=5) as other:
        assert other.post("/teams/spend", json={}).status_code == 200  # other paths go on
    pause.release()
    t.join(10)
    assert answered == [200] and pause.hits == 2
    assert client.get("/teams/members").status_code == 200  # a released pause holds nobody
    assert not sim_team.faults.armed


def test_reset_releases_a_held_request(client, sim_team):
    pause = sim_team.faults.pause_at()
    answered = []
    t = threading.Thread(target=lambda: answered.append(client.get("/teams/members").status_code))
    t.start()
    assert pause.wait_reached(10)
    sim_team.faults.reset()
    t.join(10)
    assert answered == [200]


def test_storm_with_a_chosen_retry_after(client, sim_team):
    sim_team.faults.rate_limit_storm_seconds(2, seconds=7, path="/teams/members")
    for _ in range(2):
        response = client.get("/teams/members")
        assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert client.get("/teams/members").status_code == 200


def test_faults_armed_from_data(client, sim_team):
    sim_team.faults.apply(
        {
            "storm": {"n": 1, "path": "/teams/members"},
            "fail_next": {"k": 1, "status": 502, "path": "/teams/spend"},
        }
    )
    assert client.get("/teams/members").status_code == 429
    assert client.post("/teams/spend", json={}).status_code == 502
    assert client.get("/teams/members").status_code == 200
    with pytest.raises(ValueError, match="unknown faults"):
        sim_team.faults.apply({"earthquake": {}})
