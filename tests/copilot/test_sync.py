"""The Copilot sync against a scripted GitHub (MockTransport): backfill equals the ground truth,
re-syncs change nothing, faults resume without loss, "no report" days are asked again."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from analytics.models import (
    CopilotBillingLine,
    CopilotOrgDay,
    CopilotReportDay,
    CopilotSeat,
    CopilotUserDay,
    Tool,
    ToolDay,
)
from integrations.copilot import services
from integrations.copilot.options import CopilotSyncOptions
from integrations.copilot.sync import run_copilot_sync
from integrations.models import AuditLogEntry, Connection, Provider, SyncRun
from integrations.ratelimit import NoRateLimit

from .fakes import TOKEN, gh_error
from .scripted import REPORTS, ScriptedGitHub

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
BACKFILL = 14
USERS_DAY = f"{REPORTS}/users-1-day"


@pytest.fixture(autouse=True)
def short_backfill(settings):
    settings.COPILOT_BACKFILL_DAYS = BACKFILL


@pytest.fixture
def github():
    return ScriptedGitHub(TODAY, days=20, missing={TODAY - timedelta(days=6)})


@pytest.fixture
def options(github):
    return CopilotSyncOptions(
        sleep=github.sleeps.append,
        limiter=NoRateLimit(),
        transport=httpx.MockTransport(github.api),
        download_transport=httpx.MockTransport(github.download),
    )


@pytest.fixture
def connection(org):
    conn = Connection(organization=org, provider=Provider.COPILOT, config={"scope": "org", "slug": "acme"})
    conn.set_api_key(TOKEN)
    conn.save()
    return conn


def sync(connection, options, days=None) -> SyncRun:
    run = services.create_foreground_run(connection, days=days)
    return run_copilot_sync(run.pk, options=options, today_=TODAY)


def stored(org) -> dict:
    return {
        (r.login, r.day): (
            r.interactions,
            r.acceptances,
            r.loc_suggested_to_add,
            r.loc_added,
            r.ai_credits_used,
        )
        for r in CopilotUserDay.objects.filter(organization=org)
    }


def expected(github, start, end) -> dict:
    return {
        key: (
            r["user_initiated_interaction_count"],
            r["code_acceptance_activity_count"],
            r["loc_suggested_to_add_sum"],
            r["loc_added_sum"],
            pytest.approx(r["ai_credits_used"]),
        )
        for key, r in github.expected(start, end).items()
    }


def facts(org) -> list:
    return sorted(
        ToolDay.objects.filter(organization=org, tool=Tool.COPILOT).values_list(
            "person__github_login", "day", "active", "requests", "accepted_lines", "cost_cents"
        )
    )


def test_backfill_equals_the_ground_truth(org, connection, options, github):
    run = sync(connection, options)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    start, end = TODAY - timedelta(days=BACKFILL), TODAY - timedelta(days=1)
    assert (run.window_start, run.window_end) == (start, end)
    assert stored(org) == expected(github, start, end)
    markers = dict(
        CopilotReportDay.objects.filter(organization=org, report="users").values_list("day", "status")
    )
    assert markers[TODAY - timedelta(days=6)] == "no_report"  # GitHub had none: not zeros
    assert markers[TODAY - timedelta(days=1)] == "no_report"  # not processed yet
    assert markers[github.latest] == "reported"
    assert len(markers) == BACKFILL
    # ToolDay: one fact per (login, day) in the report, person matched by login.
    assert len(facts(org)) == len(expected(github, start, end))
    ada = {(d, req) for login, d, _a, req, _l, _c in facts(org) if login == "ada"}
    assert ada == {
        (d, r["user_initiated_interaction_count"])
        for (lg, d), r in github.expected(start, end).items()
        if lg == "ada"
    }
    assert CopilotSeat.objects.filter(organization=org).count() == 3
    assert CopilotOrgDay.objects.filter(organization=org).count() == len(
        [d for d in github.truth if start <= d <= end]
    )
    assert CopilotBillingLine.objects.filter(organization=org, login="").exists()
    assert set(
        CopilotBillingLine.objects.filter(organization=org).exclude(login="").values_list("login", flat=True)
    ) == {"ada", "bob", "cy"}
    connection.refresh_from_db()
    assert connection.status == Connection.Status.HEALTHY and connection.last_synced_at is not None
    assert run.percent == 100
    # The token never went to the download host.
    assert github.downloads and all(
        "authorization" not in {k.lower() for k in r.headers} for r in github.downloads
    )


def test_first_backfill_uses_the_28_day_report_for_older_days(org, connection, options, github):
    sync(connection, options)
    day_requests = [r for r in github.requests if r.url.path == USERS_DAY]
    # Only the fresh days (and none of those the 28-day report covered) were asked one by one.
    assert len(day_requests) <= 5
    assert any(r.url.path.endswith("users-28-day/latest") for r in github.requests)


def test_a_resync_changes_nothing_and_asks_only_for_fresh_and_missing_days(org, connection, options, github):
    sync(connection, options)
    before_rows, before_facts = stored(org), facts(org)
    github.requests.clear()
    run = sync(connection, options)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert stored(org) == before_rows and facts(org) == before_facts
    asked = sorted(
        date.fromisoformat(r.url.params["day"]) for r in github.requests if r.url.path == USERS_DAY
    )
    fresh = [TODAY - timedelta(days=i) for i in range(4, 0, -1)]
    assert asked == sorted({TODAY - timedelta(days=6), *fresh})


def test_a_day_whose_report_appears_later_is_fetched_then(org, connection, options, github):
    sync(connection, options)
    late = TODAY - timedelta(days=6)
    assert not CopilotUserDay.objects.filter(organization=org, day=late).exists()
    github.truth[late] = [github.truth[github.latest][0] | {"day": late.isoformat()}]
    sync(connection, options)
    assert CopilotUserDay.objects.filter(organization=org, day=late).count() == 1
    assert CopilotReportDay.objects.get(organization=org, report="users", day=late).status == "reported"


def test_a_fault_mid_sync_resumes_without_loss_or_duplicates(org, connection, options, github, settings):
    settings.COPILOT_BACKFILL_DAYS = 4  # per-day requests only (no 28-day fill)
    broken = TODAY - timedelta(days=3)
    github.faults[broken] = gh_error(502, "Server Error")
    run = sync(connection, options)
    assert run.status == SyncRun.Status.FAILED
    assert "HTTP 502" in run.message and "continues" in run.message
    kept = stored(org)
    assert kept and all(day < broken for _login, day in kept)  # the days before the fault are kept
    connection.refresh_from_db()
    assert connection.status == Connection.Status.FAILING
    del github.faults[broken]
    run = sync(connection, options)
    assert run.status == SyncRun.Status.SUCCEEDED
    start, end = TODAY - timedelta(days=4), TODAY - timedelta(days=1)
    assert stored(org) == expected(github, start, end)


def test_a_long_rate_limit_ends_the_run_partial_and_the_next_run_finishes(
    org, connection, options, github, settings
):
    settings.COPILOT_BACKFILL_DAYS = 4
    limited = TODAY - timedelta(days=3)
    github.faults[limited] = gh_error(429, "Too many requests", headers={"retry-after": "3600"})
    run = sync(connection, options)
    assert run.status == SyncRun.Status.PARTIAL and "rate limit" in run.message
    assert github.sleeps == []  # an hour is not slept inside a sync
    del github.faults[limited]
    sync(connection, options)
    start, end = TODAY - timedelta(days=4), TODAY - timedelta(days=1)
    assert stored(org) == expected(github, start, end)


def test_401_pauses_the_connection_until_the_token_is_replaced(org, connection, options, github):
    github.route("/orgs/acme/copilot/billing/seats", gh_error(401, "Bad credentials"))
    run = sync(connection, options)
    assert run.status == SyncRun.Status.FAILED and "401" in run.message
    connection.refresh_from_db()
    assert connection.status == Connection.Status.KEY_REJECTED
    assert AuditLogEntry.objects.filter(
        organization=org, provider=Provider.COPILOT, action=AuditLogEntry.Action.KEY_REJECTED
    ).exists()
    with pytest.raises(services.CopilotSyncsPaused):
        services.trigger_sync(connection)
    assert TOKEN not in run.message and TOKEN not in connection.last_error


def test_403_on_reports_fails_with_the_permission_to_fix(org, connection, options, github, settings):
    settings.COPILOT_BACKFILL_DAYS = 2
    github.route(USERS_DAY, gh_error(403, "Resource not accessible by personal access token"))
    run = sync(connection, options)
    assert run.status == SyncRun.Status.FAILED and "manage_billing:copilot" in run.message


def test_billing_refused_only_marks_billing_unavailable(org, connection, options, github, settings):
    settings.COPILOT_BACKFILL_DAYS = 2
    github.route("/organizations/acme/settings/billing/ai_credit/usage", gh_error(404, "Not Found"))
    run = sync(connection, options)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.progress["billing"]["status"] == "unavailable"


def test_disconnect_with_delete_removes_only_copilot_history(org, connection, options, github, admin_user):
    from tests.fixtures.analytics_data import seed_usage

    seed_usage(org)
    cursor_facts = ToolDay.objects.filter(organization=org, tool=Tool.CURSOR).count()
    sync(connection, options)
    assert CopilotUserDay.objects.filter(organization=org).exists()
    services.disconnect_copilot(connection, admin_user, keep_history=False)
    assert not CopilotUserDay.objects.filter(organization=org).exists()
    assert not ToolDay.objects.filter(organization=org, tool=Tool.COPILOT).exists()
    assert ToolDay.objects.filter(organization=org, tool=Tool.CURSOR).count() == cursor_facts > 0
    assert not Connection.objects.filter(organization=org, provider=Provider.COPILOT).exists()


def test_disconnect_keeping_history_keeps_the_rows(org, connection, options, github, admin_user):
    sync(connection, options)
    rows = CopilotUserDay.objects.filter(organization=org).count()
    services.disconnect_copilot(connection, admin_user, keep_history=True)
    assert CopilotUserDay.objects.filter(organization=org).count() == rows
    assert AuditLogEntry.objects.filter(
        organization=org, provider=Provider.COPILOT, action="disconnected"
    ).exists()


def test_a_finished_run_is_not_synced_twice(org, connection, options, github):
    run = sync(connection, options)
    github.requests.clear()
    assert run_copilot_sync(run.pk, options=options, today_=TODAY).status == SyncRun.Status.SUCCEEDED
    assert github.requests == []


def test_months_before_ai_credits_read_the_premium_request_report(org, connection, settings):
    settings.COPILOT_BACKFILL_DAYS = 3
    github = ScriptedGitHub(date(2026, 6, 2), days=5)
    options = CopilotSyncOptions(
        sleep=github.sleeps.append,
        limiter=NoRateLimit(),
        transport=httpx.MockTransport(github.api),
        download_transport=httpx.MockTransport(github.download),
    )
    run = services.create_foreground_run(connection)
    run = run_copilot_sync(run.pk, options=options, today_=date(2026, 6, 2))
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    kinds = set(
        CopilotBillingLine.objects.filter(organization=org, login="").values_list("year", "month", "kind")
    )
    assert kinds == {(2026, 5, "premium_request"), (2026, 6, "ai_credit")}
