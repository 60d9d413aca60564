"""A backfill stores exactly what Cursor (the simulator) served; re-syncs are idempotent."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Sum

from analytics import selectors
from analytics.models import (
    AiChange,
    AiCommit,
    CursorMember,
    DailyUsage,
    MemberDailyRollup,
    ModelDailyRollup,
    OrgDailyRollup,
    SpendSnapshot,
    TeamAnalytics,
    UsageEvent,
)
from integrations.cursor.sync import windows
from integrations.models import Connection, SyncRun

from .conftest import run_new_sync
from .truth import dec, ev_day, event_totals, stored_daily, stored_event_totals, truth_daily, truth_events

TABLES = [CursorMember, DailyUsage, UsageEvent, SpendSnapshot, TeamAnalytics, AiCommit, AiChange]


def row_counts(org):
    return {m.__name__: m.objects.filter(organization=org).count() for m in TABLES}


@pytest.fixture
def team(make_team):
    return make_team(seats=15, days=45, seed=11)


@pytest.fixture
def synced(org, team, make_connection):
    conn = make_connection(org, team)
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    return conn, run


def test_backfill_covers_the_configured_days(synced, settings):
    _, run = synced
    assert (run.window_end - run.window_start).days + 1 == settings.CURSOR_BACKFILL_DAYS == 30
    assert run.window_end == windows.today()


def test_backfill_daily_usage_equals_ground_truth(org, team, synced):
    _, run = synced
    truth = truth_daily(team, run.window_start, run.window_end)
    assert truth, "the simulator served no daily rows: the test would prove nothing"
    assert stored_daily(org) == truth
    assert run.progress["daily_usage"]["rows"] == len(truth)


def test_backfill_events_equal_ground_truth_per_day_member_and_model(org, team, synced):
    _, run = synced
    events = truth_events(team, run.window_start, run.window_end)
    assert len(events) > 500
    # The simulator serves some byte-identical events; each is a separate billed request.
    assert any(n > 1 for n in Counter(map(repr, events)).values())
    assert UsageEvent.objects.filter(organization=org).count() == len(events)
    assert stored_event_totals(org, "day") == event_totals(events, ev_day)
    assert stored_event_totals(org, "member__email") == event_totals(events, lambda e: e["userEmail"])
    assert stored_event_totals(org, "model") == event_totals(events, lambda e: e["model"])
    assert run.progress["usage_events"]["rows"] == len(events)
    assert f"{len(events):,} events" in run.message


def test_backfill_members_spend_and_plan_streams(org, team, synced):
    conn, run = synced
    roster = {m["email"].lower(): m for m in team.members()}
    stored = {m.email: m for m in CursorMember.objects.filter(organization=org)}
    assert set(roster) <= set(stored)
    for email, m in roster.items():
        assert (stored[email].cursor_user_id, stored[email].role, stored[email].is_removed) == (
            m["id"],
            m["role"],
            m["isRemoved"],
        )
    # Emails only seen in usage are kept, flagged.
    assert all(m.not_in_roster for e, m in stored.items() if e not in roster)

    spend = {
        s.member.email: s for s in SpendSnapshot.objects.filter(organization=org).select_related("member")
    }
    truth = {r["email"].lower(): r for r in team.spend_rows()}
    assert set(spend) == set(truth)
    for email, row in truth.items():
        assert spend[email].spend_cents == dec(row["spendCents"])
        assert spend[email].overall_spend_cents == dec(row["overallSpendCents"])
        assert spend[email].fast_premium_requests == row["fastPremiumRequests"]
        assert spend[email].cycle_start == team.cycle_start

    assert TeamAnalytics.objects.filter(organization=org, metric="dau").count() > 0
    assert (
        AiCommit.objects.filter(organization=org).exists()
        and AiChange.objects.filter(organization=org).exists()
    )
    assert (
        run.progress["ai_code"]["rows"]
        == AiCommit.objects.filter(organization=org).count()
        + AiChange.objects.filter(organization=org).count()
    )
    conn.refresh_from_db()
    assert conn.status == Connection.Status.HEALTHY
    assert conn.last_synced_at is not None and conn.last_error == ""


def test_backfill_refreshes_rollups_and_first_last_seen(org, team, synced):
    _, run = synced
    events = truth_events(team, run.window_start, run.window_end)
    per_day = event_totals(events, ev_day)
    org_rollup = {r.day: r for r in OrgDailyRollup.objects.filter(organization=org)}
    for day, (n, cents, units, _) in per_day.items():
        assert (
            org_rollup[day].usage_events,
            org_rollup[day].spend_cents,
            org_rollup[day].request_cost_units,
        ) == (
            n,
            cents,
            units,
        )
    per_model = event_totals(events, lambda e: e["model"])
    stored = {
        r["model"]: (r["n"], r["cents"])
        for r in ModelDailyRollup.objects.filter(organization=org)
        .values("model")
        .annotate(n=Sum("usage_events"), cents=Sum("spend_cents"))
    }
    assert stored == {m: (v[0], v[1]) for m, v in per_model.items()}
    daily = truth_daily(team, run.window_start, run.window_end)
    assert MemberDailyRollup.objects.filter(organization=org).aggregate(s=Sum("agent_requests"))["s"] == sum(
        v["agent_requests"] for v in daily.values()
    )
    # first seen: the first day Cursor lists the member at all (zero rows included);
    # last seen: the last active day (daily row active, or any event).
    listed, active = {}, {}
    for (email, day), v in daily.items():
        listed.setdefault(email, []).append(day)
        if v["is_active"]:
            active.setdefault(email, []).append(day)
    for e in events:
        listed.setdefault(e["userEmail"], []).append(ev_day(e))
        active.setdefault(e["userEmail"], []).append(ev_day(e))
    for m in CursorMember.objects.filter(organization=org):
        first = min(listed[m.email]) if m.email in listed else None
        last = max(active[m.email]) if m.email in active else None
        assert (m.first_seen, m.last_seen) == (first, last), m.email


def test_backfill_reports_the_idle_seats_cursor_shows(org, make_team, make_connection):
    """Seats with no activity for 14 / 30 days, never-used seats included, as Cursor's rows say."""
    team = make_team(seats=40, days=45, seed=2)
    run = run_new_sync(make_connection(org, team))
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    today = run.window_end
    daily = truth_daily(team, run.window_start, today)
    roster = {m["email"].lower() for m in team.members() if not m["isRemoved"]}
    expected = {}
    for days in (14, 30):
        threshold = today - timedelta(days=days)
        expected[days] = {
            email
            for email in roster
            if all(not v["is_active"] for (e, d), v in daily.items() if e == email and d > threshold)
            and min(d for (e, d) in daily if e == email) <= threshold + timedelta(days=1)
        }
    assert expected[14] > expected[30], "the simulated team should have seats idle for 14 and 30 days"
    assert expected[30]
    overview = selectors.spend_overview(org, today=today)
    assert {m["email"] for m in overview["idle_14"]} == expected[14]
    assert {m["email"] for m in overview["idle_30"]} == expected[30]


def test_second_sync_changes_no_row_count_and_uses_lookback(org, synced, settings):
    conn, first = synced
    before = row_counts(org)
    second = run_new_sync(conn)
    assert second.status == SyncRun.Status.SUCCEEDED, second.message
    assert row_counts(org) == before
    assert second.window_start == first.window_end - timedelta(days=settings.CURSOR_SYNC_LOOKBACK_DAYS)
    assert second.window_end == windows.today()


def test_days_override_and_history_outside_window_stays(org, team, synced):
    conn, first = synced
    before = row_counts(org)
    run = run_new_sync(conn, days=3)
    assert (run.window_end - run.window_start).days == 2
    assert row_counts(org) == before
    assert DailyUsage.objects.filter(organization=org, day=first.window_start).exists()


def test_revised_days_update_rows_in_place(org, team, synced):
    conn, first = synced
    revised_day = first.window_end - timedelta(days=1)
    before_daily = stored_daily(org)
    before_counts = row_counts(org)
    team.revise_day(revised_day)
    after_truth = truth_daily(team, first.window_start, first.window_end)
    changed = {k for k in after_truth if after_truth[k] != before_daily.get(k)}
    assert changed and all(day == revised_day for _, day in changed), "revise_day should change that day only"

    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert stored_daily(org) == after_truth
    assert DailyUsage.objects.filter(organization=org).count() == before_counts["DailyUsage"]
    events = truth_events(team, first.window_start, first.window_end)
    assert stored_event_totals(org, "day") == event_totals(events, ev_day)
    rollup = OrgDailyRollup.objects.get(organization=org, day=revised_day)
    assert rollup.usage_events == sum(1 for e in events if ev_day(e) == revised_day)


def test_enterprise_streams_skipped_when_plan_lacks_them(org, make_team, make_connection, simulator):
    team = make_team(plan="team", seed=12)
    conn = make_connection(org, team, capabilities={"admin": True, "analytics": False, "ai_code": False})
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert run.progress["analytics"]["status"] == run.progress["ai_code"]["status"] == "unavailable"
    assert "not available on this Cursor plan" in run.message
    assert team.request_log, "the simulator saw no request from this team"
    assert not any("/analytics/" in path for _, _, path, _ in team.request_log)
    # Billing groups come with the same plan: skipped too, never asked for.
    assert run.progress["groups"]["status"] == "unavailable"
    assert run.progress["groups"]["note"] == "Not included in this Cursor plan"
    assert not any(path == "/teams/groups" for _, _, path, _ in team.request_log)
    assert UsageEvent.objects.filter(organization=org).exists()
    conn.refresh_from_db()
    assert conn.stream_status == {
        "analytics": "unavailable",
        "ai_code": "unavailable",
        "groups": "unavailable",
    }


def test_a_sync_warms_the_dashboards_default_view(org, synced):
    """The first dashboard view after a sync is served from the cache the sync filled."""
    from analytics.cache import cached, data_version
    from analytics.defaults import DEFAULT_RANGE_DAYS as DEFAULT_RANGE

    today = windows.today()
    start = today - timedelta(days=DEFAULT_RANGE - 1)

    def not_cached():
        raise AssertionError("the default view's headline was not warmed")

    head = cached(org, data_version(org), "headline", (start, today, None, None), not_cached)
    assert head["ai_requests"]["value"] == sum(
        r.agent_requests + r.chat_requests + r.composer_requests + r.cmdk_usages
        for r in OrgDailyRollup.objects.filter(organization=org, day__range=(start, today))
    )
