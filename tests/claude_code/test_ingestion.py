"""Claude Code rows in analytics: a day stored whole (re-sync is a no-op, a revision replaces),
local and remote kept apart, API-key actors never merged into a person, the ToolDay adapter
(figures equal to the raw rows; NULL for what Claude Code lacks; estimates flagged), the
revision schedule and the roster gap."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.models import (
    ClaudeCodeActorDay,
    ClaudeCodeFetchedDay,
    ClaudeCodeModelDay,
    ClaudeCodeUser,
    Tool,
    ToolDay,
    ToolOrgDay,
)
from analytics.selectors.claude_code import roster_gap
from analytics.services import refresh_after_sync
from analytics.services.claude_code import (
    USAGE,
    days_to_fetch,
    store_console_day,
    store_enterprise_activity_day,
    store_enterprise_costs,
    upsert_claude_code_users,
)
from integrations.claude_code.records import (
    parse_console_row,
    parse_enterprise_user_row,
    parse_roster_user,
    parse_user_cost_row,
    parse_user_usage_row,
)
from people.models import Person, PersonEmail

from .fakes import console_row

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
DAY = date(2026, 11, 17)
MODEL = lambda name, cents, inp=1000: {"model": name, "tokens": {"input": inp, "output": 200, "cache_read": 50, "cache_creation": 10},  # noqa: E731
                                      "estimated_cost": {"amount": cents, "currency": "USD"}}  # fmt: skip


def rows(*raw):
    return [parse_console_row(r) for r in raw]


def store(org, *raw, day=DAY, now=NOW):
    return store_console_day(org.pk, day, rows(*raw), now)


def test_a_console_day_is_stored_with_local_and_remote_apart_and_models(org):
    store(
        org,
        console_row("ada@x.io", models=[MODEL("claude-opus-4-8", 186), MODEL("claude-sonnet-5", 42)]),
        console_row("ada@x.io", remote=True, sessions=1, added=7, models=[MODEL("claude-sonnet-5", 5)]),
        console_row(api_key="ci-bot", models=[MODEL("claude-sonnet-5", 57)]),
    )
    local, remote = ClaudeCodeActorDay.objects.filter(organization=org, email="ada@x.io").order_by(
        "is_remote"
    )
    assert (local.is_remote, remote.is_remote, remote.lines_added, remote.sessions) == (False, True, 7, 1)
    assert local.tool_actions == {"edit_tool": {"accepted": 5, "rejected": 1}}
    assert (local.actions_accepted, local.actions_rejected, local.customer_type) == (5, 1, "api")
    bot = ClaudeCodeActorDay.objects.get(organization=org, actor_type="api_actor")
    assert bot.actor_label == "API key: ci-bot" and bot.person_id is None
    assert ClaudeCodeModelDay.objects.filter(organization=org).count() == 4
    assert sum(m.cost_cents for m in ClaudeCodeModelDay.objects.filter(organization=org)) == 290


def test_resync_is_a_no_op_and_a_revision_replaces_the_day(org):
    store(org, console_row("ada@x.io"), console_row("bob@x.io"))
    before = list(ClaudeCodeActorDay.objects.filter(organization=org).values_list("email", "lines_added"))
    store(org, console_row("ada@x.io"), console_row("bob@x.io"))
    assert (
        list(ClaudeCodeActorDay.objects.filter(organization=org).values_list("email", "lines_added"))
        == before
    )
    store(org, console_row("ada@x.io", added=999))  # revised: bob's row is gone, ada's grew
    assert list(ClaudeCodeActorDay.objects.filter(organization=org).values_list("email", "lines_added")) == [
        ("ada@x.io", 999)
    ]
    assert ClaudeCodeModelDay.objects.filter(organization=org).count() == 1


def test_a_record_read_twice_counts_once(org):
    store(org, console_row("ada@x.io"), console_row("ada@x.io"))
    assert ClaudeCodeActorDay.objects.filter(organization=org).count() == 1
    assert ClaudeCodeModelDay.objects.get(organization=org).cost_cents == 42


def test_another_orgs_day_is_untouched(org, other_org):
    store(org, console_row("ada@x.io"))
    store(other_org, console_row("eve@y.io"))
    store(org, console_row("ada@x.io", added=5))
    assert ClaudeCodeActorDay.objects.filter(organization=other_org).count() == 1


def test_tool_days_equal_the_raw_rows_and_api_keys_count_only_in_the_org(org):
    store(
        org,
        console_row(
            "Ada@X.io", added=100, models=[MODEL("claude-opus-4-8", 186, 5000), MODEL("claude-sonnet-5", 42)]
        ),
        console_row("ada@x.io", remote=True, added=7, models=[MODEL("claude-sonnet-5", 5)]),
        console_row("bob@x.io", added=1, models=[]),
        console_row(api_key="ci-bot", added=50, models=[MODEL("claude-sonnet-5", 57)]),
    )
    refresh_after_sync(org.pk, Tool.CLAUDE_CODE, DAY, DAY)
    ada = Person.objects.get(organization=org, primary_email="ada@x.io")
    fact = ToolDay.objects.get(organization=org, tool=Tool.CLAUDE_CODE, person=ada, day=DAY)
    assert fact.active and fact.accepted_lines == 107 and fact.accepted_suggestions == 10
    assert fact.input_tokens == 5000 + 1000 + 1000 and fact.cache_write_tokens == 30
    assert fact.cost_cents == Decimal(186 + 42 + 5) and fact.cost_is_estimate
    assert fact.suggested_lines is None and fact.billed_requests is None and fact.request_units is None
    assert fact.requests is None  # the Console report has no request count
    bob = ToolDay.objects.get(organization=org, tool=Tool.CLAUDE_CODE, person__primary_email="bob@x.io")
    assert bob.cost_cents is None and bob.input_tokens is None  # no model rows: not reported, not 0
    # The API key is nobody: no Person, no ToolDay, but its cost and lines are the org's.
    assert not Person.objects.filter(organization=org, primary_email__icontains="ci-bot").exists()
    assert ToolDay.objects.filter(organization=org, tool=Tool.CLAUDE_CODE).count() == 2
    total = ToolOrgDay.objects.get(organization=org, tool=Tool.CLAUDE_CODE, day=DAY)
    assert (total.people, total.active_people) == (2, 2)
    assert total.cost_cents == Decimal(186 + 42 + 5 + 57) and total.accepted_lines == 107 + 1 + 50
    assert ClaudeCodeActorDay.objects.get(organization=org, actor_type="api_actor").person_id is None


def test_a_user_is_matched_to_an_existing_person_through_an_alias(org):
    person = Person.objects.create(organization=org, name="Ada", primary_email="ada@corp.io")
    PersonEmail.objects.create(organization=org, person=person, email="ada@corp.io")
    PersonEmail.objects.create(organization=org, person=person, email="ada@x.io")
    store(org, console_row("ada@x.io"))
    refresh_after_sync(org.pk, Tool.CLAUDE_CODE, DAY, DAY)
    assert ToolDay.objects.get(organization=org, tool=Tool.CLAUDE_CODE).person_id == person.pk
    assert Person.objects.filter(organization=org).count() == 1


def test_refresh_is_idempotent(org):
    store(org, console_row("ada@x.io"))
    refresh_after_sync(org.pk, Tool.CLAUDE_CODE, DAY, DAY)
    first = list(ToolDay.objects.filter(organization=org).values("cost_cents", "accepted_lines", "active"))
    refresh_after_sync(org.pk, Tool.CLAUDE_CODE, DAY, DAY)
    assert (
        list(ToolDay.objects.filter(organization=org).values("cost_cents", "accepted_lines", "active"))
        == first
    )


def analytics_row(email, commits=4, sessions=6):
    return {"user": {"id": "user_1", "email_address": email, "type": "user"},
            "claude_code_metrics": {"core_metrics": {"commit_count": commits, "distinct_session_count": sessions,
                                    "lines_of_code": {"added_count": 512, "removed_count": 140}, "pull_request_count": 1},
                                    "tool_actions": {"edit_tool": {"accepted_count": 31, "rejected_count": 2}}}}  # fmt: skip


def cost(email, day, model, amount, requests=10):
    return parse_user_cost_row({"actor": {"type": "user_actor", "user_id": "u1", "email": email, "name": "A"},
                                "amount": amount, "currency": "USD", "model": model, "requests": requests,
                                "starting_at": f"{day}T00:00:00Z"})  # fmt: skip


def usage(email, day, model, output):
    return parse_user_usage_row({"actor": {"type": "user_actor", "user_id": "u1", "email": email, "name": "A"},
                                 "model": model, "uncached_input_tokens": 10, "output_tokens": output,
                                 "cache_read_input_tokens": 3, "cache_creation": {"ephemeral_1h_input_tokens": 1,
                                 "ephemeral_5m_input_tokens": 2}, "starting_at": f"{day}T00:00:00Z"})  # fmt: skip


def test_enterprise_activity_and_exact_costs_map_onto_tool_days(org):
    idle = analytics_row("idle@x.io", commits=0, sessions=0)
    idle["claude_code_metrics"]["core_metrics"]["lines_of_code"] = {"added_count": 0, "removed_count": 0}
    idle["claude_code_metrics"]["core_metrics"]["pull_request_count"] = 0
    idle["claude_code_metrics"]["tool_actions"] = {}
    records = [
        parse_enterprise_user_row(analytics_row("ada@x.io"), DAY),
        parse_enterprise_user_row(idle, DAY),
    ]
    assert store_enterprise_activity_day(org.pk, DAY, records, NOW) == 1  # zero-filled members are not stored
    old = DAY - timedelta(days=40)
    costs = [cost("ada@x.io", DAY, "claude-opus-4-6", "41280.000000"), cost("ada@x.io", DAY, "claude-sonnet-5", "0.000001"),
             cost("ada@x.io", old, "claude-sonnet-5", "10.5")]  # fmt: skip
    tokens = [usage("ada@x.io", DAY, "claude-opus-4-6", 500)]
    store_enterprise_costs(org.pk, old, DAY, costs, tokens, NOW, today=date(2026, 11, 25))
    refresh_after_sync(org.pk, Tool.CLAUDE_CODE, old, DAY)
    fact = ToolDay.objects.get(organization=org, tool=Tool.CLAUDE_CODE, day=DAY)
    assert fact.cost_cents == Decimal("41280.000001") and fact.requests == 20
    assert (fact.output_tokens, fact.input_tokens, fact.cache_write_tokens) == (500, 10, 3)
    assert fact.accepted_lines == 512 and fact.accepted_suggestions == 31 and fact.cost_is_estimate
    settled = ToolDay.objects.get(organization=org, tool=Tool.CLAUDE_CODE, day=old)
    assert settled.cost_cents == Decimal("10.5") and not settled.cost_is_estimate  # past the 30-day revisions
    assert ClaudeCodeActorDay.objects.get(organization=org).customer_type == "subscription"


def test_days_to_fetch_refetches_days_fetched_before_they_settled(org):
    d1, d2, d3 = date(2026, 11, 10), date(2026, 11, 20), date(2026, 11, 21)
    store(org, console_row(day=d1.isoformat()), day=d1, now=NOW)  # fetched 15 days later: settled
    store(org, console_row(day=d2.isoformat()), day=d2, now=datetime(2026, 11, 21, 9, tzinfo=UTC))
    assert days_to_fetch(org.pk, USAGE, d1, d3, settle_days=2)[0] == date(2026, 11, 11)
    due = days_to_fetch(org.pk, USAGE, d1, d3, settle_days=2)
    assert d1 not in due and d2 in due and d3 in due
    store(org, console_row(day=d2.isoformat()), day=d2, now=datetime(2026, 11, 23, 0, 1, tzinfo=UTC))
    assert d2 not in days_to_fetch(org.pk, USAGE, d1, d3, settle_days=2)
    assert ClaudeCodeFetchedDay.objects.filter(organization=org).count() == 2


def test_roster_and_the_users_who_never_appear_in_usage(org):
    users = [parse_roster_user({"id": f"user_{n}", "email": f"{n}@x.io", "name": n.title(), "role": "user"})
             for n in ("ada", "bob", "cy")]  # fmt: skip
    upsert_claude_code_users(org.pk, users, NOW)
    store(org, console_row("ada@x.io"))
    assert roster_gap(org)["never_in_usage"] == 2
    upsert_claude_code_users(org.pk, users[:2], NOW)  # cy left
    assert ClaudeCodeUser.objects.get(organization=org, email="cy@x.io").removed_at == NOW
    assert roster_gap(org)["never_in_usage"] == 1
    refresh_after_sync(org.pk, Tool.CLAUDE_CODE, DAY, DAY)
    assert Person.objects.get(organization=org, primary_email="ada@x.io").name == "Ada"
