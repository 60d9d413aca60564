"""The Claude Code sync against a scripted Anthropic (MockTransport) at a fixed clock: backfill
equals the ground truth per person, day and model; re-sync fetches only unsettled days and
changes nothing; revisions are picked up; faults resume with nothing lost or doubled; 401
pauses, 403 fails with what to fix; the Enterprise source within its window and lag."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from analytics.models import ClaudeCodeActorDay, ClaudeCodeModelDay, ClaudeCodeUser, Tool, ToolDay, ToolOrgDay
from integrations.claude_code import services
from integrations.claude_code.options import ClaudeCodeSyncOptions
from integrations.claude_code.sync import backfill_start, run_claude_code_sync
from integrations.models import AuditLogEntry, Connection, Provider, SyncRun

from .fakes import ADMIN_KEY, ANALYTICS_KEY, error
from .scripted import ScriptedAnthropic

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
BACKFILL = 10


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock(datetime(2026, 11, 25, 12, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", c)
    return c


@pytest.fixture(autouse=True)
def short_backfill(settings):
    settings.CLAUDE_CODE_BACKFILL_DAYS = BACKFILL


@pytest.fixture
def anthropic():
    fake = ScriptedAnthropic()
    for i in range(BACKFILL):
        day = (TODAY - timedelta(days=i)).isoformat()
        fake.add_console_day(day, "ada@x.io", "bob@x.io", "cy@x.io", api_keys=("ci-bot",), added=10 + i)
    fake.roster = [{"id": f"user_{n}", "email": f"{n}@x.io", "name": n.title(), "role": "user", "type": "user"}
                   for n in ("ada", "bob", "cy", "dee")]  # fmt: skip
    return fake


def options(fake, **extra):
    return ClaudeCodeSyncOptions(sleep=fake.sleeps.append, transport=fake.transport(), **extra)


def connect(org, source="console"):
    conn = Connection(organization=org, provider=Provider.CLAUDE_CODE, config={"source": source})
    conn.set_api_key(ADMIN_KEY if source == "console" else ANALYTICS_KEY)
    conn.save()
    return conn


def sync(conn, fake, **extra):
    run = SyncRun.objects.create(
        organization=conn.organization, connection=conn, provider=Provider.CLAUDE_CODE
    )
    return run_claude_code_sync(run.pk, options=options(fake, **extra), today_=timezone.now().date())


def ground_truth(fake):
    out = {}
    for day, rows in fake.console.items():
        for r in rows:
            if r["actor"]["type"] == "user_actor":
                m = r["model_breakdown"][0]
                out[(r["actor"]["email_address"], date.fromisoformat(day))] = (
                    r["core_metrics"]["lines_of_code"]["added"],
                    m["tokens"]["input"],
                    Decimal(m["estimated_cost"]["amount"]),
                )
    return out  # fmt: skip


def stored(org):
    return {
        (f.person.primary_email, f.day): (f.accepted_lines, f.input_tokens, f.cost_cents)
        for f in ToolDay.objects.filter(organization=org, tool=Tool.CLAUDE_CODE).select_related("person")
    }


def test_backfill_equals_the_ground_truth_per_person_day_and_model(org, clock, anthropic):
    run = sync(connect(org), anthropic)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert stored(org) == ground_truth(anthropic)
    assert len(anthropic.days_requested()) == BACKFILL  # one call per UTC day (plus next pages)
    assert (
        ClaudeCodeModelDay.objects.filter(organization=org, model="claude-sonnet-5").count() == 4 * BACKFILL
    )
    assert ClaudeCodeUser.objects.filter(organization=org).count() == 4
    org_day = ToolOrgDay.objects.get(organization=org, tool=Tool.CLAUDE_CODE, day=TODAY)
    assert org_day.people == 3 and org_day.cost_cents == 4 * 42  # the API key's cost is the org's
    assert run.progress["usage"]["done"] == BACKFILL and run.percent == 100
    conn = Connection.objects.get(organization=org, provider=Provider.CLAUDE_CODE)
    assert conn.status == Connection.Status.HEALTHY and conn.last_synced_at == clock.now


def test_a_resync_fetches_only_unsettled_days_and_changes_nothing(org, clock, anthropic):
    conn = connect(org)
    sync(conn, anthropic)
    before = stored(org)
    anthropic.requests.clear()
    clock.now += timedelta(hours=1)
    run = sync(conn, anthropic)
    assert run.status == SyncRun.Status.SUCCEEDED
    # Days fetched less than 2 days after they ended are asked again: today, and the 2 before.
    assert sorted(anthropic.days_requested()) == [(TODAY - timedelta(days=i)).isoformat() for i in (2, 1, 0)]
    assert stored(org) == before
    assert ClaudeCodeActorDay.objects.filter(organization=org).count() == 4 * BACKFILL


def test_revisions_of_recent_days_are_picked_up(org, clock, anthropic):
    conn = connect(org)
    sync(conn, anthropic)
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    anthropic.add_console_day(yesterday, "ada@x.io", added=999)  # bob and cy's rows were withdrawn
    clock.now += timedelta(hours=3)
    sync(conn, anthropic)
    facts = stored(org)
    assert facts[("ada@x.io", TODAY - timedelta(days=1))][0] == 999
    assert ("bob@x.io", TODAY - timedelta(days=1)) not in facts
    assert stored(org) == ground_truth(anthropic)


def test_a_long_rate_limit_ends_partial_and_the_next_sync_resumes_without_loss(org, clock, anthropic):
    conn = connect(org)
    # The first six days go through, then Anthropic asks for an hour's wait.
    calls = {"n": 0}
    original = anthropic.__call__

    def limited(request):
        if request.url.path.endswith("/claude_code"):
            calls["n"] += 1
            if calls["n"] == 7:
                return error(429, "rate_limit_error", headers={"retry-after": "3600"})
        return original(request)

    run = SyncRun.objects.create(organization=org, connection=conn, provider=Provider.CLAUDE_CODE)
    run = run_claude_code_sync(
        run.pk, options=ClaudeCodeSyncOptions(sleep=anthropic.sleeps.append, transport=httpx.MockTransport(limited)),
        today_=TODAY,
    )  # fmt: skip
    assert run.status == SyncRun.Status.PARTIAL and "rate-limiting" in run.message
    assert anthropic.sleeps == []  # an hour is not slept inside a sync
    partial = stored(org)
    assert 0 < len({d for _, d in partial}) < BACKFILL
    clock.now += timedelta(minutes=5)
    assert sync(conn, anthropic).status == SyncRun.Status.SUCCEEDED
    assert stored(org) == ground_truth(anthropic)  # nothing lost, nothing doubled


def test_transient_faults_are_retried_inside_the_run(org, clock, anthropic):
    anthropic.fail_next("/claude_code", error(529, "overloaded_error"))
    anthropic.fail_next("/claude_code", error(500, "api_error"))
    anthropic.fail_next("/users", error(503, "api_error"))
    run = sync(connect(org), anthropic)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert stored(org) == ground_truth(anthropic)
    assert len(anthropic.sleeps) == 3


def test_malformed_rows_are_skipped_counted_and_said(org, clock, anthropic):
    anthropic.console[TODAY.isoformat()].append({"actor": {"type": "user_actor"}, "date": "garbage"})
    run = sync(connect(org), anthropic)
    assert (
        run.status == SyncRun.Status.SUCCEEDED and "Skipped 1 malformed record from Anthropic" in run.message
    )


def test_a_401_pauses_syncs_until_the_key_is_replaced(org, clock, anthropic):
    conn = connect(org)
    anthropic.fail_next("/users", error(401, "authentication_error", "invalid x-api-key"))
    run = sync(conn, anthropic)
    conn.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED and conn.status == Connection.Status.KEY_REJECTED
    assert (
        AuditLogEntry.objects.filter(
            organization=org, provider=Provider.CLAUDE_CODE, action="key_rejected"
        ).count()
        == 1
    )
    with pytest.raises(services.ClaudeCodeSyncsPaused):
        services.trigger_sync(conn)


def test_a_403_fails_with_what_to_fix(org, clock, anthropic):
    conn = connect(org)
    anthropic.fail_next("/users", error(403, "permission_error", "not allowed"))
    run = sync(conn, anthropic)
    conn.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED and conn.status == Connection.Status.FAILING
    assert "Admin API key" in conn.last_error and ADMIN_KEY not in run.message


def test_a_disconnected_connection_stops_the_run(org, clock, anthropic):
    conn = connect(org)
    run = SyncRun.objects.create(organization=org, connection=conn, provider=Provider.CLAUDE_CODE)
    conn.delete()
    run = run_claude_code_sync(run.pk, options=options(anthropic), today_=TODAY)
    assert run.status == SyncRun.Status.FAILED and "removed" in run.message


def test_backfill_is_bounded_by_what_the_enterprise_api_keeps(settings):
    settings.CLAUDE_CODE_BACKFILL_DAYS = 400
    settings.CLAUDE_CODE_ENTERPRISE_WINDOW_DAYS = 90
    assert backfill_start("enterprise", TODAY) == TODAY - timedelta(days=89)
    assert backfill_start("console", TODAY) == TODAY - timedelta(days=399)
    assert backfill_start("enterprise", date(2026, 2, 1)) == date(2026, 1, 1)


def enterprise_row(email, commits):
    return {"user": {"id": "u", "email_address": email, "type": "user"},
            "claude_code_metrics": {"core_metrics": {"commit_count": commits, "distinct_session_count": 2,
                                    "lines_of_code": {"added_count": 40, "removed_count": 4}, "pull_request_count": 0},
                                    "tool_actions": {"edit_tool": {"accepted_count": 3, "rejected_count": 1}}}}  # fmt: skip


def test_the_enterprise_source_respects_the_lag_and_stores_exact_costs(org, clock, anthropic, settings):
    settings.CLAUDE_CODE_ENTERPRISE_LAG_DAYS = 1
    for i in range(1, BACKFILL):
        day = (TODAY - timedelta(days=i)).isoformat()
        anthropic.activity[day] = [enterprise_row("ada@x.io", i), enterprise_row("bob@x.io", 0)]
        anthropic.costs.append({"actor": {"type": "user_actor", "user_id": "u", "email": "ada@x.io", "name": "Ada"},
                                "amount": "1234.567891", "currency": "USD", "model": "claude-opus-4-6",
                                "requests": 3, "starting_at": f"{day}T00:00:00Z"})  # fmt: skip
    anthropic.latest_activity_day = (TODAY - timedelta(days=2)).isoformat()  # one day later than the lag says
    run = sync(connect(org, "enterprise"), anthropic)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    activity_days = {
        r.url.params["date"] for r in anthropic.requests if r.url.path.endswith("/analytics/users")
    }
    assert TODAY.isoformat() not in activity_days  # the lag: today is never asked
    ada = ToolDay.objects.filter(organization=org, tool=Tool.CLAUDE_CODE, person__primary_email="ada@x.io")
    assert sum(f.cost_cents for f in ada) == Decimal("1234.567891") * (BACKFILL - 1)
    assert all(f.cost_is_estimate for f in ada)  # inside the 30-day revision window
    assert ClaudeCodeActorDay.objects.filter(organization=org, day=TODAY - timedelta(days=1)).count() == 0
    assert "no activity after" in run.progress["activity"]["note"]
