"""The Claude Code sync against the Claude Code simulator over loopback, at a fixed moment:
backfill equals the simulator's ground truth per person, day and model; re-sync is a no-op;
revisions are picked up; it resumes after faults with nothing lost or doubled; the roster gap
count; the key never reaches a page, a log or the API."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import ClaudeCodeActorDay, ClaudeCodeModelDay, Tool, ToolDay
from analytics.selectors.claude_code import roster_gap
from integrations.claude_code import services
from integrations.claude_code.options import ClaudeCodeSyncOptions
from integrations.claude_code.sync import run_claude_code_sync
from integrations.key_check import IntegrationError
from integrations.models import Connection, SyncRun

pytestmark = pytest.mark.django_db

SIM_NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
DAYS = 8


@pytest.fixture
def sim():
    from simulators.claude_code import ClaudeCodeSimulator

    simulator = ClaudeCodeSimulator(now=SIM_NOW, users=12, days=30, seed=4)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def clock(monkeypatch):
    state = {"now": SIM_NOW}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


@pytest.fixture(autouse=True)
def setup(settings, monkeypatch, sim):
    settings.CLAUDE_CODE_BACKFILL_DAYS = DAYS
    settings.CLAUDE_CODE_API_BASE_URL = sim.url
    settings.CLAUDE_CODE_SYNC_OPTIONS = ClaudeCodeSyncOptions(sleep=lambda s: None, timeout=5.0)
    monkeypatch.setattr("integrations.tasks.sync_claude_code_connection.delay", lambda run_id: None)


def connect(org, sim, source="console"):
    key = sim.admin_key if source == "console" else sim.enterprise_key
    return services.connect_claude_code(org, None, key, source=source, start_backfill=False).connection


def sync(conn, clock, **options):
    run = services.create_foreground_run(conn)
    opts = ClaudeCodeSyncOptions(sleep=lambda s: None, timeout=5.0, **options)
    return run_claude_code_sync(run.pk, options=opts, today_=clock["now"].date())


def days():
    return [SIM_NOW.date() - timedelta(days=i) for i in range(DAYS)]


def assert_equals_ground_truth(org, sim_org):
    """Every stored actor-day and model-day equals the simulator's served totals, and back."""
    checked = 0
    for day in days():
        served = {
            r["actor"].get("email_address") or r["actor"].get("api_key_name")
            for r in sim_org.report_rows(day)
        }
        stored_actors = set()
        for row in ClaudeCodeActorDay.objects.filter(organization=org, day=day):
            stored_actors.add(row.email or row.api_key_name)
        assert stored_actors == served, day
        for actor in served:
            truth = sim_org.actor_day(actor, day)
            key = f"user:{actor}" if "@" in actor else f"api:{actor}"
            acts = ClaudeCodeActorDay.objects.filter(organization=org, day=day, actor_key=key)
            assert sum(a.lines_added for a in acts) == truth["lines_added"]
            assert sum(a.commits for a in acts) == truth["commits"]
            assert sum(a.pull_requests for a in acts) == truth["pull_requests"]
            assert sum(a.sessions for a in acts) == truth["sessions"]
            for model, figures in truth["models"].items():
                rows = ClaudeCodeModelDay.objects.filter(
                    organization=org, day=day, actor_key=key, model=model
                )
                assert sum(r.output_tokens for r in rows) == figures["output"]
                assert sum(r.cache_creation_tokens for r in rows) == figures["cache_creation"]
                assert sum(r.cost_cents for r in rows) == Decimal(figures["cost_cents"])
            if "@" in actor:  # a person's ToolDay equals the served totals
                fact = ToolDay.objects.get(organization=org, tool=Tool.CLAUDE_CODE, day=day,
                                           person__emails__email=actor)  # fmt: skip
                assert fact.accepted_lines == truth["lines_added"]
                assert fact.cost_cents == (Decimal(truth["cost_cents"]) if truth["models"] else None)
            checked += 1
    assert checked > DAYS  # the simulator served real activity


def test_backfill_equals_the_ground_truth_and_resync_is_a_no_op(org, sim, clock):
    conn = connect(org, sim)
    run = sync(conn, clock)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert_equals_ground_truth(org, sim.console)
    # API keys are stored as such, never as people.
    assert (
        ClaudeCodeActorDay.objects.filter(
            organization=org, actor_type="api_actor", person__isnull=False
        ).count()
        == 0
    )
    assert not ToolDay.objects.filter(organization=org, person__primary_email__contains="bot").exists()
    missing = sim.console.missing_from_usage(min(days()), max(days()))
    assert roster_gap(org)["never_in_usage"] == len(missing) > 0
    before = list(ClaudeCodeModelDay.objects.filter(organization=org).order_by("pk").values())
    clock["now"] += timedelta(minutes=30)  # the simulator's data stays at its fixed moment
    assert sync(conn, clock).status == SyncRun.Status.SUCCEEDED
    after = list(ClaudeCodeModelDay.objects.filter(organization=org).order_by("day", "actor_key", "is_remote", "model").values(
        "day", "actor_key", "is_remote", "model", "output_tokens", "cost_cents"))  # fmt: skip
    assert after == sorted(
        (
            {k: r[k] for k in ("day", "actor_key", "is_remote", "model", "output_tokens", "cost_cents")}
            for r in before
        ),
        key=lambda r: (r["day"], r["actor_key"], r["is_remote"], r["model"]),
    )


def test_revisions_are_picked_up(org, sim, clock):
    conn = connect(org, sim)
    sync(conn, clock)
    yesterday = SIM_NOW.date() - timedelta(days=1)
    assert sim.console.revise_day(yesterday)
    clock["now"] += timedelta(hours=1)
    assert sync(conn, clock).status == SyncRun.Status.SUCCEEDED
    assert_equals_ground_truth(org, sim.console)


def test_resumes_after_faults_with_nothing_lost_or_doubled(org, sim, clock):
    conn = connect(org, sim)
    faults = sim.console.faults
    faults.fail_next(2, status=500)
    faults.overloaded_next(1)
    faults.rate_limit_storm(2, retry_after=1)
    assert sync(conn, clock).status == SyncRun.Status.SUCCEEDED
    faults.reset()
    faults.fail_on_call(4, status=503)
    run = sync(conn, clock, max_retries=0)  # the fourth call fails for good: a failed, resumable run
    assert run.status == SyncRun.Status.FAILED and "next hourly sync" in run.message
    clock["now"] += timedelta(minutes=10)
    assert sync(conn, clock).status == SyncRun.Status.SUCCEEDED
    assert_equals_ground_truth(org, sim.console)


def test_a_long_rate_limit_ends_partial_and_resumes(org, sim, clock):
    conn = connect(org, sim)
    sim.console.faults.rate_limit_storm(1, retry_after=3600)
    run = sync(conn, clock, max_wait=60)
    assert run.status == SyncRun.Status.PARTIAL
    assert sync(conn, clock).status == SyncRun.Status.SUCCEEDED
    assert_equals_ground_truth(org, sim.console)


def test_malformed_records_are_skipped_and_counted(org, sim, clock):
    conn = connect(org, sim)
    sim.console.faults.malformed_record_next(1, path="/v1/organizations/usage_report/claude_code")
    run = sync(conn, clock)
    assert run.status == SyncRun.Status.SUCCEEDED and "Skipped 1 malformed record" in run.message


def test_key_checks_against_the_simulator(org, sim):
    with pytest.raises(IntegrationError, match="not an Admin API key"):
        services.check_key("console", sim.console.api_key)  # a standard key: refused by its prefix
    with pytest.raises(IntegrationError, match="Analytics API key"):
        services.check_key("enterprise", sim.admin_key)
    narrow = sim.add_key(sim.enterprise, "enterprise", scopes=["read:members"])
    with pytest.raises(IntegrationError, match="read:analytics") as raised:
        services.check_key("enterprise", narrow)
    assert narrow not in str(raised.value) + raised.value.hint
    sim.console.revoke_key(sim.admin_key)
    with pytest.raises(services.KeyRejected):
        services.check_key("console", sim.admin_key)


def test_a_revoked_key_pauses_the_connection(org, sim, clock):
    conn = connect(org, sim)
    sim.console.revoke_key(sim.admin_key)
    run = sync(conn, clock)
    conn.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED and conn.status == Connection.Status.KEY_REJECTED


def test_enterprise_backfill_equals_the_ground_truth(org, sim, clock):
    conn = connect(org, sim, "enterprise")
    run = sync(conn, clock)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    start = min(days())
    end = SIM_NOW.date() - timedelta(days=1)
    truth = sim.enterprise.cost_rows(
        datetime.combine(start, datetime.min.time(), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC),
        bucket_width="1d", products=["claude_code"], group_by=("model",),
    )  # fmt: skip
    expected = sum(Decimal(r["amount"]) for r in truth)
    stored = sum(r.cost_cents for r in ClaudeCodeModelDay.objects.filter(organization=org))
    assert stored == expected and expected > 0  # exact decimal cents, nothing lost to floats
    assert ClaudeCodeActorDay.objects.filter(organization=org).exists()
    assert ToolDay.objects.filter(organization=org, tool=Tool.CLAUDE_CODE, cost_is_estimate=True).exists()


def test_the_key_never_reaches_a_page_a_log_or_the_api(org, sim, clock, admin_client, caplog):
    caplog.set_level(logging.DEBUG)
    conn = connect(org, sim)
    sim.console.faults.fail_next(1, status=500)
    sync(conn, clock)
    key = sim.admin_key
    pages = [admin_client.get(u).content.decode() for u in (
        "/settings/integrations/claude-code/", "/settings/integrations/claude-code/progress.json",
        "/settings/integrations/", "/settings/integrations/audit/", "/ai-analytics/tools/")]  # fmt: skip
    api = admin_client.get(f"/api/v1/orgs/{org.slug}/usage", {"product": "claude_code",
                           "start": min(days()), "end": SIM_NOW.date()}).content.decode()  # fmt: skip
    for text in [
        *pages,
        api,
        caplog.text,
        repr(conn),
        str(Connection.objects.filter(pk=conn.pk).values().first()),
    ]:
        assert key not in text
    assert key[-4:] in pages[0]  # only the last four characters
