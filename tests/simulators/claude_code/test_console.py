"""The Console Claude Code report and the Admin users list, over loopback HTTP
(docs/claude-code-api.md §3, §4.1)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from simulators.claude_code import ClaudeCodeSimulator
from simulators.claude_code.generate import PRICES, list_micro_cents

from .conftest import client
from .helpers import REPORT, USERS, report_day

RECORD_KEYS = {
    "actor",
    "organization_id",
    "customer_type",
    "subscription_type",
    "terminal_type",
    "is_remote",
    "date",
    "core_metrics",
    "tool_actions",
    "model_breakdown",
}
KNOWN_TOOLS = {"edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool"}


def recent_days(org, n=5):
    today = org.now.date()
    return [today - timedelta(days=k) for k in range(n)]


def busiest_day(org):
    return max(recent_days(org, 10)[1:], key=lambda d: len(org.report_rows(d)))


def test_records_have_the_documented_shape(admin, console):
    day = busiest_day(console)
    rows, _ = report_day(admin, day, limit=1000)
    assert rows
    for row in rows:
        assert set(row) == RECORD_KEYS
        assert row["date"] == f"{day.isoformat()}T00:00:00Z"
        assert row["organization_id"] == console.organization_id
        assert row["customer_type"] == "api" and row["subscription_type"] is None
        assert isinstance(row["is_remote"], bool)
        actor = row["actor"]
        assert actor["type"] in ("user_actor", "api_actor")
        assert set(actor) == {"type", "email_address" if actor["type"] == "user_actor" else "api_key_name"}
        core = row["core_metrics"]
        assert set(core) == {
            "num_sessions",
            "lines_of_code",
            "commits_by_claude_code",
            "pull_requests_by_claude_code",
        }
        assert core["num_sessions"] >= 1 and set(core["lines_of_code"]) == {"added", "removed"}
        assert set(row["tool_actions"]) <= KNOWN_TOOLS
        for counts in row["tool_actions"].values():
            assert set(counts) == {"accepted", "rejected"} and counts["accepted"] + counts["rejected"] > 0
        assert row["model_breakdown"]
        for item in row["model_breakdown"]:
            assert item["model"] in PRICES
            assert set(item["tokens"]) == {"input", "output", "cache_read", "cache_creation"}
            assert isinstance(item["estimated_cost"]["amount"], int)
            assert item["estimated_cost"]["currency"] == "USD"
            tokens = tuple(item["tokens"][k] for k in ("input", "output", "cache_read", "cache_creation"))
            assert (
                item["estimated_cost"]["amount"]
                == (list_micro_cents(item["model"], tokens) + 500_000) // 1_000_000
            )


def test_pagination_returns_every_record_once_in_any_page_size(admin, console):
    day = busiest_day(console)
    truth = console.report_rows(day)
    assert len(truth) > 5
    for limit in (1, 3, 20, 1000):
        rows, pages = report_day(admin, day, limit=limit)
        assert rows == truth
        assert pages == max(1, -(-len(truth) // limit))
    first = admin.get(REPORT, params={"starting_at": day.isoformat()}).json()
    assert len(first["data"]) == min(20, len(truth))  # default limit 20
    assert re.fullmatch(r"page_[A-Za-z0-9_=-]+", first["next_page"] or "page_x")


def test_a_pagination_session_keeps_its_data_boundary(admin, console):
    day = console.now.date()  # today keeps growing
    before = console.report_rows(day)
    first = admin.get(REPORT, params={"starting_at": day.isoformat(), "limit": 2}).json()
    console.now += timedelta(hours=6)
    after = console.report_rows(day)
    assert after != before  # more of today became visible
    rest, page = [], first["next_page"]
    while page:
        body = admin.get(REPORT, params={"starting_at": day.isoformat(), "limit": 2, "page": page}).json()
        rest += body["data"]
        page = body["next_page"]
    assert first["data"] + rest == before


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"starting_at": "2026-02-30"},
        {"starting_at": "2026-11-16T00:00:00Z"},
        {"starting_at": "16/11/2026"},
        {"starting_at": "2026-11-16", "limit": "0"},
        {"starting_at": "2026-11-16", "limit": "1001"},
        {"starting_at": "2026-11-16", "limit": "ten"},
        {"starting_at": "2026-11-16", "page": "garbage"},
        {"starting_at": "2026-11-16", "page": "page_bm90IGpzb24="},
    ],
)
def test_bad_parameters_answer_400_invalid_request_error(admin, params):
    response = admin.get(REPORT, params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert body["request_id"] == response.headers["request-id"]


def test_a_cursor_of_another_day_is_rejected(admin, console):
    day = busiest_day(console)
    page = admin.get(REPORT, params={"starting_at": day.isoformat(), "limit": 1}).json()["next_page"]
    other = (day - timedelta(days=1)).isoformat()
    assert admin.get(REPORT, params={"starting_at": other, "page": page}).status_code == 400


def test_days_outside_the_data_window_are_empty(admin, console):
    empty = {"data": [], "has_more": False, "next_page": None}
    before = console.first_day - timedelta(days=1)
    future = console.now.date() + timedelta(days=3)
    for day in (before, future):
        assert admin.get(REPORT, params={"starting_at": day.isoformat()}).json() == empty


def test_remote_and_local_rows_are_separate_and_api_keys_are_actors(console):
    rows = [r for d in recent_days(console, 30) for r in console.report_rows(d)]
    per_actor_day = Counter(
        (r["date"], r["actor"].get("email_address") or r["actor"]["api_key_name"]) for r in rows
    )
    assert max(per_actor_day.values()) == 2  # one local and one remote row at most
    assert any(r["is_remote"] for r in rows) and any(not r["is_remote"] for r in rows)
    key_rows = [r for r in rows if r["actor"]["type"] == "api_actor"]
    assert {r["actor"]["api_key_name"] for r in key_rows} == {"ci-review-bot", "nightly-refactor"}
    assert all(r["subscription_type"] is None and r["customer_type"] == "api" for r in key_rows)
    assert any(r["is_remote"] for r in key_rows if r["actor"]["api_key_name"] == "ci-review-bot")
    listed = {u["email"] for u in console.users_list()}
    assert not {r["actor"].get("api_key_name") for r in key_rows} & listed


def test_subscription_users_are_missing_unless_switched_on(console):
    subscribers = {p.email for p in console.people if p.customer_type == "subscription"}
    assert subscribers
    days = recent_days(console, 14)
    seen = {r["actor"].get("email_address") for d in days for r in console.report_rows(d)}
    assert not seen & subscribers
    missing = set(console.missing_from_usage(days[-1], days[0]))
    assert subscribers <= missing
    console.serve_subscription_rows = True
    rows = [r for d in days for r in console.report_rows(d)]
    served = {r["actor"].get("email_address") for r in rows if r["customer_type"] == "subscription"}
    assert served and served <= subscribers
    assert {r["subscription_type"] for r in rows if r["customer_type"] == "subscription"} <= {
        "team",
        "enterprise",
    }


def _without_cost(totals):
    """Totals that do not depend on how rows are cut (costs are rounded per row)."""
    if totals is None:
        return None
    out = {k: v for k, v in totals.items() if k not in ("rows", "remote_rows", "cost_cents")}
    out["models"] = {
        m: {k: v for k, v in t.items() if k != "cost_cents"} for m, t in totals["models"].items()
    }
    return out


def test_split_by_terminal_keeps_the_totals(console):
    day = busiest_day(console)
    actors = [p.email or p.api_key_name for p in console.people]
    merged = {a: console.actor_day(a, day) for a in actors}
    merged_rows = len(console.report_rows(day))
    console.split_by_terminal = True
    assert len(console.report_rows(day)) > merged_rows
    split = {a: console.actor_day(a, day) for a in actors}
    assert {a: _without_cost(t) for a, t in split.items()} == {a: _without_cost(t) for a, t in merged.items()}


def test_older_shapes_switches(console):
    day = busiest_day(console)
    console.serve_is_remote = False
    console.omit_null_subscription_type = True
    console.extra_tool_names = ("bash_tool",)
    rows = console.report_rows(day)
    assert rows and all("is_remote" not in r and "subscription_type" not in r for r in rows)
    assert any("bash_tool" in r["tool_actions"] for r in rows)
    per_actor = Counter(r["actor"].get("email_address") or r["actor"]["api_key_name"] for r in rows)
    assert set(per_actor.values()) == {1}


def test_ending_at_is_ignored_unless_switched_on(admin, console):
    day = busiest_day(console)
    params = {
        "starting_at": (day - timedelta(days=2)).isoformat(),
        "ending_at": (day + timedelta(days=1)).isoformat(),
    }
    single = admin.get(REPORT, params=params | {"limit": 1000}).json()["data"]
    assert single == console.report_rows(day - timedelta(days=2))
    console.accept_ending_at = True
    rows, page = [], None
    while True:
        body = admin.get(REPORT, params=params | {"limit": 5} | ({"page": page} if page else {})).json()
        rows += body["data"]
        if not body["has_more"]:
            break
        page = body["next_page"]
    assert rows == [r for k in (2, 1, 0) for r in console.report_rows(day - timedelta(days=k))]
    assert (
        admin.get(REPORT, params={"starting_at": day.isoformat(), "ending_at": day.isoformat()}).status_code
        == 400
    )


def test_fractional_estimated_costs_when_switched_on(admin, console):
    day = busiest_day(console)
    console.fractional_estimated_cost = True
    rows, _ = report_day(admin, day, limit=1000)
    amounts = [m["estimated_cost"]["amount"] for r in rows for m in r["model_breakdown"]]
    assert any(isinstance(a, float) and a != int(a) for a in amounts)
    actor = rows[0]["actor"].get("email_address") or rows[0]["actor"]["api_key_name"]
    served = sum(
        Decimal(str(m["estimated_cost"]["amount"]))
        for r in rows
        if actor in r["actor"].values()
        for m in r["model_breakdown"]
    )
    assert console.actor_day(actor, day)["cost_cents"] == served


def test_ground_truth_per_person_day_and_model_equals_what_was_served(admin, console):
    for day in recent_days(console, 4):
        rows, _ = report_day(admin, day, limit=7)
        served: dict = {}
        for row in rows:
            actor = row["actor"].get("email_address") or row["actor"]["api_key_name"]
            entry = served.setdefault(actor, {"sessions": 0, "models": Counter()})
            entry["sessions"] += row["core_metrics"]["num_sessions"]
            for item in row["model_breakdown"]:
                entry["models"][item["model"]] += item["estimated_cost"]["amount"]
        for actor, entry in served.items():
            truth = console.actor_day(actor, day)
            assert truth["sessions"] == entry["sessions"]
            assert {m: v["cost_cents"] for m, v in truth["models"].items()} == dict(entry["models"])
            model = next(iter(entry["models"]))
            assert console.model_day(actor, day, model)["cost_cents"] == entry["models"][model]
        assert console.actor_day("nobody@example.com", day) is None


def test_recent_days_are_revised_as_time_passes_and_old_days_are_not(console):
    today = console.now.date()
    snapshot = {d: console.report_rows(d) for d in recent_days(console, 8)}
    console.now += timedelta(days=3)
    changed = {d for d, rows in snapshot.items() if console.report_rows(d) != rows}
    assert today in changed
    assert changed <= {today - timedelta(days=k) for k in range(3)}  # late sessions arrive within 60 h
    old = today - timedelta(days=6)
    assert console.report_rows(old) == snapshot[old]


def test_revise_day_adds_late_sessions_to_a_few_actors(console):
    day = console.now.date() - timedelta(days=10)
    before = {p.actor_label: console.actor_day(p.email or p.api_key_name, day) for p in console.people}
    revised = console.revise_day(day)
    assert 1 <= len(revised) <= 3
    after = {p.actor_label: console.actor_day(p.email or p.api_key_name, day) for p in console.people}
    changed = {label for label in before if before[label] != after[label]}
    assert changed == set(revised)
    for label in revised:
        assert after[label]["sessions"] > (before[label] or {"sessions": 0})["sessions"]


def test_only_data_older_than_an_hour_is_served(console):
    day = console.now.date() - timedelta(days=1)
    console.freshness_seconds = 0
    fresh = console.report_rows(day)
    console.freshness_seconds = 30 * 3600
    assert sum(r["core_metrics"]["num_sessions"] for r in console.report_rows(day)) < sum(
        r["core_metrics"]["num_sessions"] for r in fresh
    )


def test_same_seed_same_data_other_seed_other_data(sim_now):
    def snapshot(seed):
        sim = ClaudeCodeSimulator(now=sim_now, seed=seed)
        org = sim.console
        return [org.report_rows(d) for d in recent_days(org, 5)], org.users_list()

    assert snapshot(4) == snapshot(4)
    assert snapshot(4) != snapshot(5)


# -- users list -------------------------------------------------------------------------------------


def test_users_list_pages_with_after_id_and_before_id(admin, console):
    truth = console.users_list()
    assert len(truth) == console.users
    got, after = [], None
    while True:
        body = admin.get(USERS, params={"limit": 6} | ({"after_id": after} if after else {})).json()
        assert set(body) == {"data", "first_id", "last_id", "has_more"}
        got += body["data"]
        assert body["first_id"] == body["data"][0]["id"] and body["last_id"] == body["data"][-1]["id"]
        if not body["has_more"]:
            break
        after = body["last_id"]
    assert got == truth
    assert all(
        set(u) == {"id", "added_at", "email", "name", "role", "type"} and u["type"] == "user" for u in got
    )
    back = admin.get(USERS, params={"limit": 6, "before_id": truth[10]["id"]}).json()
    assert back["data"] == truth[4:10] and back["has_more"] is True
    assert admin.get(USERS).json()["data"] == truth[:20]  # default limit 20


def test_users_list_filters(admin, console):
    truth = console.users_list()
    one = admin.get(USERS, params={"email": truth[3]["email"].upper()}).json()
    assert one["data"] == [truth[3]] and one["has_more"] is False
    admins = admin.get(USERS, params=[("roles[]", "admin"), ("limit", "1000")]).json()["data"]
    assert admins and admins == [u for u in truth if u["role"] == "admin"]
    none = admin.get(USERS, params={"email": "nobody@example.com"}).json()
    assert none == {"data": [], "first_id": None, "last_id": None, "has_more": False}
    for params in (
        {"roles[]": "superuser"},
        {"after_id": "user_nope"},
        {"after_id": truth[0]["id"], "before_id": truth[1]["id"]},
    ):
        assert admin.get(USERS, params=params).status_code == 400


def test_users_list_for_an_enterprise_key_needs_read_members(cc_sim, enterprise):
    with client(cc_sim, enterprise.enterprise_key) as c:
        body = c.get(USERS, params={"limit": 1000}).json()
    assert body["data"] == enterprise.users_list()
    assert {u["role"] for u in body["data"]} <= {
        "user",
        "owner",
        "primary_owner",
        "membership_admin",
        "managed",
    }
    narrow = cc_sim.add_key(enterprise, "enterprise", scopes=["read:analytics"])
    with client(cc_sim, narrow) as c:
        response = c.get(USERS)
    assert response.status_code == 403
    assert (
        "read:analytics" in response.json()["error"]["message"]
        and "read:members" in response.json()["error"]["message"]
    )


def test_ex_members_appear_in_usage_but_not_in_the_users_list(make_org):
    org = make_org("console", seed=3, users=30, days=60)
    ex = [p for p in org.people if not p.listed and not p.is_api_key]
    assert len(ex) == 1 and ex[0].customer_type == "api"
    assert ex[0].email not in {u["email"] for u in org.users_list()}
    days = [org.first_day + timedelta(days=k) for k in range(org.days)]
    active = [d for d in days if org.actor_day(ex[0].email, d)]
    assert active and max(active) <= ex[0].leave_day


def test_org_clock_is_injected_not_read(make_org):
    moment = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
    org = make_org("console", now=moment)
    assert org.now == moment and org.first_day == moment.date() - timedelta(days=89)
    with pytest.raises(ValueError):
        org.now = datetime(2027, 6, 2)
