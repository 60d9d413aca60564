"""The simulator's data faults, over real loopback HTTP: what Koalr's data-quality checks look for.

Each fault changes exactly what it names, and the ground-truth methods serve the faulted data.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
DAY_MS = 86_400_000


def day_ms(day) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def team(make_sim_team, cursor_sim):
    cursor_sim.rate_limits = False
    return make_sim_team(seats=10, days=20)


@pytest.fixture
def client(cursor_sim, team):
    with httpx.Client(base_url=cursor_sim.base_url, auth=(team.api_key, ""), timeout=30) as c:
        yield c


def daily(client, first, last, paginated=True):
    body = {"startDate": day_ms(first), "endDate": day_ms(last) + DAY_MS - 1}
    if paginated:
        body |= {"page": 1, "pageSize": 1000}
    return client.post("/teams/daily-usage-data", json=body).json()["data"]


def events(client, first, last):
    body = {"startDate": day_ms(first), "endDate": day_ms(last) + DAY_MS - 1, "pageSize": 1000}
    out, page = [], 1
    while True:
        answer = client.post("/teams/filtered-usage-events", json=body | {"page": page}).json()
        out += answer["usageEvents"]
        if not answer["pagination"]["hasNextPage"]:
            return out
        page += 1


def test_drop_day_serves_no_daily_rows_for_that_day_only(team, client):
    day = team.last_day - timedelta(days=3)
    before = Counter(r["day"] for r in daily(client, day - timedelta(days=1), day + timedelta(days=1)))
    assert before[day.isoformat()] > 0
    team.drop_day(day)
    after = Counter(r["day"] for r in daily(client, day - timedelta(days=1), day + timedelta(days=1)))
    assert day.isoformat() not in after
    assert after == {k: v for k, v in before.items() if k != day.isoformat()}
    assert not [r for r in daily(client, day, day, paginated=False)]
    assert events(client, day, day), "events of the dropped day are still served"
    assert not [r for r in team.daily_rows(day, day, include_inactive=True)]


def test_revise_day_after_requests_changes_a_later_fetch(team, client):
    day = team.last_day - timedelta(days=2)
    first = events(client, day, day)
    team.revise_day_after(day, requests=2)
    assert len(events(client, day, day)) == len(first)  # 1st request after arming: not yet
    client.get("/teams/members")  # 2nd
    later = events(client, day, day)  # the revision happens before this one is answered
    assert len(later) > len(first)
    rows = daily(client, day, day)
    assert sum(
        r["agentRequests"] + r["chatRequests"] + r["composerRequests"] + r["cmdkUsages"] for r in rows
    ) == len(later)
    with pytest.raises(ValueError):
        team.revise_day_after(team.first_day - timedelta(days=1))


def test_usage_only_member_is_in_usage_but_not_in_members_or_spend(team, client):
    email = team.add_usage_only_member("ghost.user@elsewhere.example")
    roster = {m["email"] for m in client.get("/teams/members").json()["teamMembers"]}
    assert email not in roster
    spend = {m["email"] for m in client.post("/teams/spend", json={}).json()["teamMemberSpend"]}
    assert email not in spend
    recent = team.last_day - timedelta(days=1)
    assert any(e["userEmail"] == email for e in events(client, recent, recent))
    rows = [r for r in daily(client, recent, recent) if r["email"] == email]
    assert rows and rows[0]["isActive"]
    with pytest.raises(ValueError):
        team.add_usage_only_member(email)


def test_spend_skew_makes_the_total_disagree_with_the_events(team, client):
    owner = team.roster[0].email
    clean = {m["email"]: m for m in client.post("/teams/spend", json={}).json()["teamMemberSpend"]}
    team.skew_spend(owner, 250.5)
    skewed = {m["email"]: m for m in client.post("/teams/spend", json={}).json()["teamMemberSpend"]}
    assert skewed[owner]["overallSpendCents"] == pytest.approx(clean[owner]["overallSpendCents"] + 250.5)
    assert skewed[owner]["spendCents"] == pytest.approx(clean[owner]["spendCents"] + 250.5)
    assert {k: v for k, v in skewed.items() if k != owner} == {k: v for k, v in clean.items() if k != owner}
    cycle_events = events(client, team.cycle_start.date(), team.last_day)
    charged = sum(e["chargedCents"] for e in cycle_events if e["userEmail"] == owner)
    assert skewed[owner]["overallSpendCents"] - charged == pytest.approx(250.5, abs=1e-3)


def test_malformed_events_from_data_spec(team, client):
    day = team.last_day - timedelta(days=1)
    clean = events(client, day, day)
    team.apply_data_faults({"malformed_events": 1})
    broken = events(client, day, day)
    assert len(broken) == len(clean) + 1
    assert broken[0]["timestamp"] == "not-a-number"
    assert events(client, day, day) == clean  # consumed


def test_apply_data_faults_arms_everything_and_rejects_unknown_keys(team, client):
    dropped, revised = team.last_day - timedelta(days=4), team.last_day - timedelta(days=3)
    team.apply_data_faults(
        {
            "drop_days": [dropped.isoformat()],
            "revise_days": [{"day": revised.isoformat(), "after_requests": 0}],
            "usage_only_emails": [""],
            "spend_skew": {"owner": 100},
        }
    )
    assert not [r for r in daily(client, dropped, dropped)]
    assert team._revisions.get(revised) == 1
    assert any(not m.listed and m.leave_day is None for m in team.roster)
    assert team.spend_skew_cents == {team.roster[0].email.lower(): 100.0}
    with pytest.raises(ValueError, match="unknown data faults"):
        team.apply_data_faults({"drop_everything": True})
    with pytest.raises(ValueError):
        team.apply_data_faults({"malformed_events": -1})


def test_command_flags_arm_the_data_faults():
    env = os.environ | {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "koalr.settings", "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "manage.py", "cursor_simulator", "--port", "0", "--seats", "6", "--days", "10"]
    args += ["--api-key", "key_" + "d" * 64, "--no-rate-limits", "--no-warm", "--now", "2026-11-18T12:00:00Z"]
    args += ["--drop-day", "2026-11-15", "--usage-only-email", "ghost@elsewhere.example"]
    args += ["--spend-skew", "500", "--malformed-events", "1", "--revise-day", "2026-11-16@3"]
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        url = re.fullmatch(
            r"Cursor simulator listening on (http://127\.0\.0\.1:\d+)\n", proc.stdout.readline()
        )
        assert url, proc.stderr.read() if proc.poll() is not None else "no URL printed"
        proc.stdout.readline()
        with httpx.Client(base_url=url.group(1), auth=("key_" + "d" * 64, ""), timeout=10) as c:
            from datetime import date

            d15, d16 = date(2026, 11, 15), date(2026, 11, 16)
            assert not daily(c, d15, d15)
            first = events(c, d16, d16)
            assert first[0]["timestamp"] == "not-a-number"  # --malformed-events 1 (request 1)
            assert "ghost@elsewhere.example" not in {
                m["email"] for m in c.get("/teams/members").json()["teamMembers"]
            }
            c.get("/teams/members")  # request 3: the revision is due before request 4
            assert len(events(c, d16, d16)) > len(first) - 1
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


@pytest.mark.parametrize(
    "flag", [["--drop-day", "yesterday"], ["--revise-day", "2026-11-16@x"], ["--spend-skew", "nan"]]
)
def test_command_rejects_malformed_fault_flags(flag):
    env = os.environ | {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "koalr.settings"}
    args = [sys.executable, "manage.py", "cursor_simulator", "--port", "0", *flag]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "error" in result.stderr.lower()


def test_drop_events_serves_no_events_of_that_day_but_keeps_daily_rows_and_spend(team, client):
    day = team.last_day - timedelta(days=2)
    spend_before = client.post("/teams/spend", json={}).json()["teamMemberSpend"]
    assert events(client, day, day)
    team.drop_events(day)
    assert events(client, day, day) == []
    assert events(client, day - timedelta(days=1), day - timedelta(days=1))
    assert [r for r in daily(client, day, day) if r["isActive"]]
    assert client.post("/teams/spend", json={}).json()["teamMemberSpend"] == spend_before
    assert team.usage_events(day_ms(day), day_ms(day) + DAY_MS - 1) == []
