"""Keys, key types and scopes, faults and rate limits (docs/claude-code-api.md §1, §2.2, §2.3)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from .conftest import client
from .helpers import A_USERS, COST, REPORT, USERS


def yesterday(org):
    return (org.now.date() - timedelta(days=1)).isoformat()


def analytics_day(org):
    return (org.now - timedelta(hours=34)).date().isoformat()


def error_of(response):
    body = response.json()
    assert body["type"] == "error" and body["request_id"] == response.headers["request-id"]
    assert body["request_id"].startswith("req_")
    return body["error"]["type"], body["error"]["message"]


def test_unknown_missing_and_revoked_keys_are_401(cc_sim, console):
    day = yesterday(console)
    for key in (None, "sk-ant-admin01-nope", ""):
        with client(cc_sim, key) as c:
            response = c.get(REPORT, params={"starting_at": day})
        assert response.status_code == 401
        assert error_of(response)[0] == "authentication_error"
    key = cc_sim.add_key(console, "admin")
    with client(cc_sim, key) as c:
        assert c.get(REPORT, params={"starting_at": day}).status_code == 200
        console.revoke_key(key)
        assert c.get(REPORT, params={"starting_at": day}).status_code == 401


def test_missing_anthropic_version_is_400_and_unknown_paths_404(cc_sim, console):
    response = httpx.get(
        cc_sim.url + REPORT,
        params={"starting_at": yesterday(console)},
        headers={"x-api-key": console.admin_key},
    )
    assert response.status_code == 400 and "anthropic-version" in error_of(response)[1]
    with client(cc_sim, console.admin_key) as c:
        response = c.get("/v1/organizations/usage_report/cursor")
        assert response.status_code == 404 and error_of(response)[0] == "not_found_error"
        assert c.post(REPORT).status_code == 404


def test_a_non_admin_console_key_is_403_on_the_admin_api(cc_sim, console):
    with client(cc_sim, console.api_key) as c:
        for path, params in ((REPORT, {"starting_at": yesterday(console)}), (USERS, {})):
            response = c.get(path, params=params)
            assert response.status_code == 403
            kind, message = error_of(response)
            assert kind == "permission_error" and "Admin API key" in message


def test_wrong_key_types_are_403_as_documented(cc_sim, console, enterprise):
    with client(cc_sim, console.admin_key) as c:
        response = c.get(A_USERS, params={"date": analytics_day(enterprise)})
    assert response.status_code == 403
    assert "Admin API key cannot call the Claude Enterprise Analytics API" in error_of(response)[1]
    with client(cc_sim, enterprise.enterprise_key) as c:
        response = c.get(REPORT, params={"starting_at": yesterday(console)})
    assert response.status_code == 403
    assert "Analytics API key cannot call the Admin API" in error_of(response)[1]


def test_a_missing_scope_is_403_listing_the_scopes(cc_sim, enterprise):
    key = cc_sim.add_key(enterprise, "enterprise", scopes=["read:members", "read:org_audit"])
    with client(cc_sim, key) as c:
        response = c.get(A_USERS, params={"date": analytics_day(enterprise)})
        assert c.get(USERS).status_code == 200
    assert response.status_code == 403
    kind, message = error_of(response)
    assert kind == "permission_error"
    assert "read:members, read:org_audit" in message and "requires: read:analytics" in message


def test_api_access_switched_off_denies_analytics(analytics, enterprise):
    enterprise.api_access_enabled = False
    response = analytics.get(A_USERS, params={"date": analytics_day(enterprise)})
    assert response.status_code == 403 and "Primary Owner" in error_of(response)[1]
    enterprise.api_disabled_status = 401
    assert analytics.get(A_USERS, params={"date": analytics_day(enterprise)}).status_code == 401


def test_rate_limit_storm_answers_429_with_retry_after(admin, console):
    console.faults.rate_limit_storm(2, retry_after=7)
    day = yesterday(console)
    for _ in range(2):
        response = admin.get(REPORT, params={"starting_at": day})
        assert response.status_code == 429 and response.headers["retry-after"] == "7"
        assert error_of(response)[0] == "rate_limit_error"
    assert admin.get(REPORT, params={"starting_at": day}).status_code == 200
    console.faults.rate_limit_storm(1, retry_after=None)
    response = admin.get(REPORT, params={"starting_at": day})
    assert response.status_code == 429 and "retry-after" not in response.headers


def test_enterprise_requests_are_limited_per_org_per_minute(cc_sim, analytics, enterprise):
    cc_sim.set_limits({"enterprise": 5})
    params = {"date": analytics_day(enterprise), "limit": 1}
    statuses = [analytics.get(A_USERS, params=params).status_code for _ in range(5)]
    statuses.append(
        analytics.get(COST, params={"starting_at": f"{analytics_day(enterprise)}T00:00:00Z"}).status_code
    )
    assert statuses == [200] * 5 + [429]  # one budget across the org's endpoints
    response = analytics.get(A_USERS, params=params)
    assert 1 <= int(response.headers["retry-after"]) <= 60
    cc_sim.rate_window_seconds = 0.5
    time.sleep(0.6)
    assert analytics.get(A_USERS, params=params).status_code == 200


def test_the_admin_api_has_no_limit_unless_set(cc_sim, admin, console):
    params = {"starting_at": yesterday(console), "limit": 1}
    assert {admin.get(REPORT, params=params).status_code for _ in range(70)} == {200}
    cc_sim.set_limits({"admin": 3})
    assert [admin.get(USERS).status_code for _ in range(4)] == [200, 200, 200, 429]
    cc_sim.rate_limits = False
    assert admin.get(USERS).status_code == 200


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (529, "overloaded_error"),
        (500, "api_error"),
        (502, "api_error"),
        (503, "api_error"),
        (504, "timeout_error"),
    ],
)
def test_server_errors_have_anthropic_bodies(admin, console, status, error_type):
    if status == 529:
        console.faults.overloaded_next(2, path=REPORT)
    else:
        console.faults.fail_next(2, status=status, path=REPORT)
    day = yesterday(console)
    assert admin.get(USERS).status_code == 200  # another path is not affected
    for _ in range(2):
        response = admin.get(REPORT, params={"starting_at": day})
        assert response.status_code == status and error_of(response)[0] == error_type
    assert admin.get(REPORT, params={"starting_at": day}).status_code == 200


def test_fail_on_call_hits_exactly_the_nth_request(admin, console):
    console.faults.fail_on_call(3, status=500)
    statuses = [admin.get(USERS).status_code for _ in range(5)]
    assert statuses == [200, 200, 500, 200, 200]


def test_resuming_after_faults_loses_and_doubles_nothing(admin, console):
    day = max(
        (console.now.date() - timedelta(days=k) for k in range(1, 8)),
        key=lambda d: len(console.report_rows(d)),
    )
    truth = console.report_rows(day)
    console.faults.fail_on_call(2, status=529, path=REPORT)
    console.faults.fail_on_call(4, status=500, path=REPORT)
    rows, page, failures = [], None, 0
    while True:
        params = {"starting_at": day.isoformat(), "limit": 3} | ({"page": page} if page else {})
        response = admin.get(REPORT, params=params)
        if response.status_code != 200:
            failures += 1
            continue  # retry the same page
        body = response.json()
        rows += body["data"]
        if not body["has_more"]:
            break
        page = body["next_page"]
    assert failures == 2 and rows == truth


def test_malformed_json_and_malformed_records(admin, console):
    day = yesterday(console)
    truth = admin.get(REPORT, params={"starting_at": day, "limit": 1000}).json()["data"]
    console.faults.malformed_json_next(1)
    response = admin.get(REPORT, params={"starting_at": day, "limit": 1000})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    console.faults.malformed_record_next(1)
    data = admin.get(REPORT, params={"starting_at": day, "limit": 1000}).json()["data"]
    assert "actor" not in data[0] and data[1:] == truth


def test_slow_answers_time_out_a_client(cc_sim, console):
    console.faults.slow_seconds = 0.5
    with httpx.Client(
        base_url=cc_sim.url,
        headers={"x-api-key": console.admin_key, "anthropic-version": "2023-06-01"},
        timeout=0.1,
    ) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.get(USERS)
    console.faults.reset()


def test_faults_are_per_org(cc_sim, console, make_org):
    other = make_org("console", seed=9)
    console.faults.fail_next(5, status=500)
    with client(cc_sim, other.admin_key) as c:
        assert c.get(USERS).status_code == 200


def test_serving_loads_no_django_and_no_product_code():
    product = ("django", "koalr", "analytics", "integrations", "people", "api", "web", "alerts", "devtools")
    script = f"""
import sys
from datetime import UTC, datetime
import httpx
from simulators.claude_code import ClaudeCodeSimulator
with ClaudeCodeSimulator(now=datetime(2028, 2, 29, 12, tzinfo=UTC), users=5, days=3) as sim:
    headers = {{"x-api-key": sim.admin_key, "anthropic-version": "2023-06-01"}}
    assert httpx.get(sim.url + "/v1/organizations/users", headers=headers).status_code == 200
print(sorted(m for m in sys.modules if m.split(".")[0] in {product!r}))
"""
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
