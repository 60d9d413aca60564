"""Token checks, GitHub's error bodies and headers, rate limits and the API faults."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from simulators.copilot import CopilotSimulator

from .helpers import github

SEATS = "/orgs/acme/copilot/billing/seats"
USERS = "/orgs/acme/copilot/metrics/reports/users-1-day"
DOCS = "https://docs.github.com/rest"


def error(status: int, message: str) -> dict:
    return {"message": message, "documentation_url": DOCS, "status": str(status)}


def day_params(org) -> dict:
    return {"day": org.latest_report_day.isoformat()}


def test_missing_and_bad_tokens_are_401(copilot_sim, org):
    response = httpx.get(copilot_sim.url + SEATS)
    assert response.status_code == 401
    assert response.json() == error(401, "Requires authentication")
    for header in (f"Bearer {org.token}x", "Bearer", f"Basic {org.token}", "nonsense"):
        response = httpx.get(copilot_sim.url + SEATS, headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.json() == error(401, "Bad credentials")
    assert (
        httpx.get(copilot_sim.url + SEATS, headers={"Authorization": f"token {org.token}"}).status_code == 200
    )
    copilot_sim.revoke_token(org.token)
    assert (
        httpx.get(copilot_sim.url + SEATS, headers={"Authorization": f"Bearer {org.token}"}).status_code
        == 401
    )


def test_an_unknown_or_hidden_organization_is_404(copilot_sim, org):
    other = copilot_sim.add_org("globex", seats=3, days=5)
    with github(copilot_sim, org.token) as client:
        for path in (
            "/orgs/nope/copilot/billing/seats",
            "/orgs/globex/copilot/billing/seats",
            f"{USERS}/",
            "/orgs/acme/copilot/metrics",
        ):
            response = client.get(path, params=day_params(org))
            assert response.status_code == 404, path
            assert response.json() == error(404, "Not Found")
        assert client.get("/enterprises/nope/copilot/billing/seats").status_code == 404
    with github(copilot_sim, other.token) as client:
        assert client.get("/orgs/globex/copilot/billing/seats").status_code == 200
    with github(copilot_sim, copilot_sim.token) as client:  # the simulator's token sees everything
        assert client.get("/orgs/globex/copilot/billing/seats").status_code == 200
        assert client.get(SEATS).status_code == 200


def test_a_classic_token_without_the_scope_is_403_and_says_what_is_accepted(copilot_sim, org):
    token = copilot_sim.add_token(scopes=("repo",), orgs={"acme"}).value
    with github(copilot_sim, token) as client:
        response = client.get(USERS, params=day_params(org))
        assert response.status_code == 403
        assert response.json() == error(403, "Resource not accessible by personal access token")
        assert response.headers["x-accepted-oauth-scopes"] == "read:org, admin:org"
        assert response.headers["x-oauth-scopes"] == "repo"
        assert client.get(SEATS).status_code == 403
        assert client.get("/user").status_code == 200
    billing_only = copilot_sim.add_token(scopes=("manage_billing:copilot",), orgs={"acme"}).value
    with github(copilot_sim, billing_only) as client:
        assert client.get(SEATS).status_code == 200
        assert client.get("/organizations/acme/settings/billing/ai_credit/usage").status_code == 200
        assert client.get(USERS, params=day_params(org)).status_code == 403  # metrics need read:org
    read_org = copilot_sim.add_token(scopes=("read:org",), orgs={"acme"}).value
    with github(copilot_sim, read_org) as client:
        assert client.get(USERS, params=day_params(org)).status_code == 200
        response = client.get("/organizations/acme/settings/billing/premium_request/usage")
        assert response.status_code == 403
        assert response.headers["x-accepted-oauth-scopes"] == "manage_billing:copilot, admin:org"


def test_fine_grained_tokens_need_the_permission(copilot_sim, org):
    ent = copilot_sim.add_enterprise("corp", days=5)
    copilot_sim.add_org("corp-a", seats=3, days=5, enterprise=ent)
    bare = copilot_sim.add_token(kind="fine_grained", permissions={}, orgs={"acme"})
    assert bare.value.startswith("github_pat_") and bare.value not in repr(bare)
    with github(copilot_sim, bare.value) as client:
        response = client.get(USERS, params=day_params(org))
        assert response.status_code == 403
        assert response.headers["x-accepted-github-permissions"] == "organization_copilot_metrics=read"
        assert "x-oauth-scopes" not in response.headers
    metrics = copilot_sim.add_token(kind="fine_grained", permissions={"organization_copilot_metrics": "read"})
    with github(copilot_sim, metrics.value) as client:
        assert client.get(USERS, params=day_params(org)).status_code == 200
        assert client.get(SEATS).status_code == 403
        response = client.get("/enterprises/corp/copilot/billing/seats")
        assert response.status_code == 403
        assert (
            response.json()["message"]
            == "Fine-grained personal access tokens are not supported for this endpoint"
        )


def test_the_metrics_policy_off_is_403_on_metrics_only(copilot_sim, org, client):
    org.metrics_policy_enabled = False
    for path in (
        USERS,
        "/orgs/acme/copilot/metrics/reports/organization-1-day",
        "/orgs/acme/copilot/metrics/reports/users-28-day/latest",
    ):
        response = client.get(path, params=day_params(org))
        assert response.status_code == 403, path
        assert response.json()["message"].startswith(
            "Copilot Usage Metrics API access is disabled for this organization"
        )
        assert response.json()["status"] == "403"
    assert client.get(SEATS).status_code == 200
    assert client.get("/orgs/acme/copilot/billing").status_code == 200
    org.policy_disabled_status = 422
    assert client.get(USERS, params=day_params(org)).status_code == 422


def test_an_enterprise_policy_off_closes_its_organizations_metrics(copilot_sim):
    ent = copilot_sim.add_enterprise("corp", days=10)
    org = copilot_sim.add_org("corp-a", seats=5, days=10, enterprise=ent)
    ent.metrics_policy_enabled = False
    with github(copilot_sim, copilot_sim.token) as client:
        day = {"day": org.latest_report_day.isoformat()}
        assert client.get("/orgs/corp-a/copilot/metrics/reports/users-1-day", params=day).status_code == 403
        response = client.get("/enterprises/corp/copilot/metrics/reports/users-1-day", params=day)
        assert response.status_code == 403
        assert "disabled for this enterprise" in response.json()["message"]
        assert client.get("/enterprises/corp/copilot/billing/seats").status_code == 200


def test_scope_is_checked_before_the_policy(copilot_sim, org):
    org.metrics_policy_enabled = False
    token = copilot_sim.add_token(scopes=("repo",), orgs={"acme"}).value
    with github(copilot_sim, token) as client:
        assert (
            client.get(USERS, params=day_params(org)).json()["message"]
            == "Resource not accessible by personal access token"
        )


def test_version_and_user_agent_headers(copilot_sim, org):
    with github(copilot_sim, org.token, **{"X-GitHub-Api-Version": "2099-01-01"}) as client:
        response = client.get(SEATS)
        assert response.status_code == 400
        assert response.json() == error(400, "API version '2099-01-01' is not supported.")
    with github(copilot_sim, org.token, **{"X-GitHub-Api-Version": "2022-11-28"}) as client:
        response = client.get(SEATS)
        assert (
            response.status_code == 200 and response.headers["x-github-api-version-selected"] == "2022-11-28"
        )
    with github(copilot_sim, org.token) as client:
        client.headers.pop("X-GitHub-Api-Version")
        assert client.get(SEATS).headers["x-github-api-version-selected"] == "2022-11-28"
        client.headers.pop("User-Agent")
        response = client.get(SEATS)
        assert response.status_code == 403 and "User-Agent" in response.json()["message"]


def test_every_answer_carries_githubs_rate_limit_headers(copilot_sim, org, client):
    first = client.get(SEATS)
    second = client.get(USERS, params=day_params(org))
    missing = client.get("/orgs/nope/copilot/billing/seats")
    for n, response in enumerate((first, second, missing), start=1):
        assert response.headers["x-ratelimit-limit"] == "5000"
        assert response.headers["x-ratelimit-used"] == str(n)
        assert response.headers["x-ratelimit-remaining"] == str(5000 - n)
        assert response.headers["x-ratelimit-resource"] == "core"
        assert 0 < int(response.headers["x-ratelimit-reset"]) - time.time() <= 3600
        assert response.headers["x-github-request-id"]
    assert copilot_sim.rate_limit_state(org.token)["x-ratelimit-used"] == "3"
    anonymous = httpx.get(copilot_sim.url + SEATS)
    assert anonymous.headers["x-ratelimit-limit"] == "60"


@pytest.mark.parametrize("status", [403, 429])
def test_the_hourly_limit_answers_with_remaining_zero(sim_now, status):
    with CopilotSimulator(clock=lambda: sim_now, primary_limit=3) as sim:
        sim.primary_limit_status = status
        org = sim.add_org("acme", seats=3, days=5)
        with github(sim, org.token) as client:
            assert [client.get(SEATS).status_code for _ in range(3)] == [200, 200, 200]
            response = client.get(SEATS)
            assert response.status_code == status
            assert response.headers["x-ratelimit-remaining"] == "0"
            assert response.json()["message"].startswith("API rate limit exceeded for user ID")
            assert "retry-after" not in response.headers
        with github(sim, sim.token) as client:  # limits are per token
            assert client.get(SEATS).status_code == 200
        sim.reset_rate_limits()
        with github(sim, org.token) as client:
            assert client.get(SEATS).status_code == 200


def test_the_secondary_limit_is_per_endpoint_and_says_when_to_retry(sim_now):
    with CopilotSimulator(
        clock=lambda: sim_now, secondary_points_per_minute=4, secondary_window_seconds=2
    ) as sim:
        org = sim.add_org("acme", seats=3, days=5)
        with github(sim, org.token) as client:
            assert [client.get(SEATS).status_code for _ in range(4)] == [200] * 4
            response = client.get(SEATS)
            assert response.status_code == 403
            assert response.json()["message"].startswith("You have exceeded a secondary rate limit")
            assert 1 <= int(response.headers["retry-after"]) <= 2
            assert response.headers["x-ratelimit-remaining"] != "0"  # not the hourly limit
            assert client.get("/orgs/acme/copilot/billing").status_code == 200  # another endpoint
            time.sleep(int(response.headers["retry-after"]) + 0.1)
            assert client.get(SEATS).status_code == 200
        sim.rate_limits = False
        with github(sim, org.token) as client:
            assert all(client.get(SEATS).status_code == 200 for _ in range(10))


def test_too_many_requests_in_flight_is_a_secondary_limit(sim_now):
    with CopilotSimulator(clock=lambda: sim_now, max_concurrent=2) as sim:
        org = sim.add_org("acme", seats=3, days=5)
        org.faults.slow_seconds = 0.4
        with github(sim, org.token) as client, ThreadPoolExecutor(6) as pool:
            statuses = sorted(pool.map(lambda _: client.get(SEATS).status_code, range(6)))
        assert statuses.count(200) >= 2 and 403 in statuses


def test_secondary_limit_fault_with_and_without_retry_after(org, client):
    org.faults.secondary_rate_limit(1, retry_after=30)
    response = client.get(SEATS)
    assert response.status_code == 403 and response.headers["retry-after"] == "30"
    assert "secondary rate limit" in response.json()["message"]
    org.faults.secondary_rate_limit(1, retry_after=None)
    response = client.get(SEATS)
    assert response.status_code == 403 and "retry-after" not in response.headers
    assert response.headers["x-ratelimit-remaining"] != "0"
    org.faults.secondary_rate_limit(1, retry_after=2, status=429)
    assert client.get(SEATS).status_code == 429
    assert client.get(SEATS).status_code == 200


def test_storms_primary_exhaustion_and_server_errors(org, client):
    org.faults.rate_limit_storm(2, retry_after=1)
    first, second, third = (client.get(SEATS) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["retry-after"] == "1" and first.json()["status"] == "429"
    org.faults.primary_exhausted(1, reset_in=5)
    response = client.get(SEATS)
    assert response.status_code == 403 and response.headers["x-ratelimit-remaining"] == "0"
    assert 4 <= int(response.headers["x-ratelimit-reset"]) - time.time() <= 6
    org.faults.fail_next(2, status=502)
    assert [client.get(SEATS).status_code for _ in range(3)] == [502, 502, 200]
    org.faults.fail_on_call(3, status=500)
    assert [client.get(SEATS).status_code for _ in range(4)] == [200, 200, 500, 200]
    org.faults.fail_next(1, status=500)
    assert client.get(SEATS).json() == error(500, "Server Error")


def test_faults_can_target_a_path_and_are_not_counted(copilot_sim, org, client):
    used = int(client.get(SEATS).headers["x-ratelimit-used"])
    org.faults.fail_next(1, status=503, path="/orgs/acme/copilot/metrics/*")
    assert client.get(SEATS).status_code == 200
    faulted = client.get(USERS, params=day_params(org))
    assert faulted.status_code == 503
    assert faulted.headers["x-ratelimit-used"] == str(used + 1)  # the faulted request did not count
    assert client.get(USERS, params=day_params(org)).status_code == 200
    copilot_sim.faults.fail_next(1, status=500)  # simulator-wide
    assert client.get("/user").status_code == 500


def test_malformed_json_and_slowness(org, client):
    org.faults.malformed_json_next(1, path=SEATS)
    broken = client.get(SEATS)
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    assert client.get(SEATS).json()["total_seats"] == 40
    org.faults.slow_seconds = 0.5
    org.faults.slow_path = SEATS
    with pytest.raises(httpx.ReadTimeout):
        client.get(SEATS, timeout=0.2)
    org.faults.reset()
    assert not org.faults.armed
    assert client.get(SEATS, timeout=5).status_code == 200


def test_user_endpoint_names_the_token_owner(copilot_sim, org, client):
    body = client.get("/user").json()
    assert body["login"] == "koalr-bot" and isinstance(body["id"], int)
    assert (
        client.get("/user").headers["x-oauth-scopes"] == "read:org, manage_billing:copilot, read:enterprise"
    )
    assert client.post("/user").status_code == 404
