"""Usage-metrics reports over loopback: links, NDJSON files, days without a report, 28-day windows."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from simulators.copilot.generate import ACTIVITY_FIELDS, C_FIELDS

from .helpers import CALENDAR_EDGES, download, github

REPORTS = "/orgs/acme/copilot/metrics/reports"


def newest(org) -> date:
    return org.latest_report_day


def weekday(org, back: int = 0) -> date:
    """The back-th most recent weekday with a report (weekends are quiet by design)."""
    return [d for d in org.report_days() if d.weekday() < 5][-1 - back]


def test_users_1_day_links_point_at_a_second_host_and_serve_the_ground_truth(copilot_sim, org, client):
    day = weekday(org, 2)
    response = client.get(f"{REPORTS}/users-1-day", params={"day": day.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"download_links", "report_day"}
    assert body["report_day"] == day.isoformat()
    for link in body["download_links"]:
        assert urlsplit(link).netloc == urlsplit(copilot_sim.download_url).netloc
        assert urlsplit(link).netloc != urlsplit(copilot_sim.url).netloc
    records = download(body["download_links"])
    assert records == org.user_records(day)
    assert records, "an ordinary weekday has active people"
    assert {r["organization_id"] for r in records} == {str(org.id)}
    assert all(r["day"] == day.isoformat() for r in records)
    assert len({r["user_id"] for r in records}) == len(records)


def test_a_report_spans_several_files_that_concatenate_to_the_report(copilot_sim, org, client):
    org.lines_per_file = 7
    day = weekday(org, 1)
    expected = org.user_records(day)
    links = client.get(f"{REPORTS}/users-1-day", params={"day": day.isoformat()}).json()["download_links"]
    assert len(links) == -(-len(expected) // 7) > 1
    assert download(links) == expected
    with httpx.Client() as plain:
        texts = [plain.get(link).text for link in links]
    assert all(text.endswith("\n") for text in texts)
    assert all(len(text.splitlines()) == 7 for text in texts[:-1])


def test_every_record_is_consistent_with_its_breakdowns(org):
    seen_cli = seen_models = 0
    for day in org.report_days()[-10:]:
        for record in org.user_records(day):
            for name in ACTIVITY_FIELDS:
                assert record[name] == sum(row[name] for row in record["totals_by_ide"]), name
                assert record[name] == sum(row[name] for row in record["totals_by_feature"]), name
            for name in C_FIELDS:
                assert record[name] == sum(row[name] for row in record["totals_by_language_feature"]), name
            chat = [row for row in record["totals_by_feature"] if row["feature"] != "code_completion"]
            for name in C_FIELDS:
                chat_sum = sum(row[name] for row in chat)
                assert chat_sum == sum(row[name] for row in record["totals_by_model_feature"])
                assert chat_sum == sum(row[name] for row in record["totals_by_language_model"])
            assert record["used_chat"] == bool(chat)
            assert record["used_cli"] == ("totals_by_cli" in record)
            assert all(row["feature"] != "copilot_cli" for row in record["totals_by_feature"])
            assert record["used_copilot_coding_agent"] == record["used_copilot_cloud_agent"]
            assert set(record["ai_adoption_phase"]) == {"phase_number", "phase", "version"}
            for row in record["totals_by_ide"]:
                assert set(row["last_known_ide_version"]) == {"ide_version", "sampled_at"}
            assert "ai_credits_used" in record  # days after 2026-06-19
            seen_cli += record["used_cli"]
            seen_models += len(record["totals_by_model_feature"])
    assert seen_cli and seen_models


def test_organization_1_day_is_the_sum_of_the_people(org, client):
    day = weekday(org)
    links = client.get(f"{REPORTS}/organization-1-day", params={"day": day.isoformat()}).json()[
        "download_links"
    ]
    (aggregate,) = download(links)
    assert aggregate == org.aggregate(day)
    people = org.user_records(day)
    assert aggregate["daily_active_users"] == len(people)
    for name in ACTIVITY_FIELDS:
        assert aggregate[name] == sum(p[name] for p in people)
    week = {r["user_id"] for d in range(7) for r in org.user_records(day - timedelta(days=d))}
    month = {r["user_id"] for d in range(28) for r in org.user_records(day - timedelta(days=d))}
    assert aggregate["weekly_active_users"] == len(week)
    assert aggregate["monthly_active_users"] == len(month)
    assert aggregate["daily_active_cli_users"] == sum(p["used_cli"] for p in people)
    by_ide = Counter()
    for p in people:
        for row in p["totals_by_ide"]:
            by_ide[row["ide"]] += row["code_generation_activity_count"]
    assert {r["ide"]: r["code_generation_activity_count"] for r in aggregate["totals_by_ide"]} == by_ide
    assert all("last_known_ide_version" not in r for r in aggregate["totals_by_ide"])
    assert "pull_requests" in aggregate and "totals_by_ai_adoption_phase" in aggregate
    assert "user_id" not in aggregate and "used_chat" not in aggregate


def test_days_without_a_report_answer_204_on_the_org_endpoints(org, client):
    today = org.today
    not_yet = newest(org) + timedelta(days=1)
    before = org.reports_start - timedelta(days=1)
    org.missing_days.add(newest(org) - timedelta(days=5))
    for day in (today, not_yet, before, newest(org) - timedelta(days=5), today + timedelta(days=30)):
        for report in ("users-1-day", "organization-1-day", "user-teams-1-day"):
            response = client.get(f"{REPORTS}/{report}", params={"day": day.isoformat()})
            assert response.status_code == 204, (report, day)
            assert response.content == b""
    org.no_report_status = 404
    response = client.get(f"{REPORTS}/users-1-day", params={"day": not_yet.isoformat()})
    assert response.status_code == 404
    assert response.json() == {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }


def test_a_late_day_appears_once_its_moment_has_come(org, client):
    late = newest(org) - timedelta(days=2)
    org.late_days[late] = org.now + timedelta(hours=5)
    params = {"day": late.isoformat()}
    assert client.get(f"{REPORTS}/users-1-day", params=params).status_code == 204
    assert late not in org.report_days()
    org.now = org.now + timedelta(hours=5)
    response = client.get(f"{REPORTS}/users-1-day", params=params)
    assert response.status_code == 200
    assert download(response.json()["download_links"]) == org.user_records(late)


def test_reports_appear_a_day_after_the_day_closes(copilot_sim):
    org = copilot_sim.add_org("fresh", seats=5, days=10, now=datetime(2026, 11, 18, 23, 59, tzinfo=UTC))
    assert org.latest_report_day == date(2026, 11, 16)
    org.now = datetime(2026, 11, 19, 0, 0, tzinfo=UTC)
    assert org.latest_report_day == date(2026, 11, 17)
    org.report_delay = timedelta(days=3)
    assert org.latest_report_day == date(2026, 11, 15)
    assert org.first_day == date(2026, 11, 9)  # fixed when added; moving now adds days


def test_a_bad_or_missing_day_is_a_validation_error(client):
    for params in ({}, {"day": ""}, {"day": "2026-13-01"}, {"day": "yesterday"}, {"day": "2026-2-1"}):
        response = client.get(f"{REPORTS}/users-1-day", params=params)
        assert response.status_code == 422, params
        body = response.json()
        assert body["message"] == "Validation Failed" and body["status"] == "422"
        assert body["errors"][0]["field"] == "day"
        assert body["errors"][0]["code"] == ("missing_field" if not params.get("day") else "invalid")


def test_users_28_day_latest_is_one_record_per_user_day_in_the_window(org, client):
    org.missing_days.add(newest(org) - timedelta(days=4))
    body = client.get(f"{REPORTS}/users-28-day/latest").json()
    end = newest(org)
    start = end - timedelta(days=27)
    assert body["report_end_day"] == end.isoformat()
    assert body["report_start_day"] == start.isoformat()
    assert set(body) == {"download_links", "report_start_day", "report_end_day"}
    records = download(body["download_links"])
    assert records == org.users_28_day_records()
    assert {(r["report_start_day"], r["report_end_day"]) for r in records} == {
        (start.isoformat(), end.isoformat())
    }
    days = {r["day"] for r in records}
    assert (end - timedelta(days=4)).isoformat() not in days
    for day in (end, weekday(org, 3)):
        expected = [
            {k: v for k, v in r.items() if not k.startswith("report_")}
            for r in records
            if r["day"] == day.isoformat()
        ]
        assert expected == org.user_records(day)


def test_organization_28_day_wraps_the_daily_aggregates(org, client):
    body = client.get(f"{REPORTS}/organization-28-day/latest").json()
    (wrapper,) = download(body["download_links"])
    assert wrapper == org.aggregate_28()
    assert wrapper["report_end_day"] == body["report_end_day"] == newest(org).isoformat()
    assert wrapper["organization_id"] == str(org.id)
    assert [t["day"] for t in wrapper["day_totals"]] == [d.isoformat() for d in org.report_days()[-28:]]
    assert wrapper["day_totals"][-1] == org.aggregate(newest(org))


def test_28_day_reports_404_before_the_first_report(copilot_sim):
    org = copilot_sim.add_org("newborn", seats=3, days=1)
    assert org.latest_report_day is None
    with github(copilot_sim, org.token) as client:
        for report in ("users-28-day", "organization-28-day"):
            assert client.get(f"/orgs/newborn/copilot/metrics/reports/{report}/latest").status_code == 404


def test_user_teams_lists_active_people_in_teams_of_five_or_more(org, client):
    day = weekday(org)
    links = client.get(f"{REPORTS}/user-teams-1-day", params={"day": day.isoformat()}).json()[
        "download_links"
    ]
    records = download(links)
    assert records == org.user_team_records(day)
    assert records
    active = {r["user_id"] for r in org.user_records(day)}
    sizes = Counter(slug for seat in org.seats for slug in seat.teams)
    assert all(r["user_id"] in active and sizes[r["slug"]] >= 5 for r in records)
    assert set(records[0]) == {"user_id", "user_login", "day", "organization_id", "team_id", "slug"}


def test_inactive_people_can_be_listed_with_zero_lines(org):
    day = weekday(org)
    active = org.user_records(day)
    org.include_inactive_users = True
    everyone = org.user_records(day)
    assert len(everyone) == len(org.people_on(day)) > len(active)
    zero = [r for r in everyone if r not in active]
    assert all(r["user_initiated_interaction_count"] == 0 and r["totals_by_ide"] == [] for r in zero)


def test_an_empty_day_has_one_empty_file(copilot_sim, sim_now):
    org = copilot_sim.add_org("quiet", seats=0, days=10)
    with github(copilot_sim, org.token) as client:
        day = org.latest_report_day
        links = client.get(
            "/orgs/quiet/copilot/metrics/reports/users-1-day", params={"day": day.isoformat()}
        ).json()["download_links"]
    assert len(links) == 1
    assert httpx.get(links[0]).content == b""


def test_enterprise_reports_count_each_person_once_and_404_days_without_a_report(copilot_sim):
    ent = copilot_sim.add_enterprise("globex", days=40)
    first = copilot_sim.add_org("globex-eu", seats=20, days=40, seed=7, enterprise=ent)
    second = copilot_sim.add_org("globex-us", seats=20, days=40, seed=7, enterprise=ent)  # the same people
    third = copilot_sim.add_org("globex-ops", seats=10, days=40, seed=8, enterprise=ent)
    day = weekday(ent)
    with github(copilot_sim, ent.token) as client:
        path = "/enterprises/globex/copilot/metrics/reports"
        body = client.get(f"{path}/users-1-day", params={"day": day.isoformat()}).json()
        records = download(body["download_links"])
        assert records == ent.user_records(day)
        assert len({r["user_id"] for r in records}) == len(records)
        ids = {r["user_id"] for r in first.user_records(day)} | {
            r["user_id"] for r in third.user_records(day)
        }
        assert {r["user_id"] for r in records} == ids
        assert all(r["enterprise_id"] == str(ent.id) and "organization_id" not in r for r in records)
        (aggregate,) = download(
            client.get(f"{path}/enterprise-1-day", params={"day": day.isoformat()}).json()["download_links"]
        )
        assert aggregate["daily_active_users"] == len(records)
        assert aggregate["enterprise_id"] == str(ent.id)
        by_id = client.get(
            f"/enterprises/{ent.id}/copilot/metrics/reports/users-1-day", params={"day": day.isoformat()}
        )
        assert by_id.status_code == 200
        not_yet = (ent.latest_report_day + timedelta(days=1)).isoformat()
        for report in ("users-1-day", "enterprise-1-day", "user-teams-1-day"):
            assert client.get(f"{path}/{report}", params={"day": not_yet}).status_code == 404
        body = client.get(f"{path}/users-28-day/latest").json()
        assert download(body["download_links"]) == ent.users_28_day_records()
        (wrapper,) = download(client.get(f"{path}/enterprise-28-day/latest").json()["download_links"])
        assert wrapper == ent.aggregate_28() and "organization_id" not in wrapper
    # The organizations' own reports carry both ids; a shared person counts in each organization.
    assert first.user_records(day) and {r["enterprise_id"] for r in first.user_records(day)} == {str(ent.id)}
    assert [r["user_id"] for r in first.user_records(day)] == [r["user_id"] for r in second.user_records(day)]


def test_a_persons_day_never_depends_on_when_it_is_generated(copilot_sim, sim_now):
    early = copilot_sim.add_org("early", seats=15, days=30, seed=4, now=sim_now)
    later = copilot_sim.add_org("later", seats=15, days=60, seed=4, now=sim_now + timedelta(days=20))
    day = weekday(early, 1)
    assert early.user_records(day) != []
    strip = lambda rs: [{k: v for k, v in r.items() if k != "organization_id"} for r in rs]  # noqa: E731
    assert strip(early.user_records(day)) == strip(later.user_records(day))


@pytest.mark.parametrize(
    "sim_now", CALENDAR_EDGES, ids=[m.strftime("%Y-%m-%dT%H:%M") for m in CALENDAR_EDGES]
)
def test_report_days_and_windows_at_calendar_edges(copilot_sim, sim_now):
    org = copilot_sim.add_org("edge", seats=12, days=40, seed=2)
    expected_newest = sim_now.date() - timedelta(days=2)
    assert org.latest_report_day == expected_newest
    days = org.report_days()
    assert days[-1] == expected_newest
    assert days[0] == max(sim_now.date() - timedelta(days=39), date(2025, 12, 12)) if days else True
    assert all((b - a).days == 1 for a, b in zip(days, days[1:], strict=False))
    with github(copilot_sim, org.token) as client:
        body = client.get("/orgs/edge/copilot/metrics/reports/users-28-day/latest").json()
        assert body["report_end_day"] == expected_newest.isoformat()
        assert body["report_start_day"] == (expected_newest - timedelta(days=27)).isoformat()
        records = download(body["download_links"])
        assert records == org.users_28_day_records()
        yesterday = (sim_now.date() - timedelta(days=1)).isoformat()
        assert (
            client.get(
                "/orgs/edge/copilot/metrics/reports/users-1-day", params={"day": yesterday}
            ).status_code
            == 204
        )
        response = client.get(
            "/orgs/edge/copilot/metrics/reports/users-1-day", params={"day": expected_newest.isoformat()}
        )
        assert response.status_code == 200
        assert download(response.json()["download_links"]) == org.user_records(expected_newest)
    assert all(json.dumps(r) for r in records)
