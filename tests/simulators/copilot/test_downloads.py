"""The download host: signed, expiring links; it never needs the token and records what it got."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from .helpers import download

USERS = "/orgs/acme/copilot/metrics/reports/users-1-day"


def links_for(client, org, report="users-1-day"):
    day = [d for d in org.report_days() if d.weekday() < 5][-1]
    response = client.get(f"/orgs/acme/copilot/metrics/reports/{report}", params={"day": day.isoformat()})
    assert response.status_code == 200
    return day, response.json()["download_links"]


def test_a_client_that_keeps_its_token_to_the_api_leaves_no_trace_of_it(copilot_sim, org, client):
    day, links = links_for(client, org)
    assert download(links) == org.user_records(day)
    assert len(copilot_sim.download_log) == len(links)
    assert all(entry.authorization is None and entry.status == 200 for entry in copilot_sim.download_log)
    assert copilot_sim.tokens_seen_by_download_host() == set()


def test_a_token_sent_to_the_download_host_is_recorded_and_refused(copilot_sim, org, client):
    _, links = links_for(client, org)
    leaked = httpx.get(links[0], headers={"Authorization": f"Bearer {org.token}"})
    assert leaked.status_code == 400
    assert b"InvalidAuthenticationInfo" in leaked.content
    assert copilot_sim.tokens_seen_by_download_host() == {org.token}
    assert copilot_sim.download_log[-1].authorization == f"Bearer {org.token}"
    # A token anywhere else in the request counts too (a header of another name, the URL).
    copilot_sim.download_log.clear()
    httpx.get(links[0], headers={"X-Token": copilot_sim.token})
    assert copilot_sim.tokens_seen_by_download_host() == {copilot_sim.token}
    copilot_sim.download_log.clear()
    httpx.get(links[0] + "&access_token=" + org.token)
    assert copilot_sim.tokens_seen_by_download_host() == {org.token}


def test_the_refusal_can_be_switched_off_but_the_record_stays(copilot_sim, org, client):
    copilot_sim.download_rejects_authorization = False
    day, links = links_for(client, org)
    response = httpx.get(links[0], headers={"Authorization": f"token {org.token}"})
    assert response.status_code == 200
    assert copilot_sim.tokens_seen_by_download_host() == {org.token}


def test_links_expire_after_their_lifetime(copilot_sim, org, client):
    copilot_sim.link_ttl_seconds = 1
    day, links = links_for(client, org)
    query = dict(parse_qsl(urlsplit(links[0]).query))
    assert int(query["se"]) <= time.time() + 1
    time.sleep(2.05)
    expired = httpx.get(links[0])
    assert expired.status_code == 403
    assert b"AuthenticationFailed" in expired.content
    assert expired.headers["content-type"] == "application/xml"
    copilot_sim.link_ttl_seconds = 300
    _, fresh = links_for(client, org)  # asking the API again gives working links
    assert download(fresh) == org.user_records(day)


def test_a_tampered_or_unknown_link_is_refused(copilot_sim, org, client):
    _, links = links_for(client, org)
    parts = urlsplit(links[0])
    query = dict(parse_qsl(parts.query))
    later = {**query, "se": str(int(query["se"]) + 3600)}
    assert httpx.get(urlunsplit(parts._replace(query=urlencode(later)))).status_code == 403
    other_day = parts.path.replace("users-1-day", "organization-1-day")
    assert httpx.get(urlunsplit(parts._replace(path=other_day))).status_code == 403
    assert httpx.get(copilot_sim.download_url + "/nothing/here").status_code == 404
    assert httpx.post(links[0]).status_code == 405


def test_expired_link_fault_answers_once_then_the_same_link_works(copilot_sim, org, client):
    day, links = links_for(client, org)
    org.faults.expire_links_next(1)
    assert httpx.get(links[0]).status_code == 403
    assert download(links) == org.user_records(day)


def test_download_failures_and_slowness(copilot_sim, org, client):
    day, links = links_for(client, org)
    org.faults.fail_download_next(2, status=503)
    assert [httpx.get(links[0]).status_code for _ in range(3)] == [503, 503, 200]
    org.faults.slow_download_seconds = 0.5
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(links[0], timeout=0.2)
    org.faults.slow_download_seconds = 0.0


def test_a_malformed_line_comes_first_and_every_real_record_follows(copilot_sim, org, client):
    day, links = links_for(client, org)
    org.faults.malformed_line_next(1)
    text = httpx.get(links[0]).text
    first, *rest = text.splitlines()
    with pytest.raises(json.JSONDecodeError):
        json.loads(first)
    assert [json.loads(line) for line in rest] == org.user_records(day)[: len(rest)]
    assert download(links) == org.user_records(day)  # the fault is used up


def test_a_truncated_download_breaks_off_mid_file(copilot_sim, org, client):
    _, links = links_for(client, org)
    org.faults.truncate_download_next(1)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(links[0])
    assert httpx.get(links[0]).status_code == 200


def test_download_faults_can_target_one_report(copilot_sim, org, client):
    org.faults.expire_links_next(1, path=f"/copilot-reports/org/{org.id}/organization-1-day/*")
    _, links = links_for(client, org)
    assert httpx.get(links[0]).status_code == 200  # a users file: untouched
    _, aggregate = links_for(client, org, "organization-1-day")
    assert httpx.get(aggregate[0]).status_code == 403
    assert httpx.get(aggregate[0]).status_code == 200


def test_sim_wide_download_faults_apply_to_every_organization(copilot_sim, org, client):
    copilot_sim.faults.fail_download_next(1, status=500)
    _, links = links_for(client, org)
    assert httpx.get(links[0]).status_code == 500
    assert httpx.get(links[0]).status_code == 200
