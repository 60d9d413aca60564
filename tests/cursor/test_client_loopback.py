"""CursorClient against the Cursor simulator over real HTTP on loopback.

Every endpoint is compared with the simulator's ground truth, and every simulator fault is
driven through the client. Fixtures ``cursor_sim`` / ``sim_team`` / ``make_sim_team`` come from
tests/fixtures/cursor_sim.py.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

pytest.importorskip("simulators.cursor")

from integrations.cursor.client import ANALYTICS_TEAM_METRICS, CursorClient  # noqa: E402
from integrations.cursor.errors import (  # noqa: E402
    CursorTimeout,
    InvalidApiKey,
    PlanRequired,
    RateLimited,
    UpstreamError,
)
from integrations.cursor.parsing import to_datetime  # noqa: E402
from integrations.cursor.ratelimit import (  # noqa: E402
    InProcessRateLimiter,
    NoRateLimit,
    RedisRateLimiter,
)

from .test_ratelimit import REDIS_URL, max_in_any_window, needs_redis  # noqa: E402

EVENTS = "/teams/filtered-usage-events"


class Recorder:
    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.waits: list[tuple[float, str]] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def on_wait(self, seconds: float, reason: str) -> None:
        self.waits.append((seconds, reason))


def make_client(cursor_sim, team, recorder: Recorder | None = None, **kwargs) -> CursorClient:
    recorder = recorder or Recorder()
    kwargs.setdefault("limiter", NoRateLimit())
    kwargs.setdefault("sleep", recorder.sleep)
    kwargs.setdefault("on_wait", recorder.on_wait)
    kwargs.setdefault("timeout", 10.0)
    return CursorClient(team.api_key, base_url=cursor_sim.base_url, **kwargs)


def statuses(team, path: str | None = None) -> list[int]:
    return [status for _, _, p, status in team.request_log if path is None or p == path]


def window(team):
    """The team's whole data window as (first day, last day, first instant, now)."""
    start = datetime(team.first_day.year, team.first_day.month, team.first_day.day, tzinfo=UTC)
    return team.first_day, team.last_day, start, team.now


def event_key(raw_or_event) -> tuple:
    if isinstance(raw_or_event, dict):
        ts = to_datetime(raw_or_event["timestamp"])
        return ts, raw_or_event["userEmail"].lower(), Decimal(str(raw_or_event.get("chargedCents", 0)))
    return raw_or_event.timestamp, raw_or_event.email, raw_or_event.charged_cents


# -- every endpoint against ground truth ------------------------------------------------------


def test_members_match_ground_truth(cursor_sim, sim_team):
    members = make_client(cursor_sim, sim_team).members()
    truth = sim_team.members()
    assert [(m.user_id, m.email, m.name, m.role, m.is_removed) for m in members] == [
        (t["id"], t["email"].lower(), t["name"], t["role"], t["isRemoved"]) for t in truth
    ]
    assert any(m.is_removed for m in members)  # the simulator roster includes removed members


def test_daily_usage_matches_ground_truth_including_inactive_days(cursor_sim, sim_team):
    first, last, _, _ = window(sim_team)
    rows = list(make_client(cursor_sim, sim_team).daily_usage(first, last))
    truth = sim_team.daily_rows(first, last, include_inactive=True)
    assert len(rows) == len(truth)
    got = Counter((r.email, r.day.isoformat(), r.is_active, r.total_lines_added, r.user_id) for r in rows)
    want = Counter(
        (t["email"].lower(), t["day"], t["isActive"], t["totalLinesAdded"], str(t["userId"])) for t in truth
    )
    assert got == want
    assert any(not r.is_active for r in rows)
    # 35 days = two windows, each a single page of ≤500 users.
    assert statuses(sim_team, "/teams/daily-usage-data") == [200, 200]


def test_usage_events_match_ground_truth_exactly(cursor_sim, sim_team):
    _, _, start, now = window(sim_team)
    events = list(make_client(cursor_sim, sim_team).usage_events(start, now))
    truth = sim_team.usage_events(int(start.timestamp() * 1000), sim_team.now_ms)
    assert len(events) == len(truth) > 1000
    assert Counter(map(event_key, events)) == Counter(map(event_key, truth))
    assert sum(e.charged_cents for e in events) == sum(Decimal(str(t["chargedCents"])) for t in truth)
    # 35 days need two windows; every page was fetched exactly once.
    assert set(statuses(sim_team, EVENTS)) == {200}


def test_usage_events_adjacent_calls_do_not_double_count(cursor_sim, sim_team):
    """Two back-to-back ranges split at a millisecond return the whole range exactly once."""
    _, _, start, now = window(sim_team)
    middle = start + (now - start) / 2
    client = make_client(cursor_sim, sim_team)
    before = list(client.usage_events(start, middle - timedelta(milliseconds=1)))
    after = list(client.usage_events(middle, now))
    whole = sim_team.usage_events(int(start.timestamp() * 1000), sim_team.now_ms)
    assert Counter(map(event_key, before + after)) == Counter(map(event_key, whole))


def test_spend_matches_ground_truth(cursor_sim, sim_team):
    report = make_client(cursor_sim, sim_team).spend()
    truth = sim_team.spend_rows()
    assert report.cycle_start == sim_team.cycle_start
    got = {(m.email, m.spend_cents, m.overall_spend_cents, m.fast_premium_requests) for m in report.members}
    want = {
        (
            t["email"].lower(),
            Decimal(str(t["spendCents"])),
            Decimal(str(t["overallSpendCents"])),
            t["fastPremiumRequests"],
        )
        for t in truth
    }
    assert got == want


def test_spend_legacy_shape_maps_to_the_same_numbers(cursor_sim, sim_team):
    modern = {m.email: m for m in make_client(cursor_sim, sim_team).spend().members}
    sim_team.legacy_shapes = True
    legacy = make_client(cursor_sim, sim_team).spend().members
    assert {m.email for m in legacy} == set(modern)
    for m in legacy:
        assert (m.spend_cents, m.overall_spend_cents) == (
            modern[m.email].spend_cents,
            modern[m.email].overall_spend_cents,
        )
        assert m.user_id.isdigit()


def test_audit_logs_over_the_window(cursor_sim, sim_team):
    _, _, start, now = window(sim_team)
    events = list(make_client(cursor_sim, sim_team).audit_logs(start, now))
    assert events
    assert len({e.event_id for e in events}) == len(events)
    assert all(start <= e.timestamp <= now for e in events)
    assert {"login"} <= {e.event_type for e in events}
    assert set(statuses(sim_team, "/teams/audit-logs")) == {200}


@pytest.mark.parametrize("metric", ANALYTICS_TEAM_METRICS)
def test_analytics_every_metric(cursor_sim, sim_team, metric):
    first, last, _, _ = window(sim_team)
    rows = make_client(cursor_sim, sim_team).analytics(metric, first, last)
    assert rows and all(r.metric == metric and first <= r.day <= last for r in rows)
    if metric == "dau":
        active = Counter(
            t["day"] for t in sim_team.daily_rows(first, last, include_inactive=False) if t["isActive"]
        )
        assert {r.day.isoformat(): r.values["dau"] for r in rows if r.values["dau"]} == dict(active)
    if metric == "models":
        assert all(set(r.values) == {"messages", "users"} and r.key for r in rows)
    if metric == "mcp":
        assert all(r.key.count("/") == 1 for r in rows)


def test_analytics_etag_304_returns_the_cached_rows(cursor_sim, sim_team):
    first, last, _, _ = window(sim_team)
    client = make_client(cursor_sim, sim_team)
    once = client.analytics("tabs", first, last)
    twice = client.analytics("tabs", first, last)
    assert once == twice and once
    assert statuses(sim_team, "/analytics/team/tabs") == [200, 200, 304, 304]  # two windows each


def test_leaderboard(cursor_sim, sim_team):
    last = sim_team.last_day
    entries = make_client(cursor_sim, sim_team).leaderboard(last - timedelta(days=29), last)
    tab = [e for e in entries if e.board == "tab"]
    agent = [e for e in entries if e.board == "agent"]
    assert tab and agent
    assert [e.rank for e in tab] == list(range(1, len(tab) + 1))
    assert all("@" in e.email and e.user_id.startswith("user_") for e in entries)


def _raw_ai_items(cursor_sim, team, endpoint, first, last):
    """All items straight from the simulator, one window, for comparison."""
    items, page = [], 1
    while True:
        response = httpx.get(
            f"{cursor_sim.base_url}/analytics/ai-code/{endpoint}",
            params={
                "startDate": first.isoformat(),
                "endDate": last.isoformat(),
                "page": page,
                "pageSize": 1000,
            },
            auth=(team.api_key, ""),
        )
        body = response.json()
        items += body["items"]
        if page * 1000 >= body["totalCount"]:
            return items
        page += 1


def test_ai_code_commits_and_changes(cursor_sim, sim_team):
    first, last, _, _ = window(sim_team)
    client = make_client(cursor_sim, sim_team)
    commits = list(client.ai_code_commits(first, last))
    changes = list(client.ai_code_changes(first, last))
    mid = first + timedelta(days=29)
    raw_commits = _raw_ai_items(cursor_sim, sim_team, "commits", first, mid)
    raw_commits += _raw_ai_items(cursor_sim, sim_team, "commits", mid + timedelta(days=1), last)
    raw_changes = _raw_ai_items(cursor_sim, sim_team, "changes", first, mid)
    raw_changes += _raw_ai_items(cursor_sim, sim_team, "changes", mid + timedelta(days=1), last)
    assert Counter((c.commit_hash, c.created_at) for c in commits) == Counter(
        (r["commitHash"], to_datetime(r["createdAt"])) for r in raw_commits
    )
    assert sorted(c.change_id for c in changes) == sorted(r["changeId"] for r in raw_changes)
    assert len(changes) > 1000  # more than one page per window
    assert all(c.source in ("TAB", "COMPOSER") for c in changes)


# -- plans and keys -----------------------------------------------------------------------------


def test_validate_enterprise(cursor_sim, sim_team):
    caps = make_client(cursor_sim, sim_team).validate()
    assert (caps.admin, caps.analytics, caps.ai_code, caps.plan_note) == (True, True, True, "")
    assert caps.member_count == sum(1 for m in sim_team.members() if not m["isRemoved"])


@pytest.mark.parametrize("denied_status", [403, 401])
def test_validate_team_plan(cursor_sim, make_sim_team, denied_status):
    team = make_sim_team(plan="team")
    team.enterprise_denied_status = denied_status
    caps = make_client(cursor_sim, team).validate()
    assert (caps.admin, caps.analytics, caps.ai_code) == (True, False, False)
    assert "Enterprise" in caps.plan_note
    with pytest.raises(PlanRequired):
        list(make_client(cursor_sim, team).ai_code_changes(team.last_day, team.last_day))


def test_unknown_key_is_invalid_api_key_after_one_request(cursor_sim, sim_team):
    before = time.monotonic()
    key = "crsr_" + uuid.uuid4().hex * 2
    client = CursorClient(key, base_url=cursor_sim.base_url, limiter=NoRateLimit(), sleep=lambda s: None)
    with pytest.raises(InvalidApiKey) as info:
        client.members()
    assert key not in str(info.value)
    unknown = [e for e in list(cursor_sim.request_log) if e[0] >= before and e[1] is None]
    assert [status for *_, status in unknown] == [401]


# -- faults -----------------------------------------------------------------------------------------


def test_rate_limit_storm_with_retry_after(cursor_sim, sim_team):
    sim_team.faults.rate_limit_storm(3, retry_after=True)
    rec = Recorder()
    assert make_client(cursor_sim, sim_team, rec).members()
    assert statuses(sim_team) == [429, 429, 429, 200]
    assert rec.sleeps == [1.0, 1.0, 1.0]


def test_rate_limit_storm_with_reset_header(cursor_sim, sim_team):
    sim_team.faults.rate_limit_storm(1, retry_after=False, reset_header=True)
    rec = Recorder()
    make_client(cursor_sim, sim_team, rec).members()
    assert len(rec.sleeps) == 1 and 0 <= rec.sleeps[0] <= 1.0


def test_rate_limit_storm_exhausts_retries(cursor_sim, sim_team):
    sim_team.faults.rate_limit_storm(10, retry_after=False)
    rec = Recorder()
    with pytest.raises(RateLimited) as info:
        make_client(cursor_sim, sim_team, rec, max_retries=3).members()
    assert info.value.retry_after is None
    assert statuses(sim_team) == [429] * 4
    assert len(rec.sleeps) == 3


def test_rate_limit_storm_exhausted_reports_retry_after(cursor_sim, sim_team):
    sim_team.faults.rate_limit_storm(10, retry_after=True)
    with pytest.raises(RateLimited) as info:
        make_client(cursor_sim, sim_team, max_retries=2).members()
    assert info.value.retry_after == 1.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_fail_next_is_retried(cursor_sim, sim_team, status):
    sim_team.faults.fail_next(2, status)
    assert make_client(cursor_sim, sim_team).members()
    assert statuses(sim_team) == [status, status, 200]


def test_fail_next_exhausted_is_upstream_error(cursor_sim, sim_team):
    sim_team.faults.fail_next(10, 500)
    with pytest.raises(UpstreamError) as info:
        make_client(cursor_sim, sim_team, max_retries=2).members()
    assert info.value.status == 500
    assert statuses(sim_team) == [500] * 3


@pytest.mark.parametrize("status", [400, 404])
def test_fail_next_4xx_is_not_retried(cursor_sim, sim_team, status):
    sim_team.faults.fail_next(1, status)
    with pytest.raises(UpstreamError):
        make_client(cursor_sim, sim_team).members()
    assert statuses(sim_team) == [status]


def test_fail_next_401_and_403(cursor_sim, sim_team):
    sim_team.faults.fail_next(1, 401)
    with pytest.raises(InvalidApiKey):
        make_client(cursor_sim, sim_team).members()
    sim_team.faults.fail_next(1, 401, path="/analytics/*")
    with pytest.raises(PlanRequired):
        make_client(cursor_sim, sim_team).analytics("dau", sim_team.last_day, sim_team.last_day)
    sim_team.faults.fail_next(1, 403)
    with pytest.raises(PlanRequired):
        make_client(cursor_sim, sim_team).spend()
    assert statuses(sim_team) == [401, 401, 403]


def test_fail_on_call_in_the_middle_of_pagination(cursor_sim, sim_team):
    _, _, start, now = window(sim_team)
    sim_team.faults.fail_on_call(3, 502, path=EVENTS)
    events = list(make_client(cursor_sim, sim_team).usage_events(start, now))
    truth = sim_team.usage_events(int(start.timestamp() * 1000), sim_team.now_ms)
    assert len(events) == len(truth)
    assert statuses(sim_team, EVENTS)[2] == 502


def test_slow_server_times_out(cursor_sim, sim_team):
    sim_team.faults.slow_seconds = 0.6
    with pytest.raises(CursorTimeout):
        make_client(cursor_sim, sim_team, timeout=0.2, max_retries=1).members()
    sim_team.faults.slow_seconds = 0.0


def test_slow_server_within_timeout_succeeds(cursor_sim, sim_team):
    sim_team.faults.slow_seconds = 0.2
    assert make_client(cursor_sim, sim_team, timeout=2.0).members()
    sim_team.faults.slow_seconds = 0.0


def test_malformed_json_is_upstream_error_without_retry(cursor_sim, sim_team):
    sim_team.faults.malformed_json_next(1)
    with pytest.raises(UpstreamError):
        make_client(cursor_sim, sim_team).members()
    assert statuses(sim_team) == [200]


def test_malformed_json_mid_pagination(cursor_sim, sim_team):
    _, _, start, now = window(sim_team)
    client = make_client(cursor_sim, sim_team)
    iterator = client.usage_events(start, now)
    for _ in range(1500):  # into the second page
        next(iterator)
    sim_team.faults.malformed_json_next(1, path=EVENTS)
    with pytest.raises(UpstreamError):
        list(iterator)


def _fetch_all(client, team, which):
    first, last, start, now = window(team)
    if which == "members":
        return client.members()
    if which == "daily":
        return list(client.daily_usage(first, last))
    if which == "events":
        return list(client.usage_events(start, now))
    if which == "spend":
        return client.spend().members
    if which == "audit":
        return list(client.audit_logs(start, now))
    if which == "analytics":
        return client.analytics("dau", first, last)
    if which == "leaderboard":
        return client.leaderboard(last - timedelta(days=10), last)
    if which == "commits":
        return list(client.ai_code_commits(first, last))
    if which == "changes":
        return list(client.ai_code_changes(first, last))
    raise AssertionError(which)


@pytest.mark.parametrize(
    "which",
    ["members", "daily", "events", "spend", "audit", "analytics", "leaderboard", "commits", "changes"],
)
def test_malformed_record_is_skipped_and_the_rest_match(cursor_sim, make_sim_team, which):
    clean_team = make_sim_team(seed=7)
    broken_team = make_sim_team(seed=7)
    clean = _fetch_all(make_client(cursor_sim, clean_team), clean_team, which)
    broken_team.faults.malformed_record_next(1)
    client = make_client(cursor_sim, broken_team)
    got = _fetch_all(client, broken_team, which)
    assert client.skipped_records == 1
    assert got == clean


def test_legacy_shapes_end_to_end(cursor_sim, sim_team):
    sim_team.legacy_shapes = True
    client = make_client(cursor_sim, sim_team)
    first, last, start, now = window(sim_team)
    members = client.members()
    assert all(m.user_id.isdigit() for m in members)
    events = list(client.usage_events(start, now))
    truth = sim_team.usage_events(int(start.timestamp() * 1000), sim_team.now_ms)
    assert "kindLabel" in truth[0] and "kind" not in truth[0]
    assert Counter(e.kind for e in events) == Counter(t["kindLabel"] for t in truth)
    rows = list(client.daily_usage(first, last))
    assert rows and all(r.user_id.isdigit() for r in rows)
    assert client.skipped_records == 0


def test_key_never_reaches_logs_against_the_simulator(cursor_sim, sim_team, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    sim_team.faults.fail_next(1, 503)
    sim_team.faults.malformed_record_next(1)
    client = make_client(cursor_sim, sim_team)
    client.members()
    assert caplog.records
    for record in caplog.records:
        assert sim_team.api_key not in record.getMessage()
        assert sim_team.api_key not in str(record.__dict__)
    assert sim_team.api_key not in repr(client)


# -- the limiter keeps the simulator's counters below the limit ------------------------------


def _limited(cursor_sim, limits, window_seconds):
    cursor_sim.rate_limits = True
    cursor_sim.rate_window_seconds = window_seconds
    cursor_sim.reset_rate_limit_buckets()
    cursor_sim.set_limits(limits)


def test_in_process_limiter_never_trips_the_simulator(cursor_sim, sim_team):
    limits = {"admin": 3, "usage_events": 5}
    # The simulator logs a request when it answers; generate the data first so that answer
    # times stay close to arrival times (the server counts arrivals).
    sim_team.warm()
    _limited(cursor_sim, limits, 1.0)
    # No safety margin: the client counts each request from its answer, which is after the
    # server counted it, so even thread-scheduling noise cannot make it over-admit.
    limiter = InProcessRateLimiter(limits, window_seconds=1.0, margin_seconds=0)
    rec = Recorder()
    client = make_client(cursor_sim, sim_team, rec, limiter=limiter)
    for _ in range(7):
        client.members()
    last = sim_team.last_day
    start = datetime(last.year, last.month, last.day, tzinfo=UTC) - timedelta(days=20)
    events = list(client.usage_events(start, sim_team.now))
    assert len(events) > 5000  # more pages than one window allows
    assert 429 not in statuses(sim_team)
    for family, limit in limits.items():
        times = [t for t, fam, _, _ in sim_team.request_log if fam == family]
        assert max_in_any_window(times, 1.0) <= limit
    assert ("rate limit" in {reason for _, reason in rec.waits}) and rec.sleeps == []


def test_without_the_limiter_the_simulator_does_rate_limit(cursor_sim, sim_team):
    """Control for the test above: the same traffic with no limiter trips the server's 429."""
    _limited(cursor_sim, {"admin": 3}, 1.0)
    client = make_client(cursor_sim, sim_team, max_retries=0)
    with pytest.raises(RateLimited):
        for _ in range(7):
            client.members()
    assert statuses(sim_team) == [200, 200, 200, 429]


@needs_redis
def test_redis_limiter_shared_by_threads_never_trips_the_simulator(cursor_sim, sim_team):
    limits = {"admin": 4, "ai_code": 3}
    _limited(cursor_sim, limits, 1.0)
    prefix = f"test:rl:{uuid.uuid4().hex}"
    errors = []

    def worker(kind):
        # Each worker has its own limiter instance, as separate processes would.
        limiter = RedisRateLimiter(REDIS_URL, limits, window_seconds=1.0, margin_seconds=0, key_prefix=prefix)
        client = make_client(cursor_sim, sim_team, limiter=limiter, sleep=lambda s: None)
        try:
            for _ in range(4):
                if kind == "admin":
                    client.members()
                else:
                    list(client.ai_code_commits(sim_team.last_day, sim_team.last_day))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in ("admin", "admin", "admin", "ai", "ai")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert 429 not in statuses(sim_team)
    for family, limit in limits.items():
        times = [t for t, fam, _, _ in sim_team.request_log if fam == family]
        assert max_in_any_window(times, 1.0) <= limit


@pytest.mark.parametrize("header", ["retry_after_header", "rate_limit_reset_header"])
def test_natural_429_hint_is_honoured_and_reported(cursor_sim, sim_team, header):
    _limited(cursor_sim, {"admin": 1}, 60.0)
    setattr(cursor_sim, header, True)
    rec = Recorder()
    client = make_client(cursor_sim, sim_team, rec, max_retries=1)
    client.members()
    with pytest.raises(RateLimited) as info:
        client.members()
    assert statuses(sim_team) == [200, 429, 429]
    assert 55 <= info.value.retry_after <= 61
    assert len(rec.sleeps) == 1 and 55 <= rec.sleeps[0] <= 61
    assert rec.waits[0][1] == "Cursor rate limit"
