"""Data-quality checks after each Cursor sync (integrations/quality.py): each one fires on the
simulator fault made for it and stays quiet on clean data. Real syncs through the real client
against the simulator over loopback; the expected figures come from the simulator's own data."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.models import OrgDailyRollup, UsageEvent
from analytics.services.rollups import refresh_rollups
from integrations.models import SyncCheck, SyncDigest, SyncRun
from integrations.quality import CURSOR_CHECKS, latest_checks, record_cursor_checks

from .conftest import run_new_sync
from .truth import dec, ev_day, truth_events

EVENTS = "/teams/filtered-usage-events"


@pytest.fixture(autouse=True)
def whole_cycle_backfill(settings):
    # The first sync reaches back past the start of the billing cycle (at most 31 days ago),
    # so the spend comparison has every event of the cycle.
    settings.CURSOR_BACKFILL_DAYS = 34


@pytest.fixture
def team(make_team):
    return make_team(seats=8, days=40, seed=47)


@pytest.fixture
def conn(org, team, make_connection):
    return make_connection(org, team)


def today():
    return timezone.now().date()


def checks_of(run) -> dict[str, SyncCheck]:
    return {c.key: c for c in SyncCheck.objects.filter(organization=run.organization, sync_run=run)}


def synced(conn):
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    return run, checks_of(run)


def warnings(checks) -> set[str]:
    return {k for k, c in checks.items() if c.status == SyncCheck.Status.WARNING}


def test_clean_data_every_check_is_quiet_and_stored_per_run(org, team, conn):
    run, checks = synced(conn)
    assert list(checks) == list(CURSOR_CHECKS)
    assert warnings(checks) == set(), {k: c.message for k, c in checks.items() if c.status != "ok"}
    assert checks["missing_days"].numbers["checked_days"] >= 30
    assert checks["spend_vs_events"].numbers["compared"] is True
    assert Decimal(checks["spend_vs_events"].numbers["difference_cents"]) == 0
    assert checks["daily_vs_events"].numbers["checked_days"] >= 30
    # The simulated team's ex-members left weeks ago: former members, not a warning.
    listed = {m["email"] for m in team.members()}
    former = {e["userEmail"] for e in truth_events(team, run.window_start, run.window_end)} - listed
    assert former
    assert sorted(checks["unlisted_usage"].numbers["former_emails"]) == sorted(former)
    assert SyncDigest.objects.get(sync_run=run).as_of == today()

    again, checks = synced(conn)
    assert warnings(checks) == set()
    assert checks["revised_days"].numbers["compared_days"] == 2  # the lookback's ended days
    latest = latest_checks(org)
    assert latest["run"] == again and latest["status"] == "ok"
    assert latest["data_through"] == today() - timedelta(days=1)


def test_a_dropped_day_is_reported_missing(org, team, conn):
    day = today() - timedelta(days=5)
    team.drop_day(day)
    _, checks = synced(conn)
    assert warnings(checks) == {"missing_days"}
    assert checks["missing_days"].numbers["missing_days"] == [day.isoformat()]
    assert day.isoformat() in checks["missing_days"].message


def test_a_revised_day_is_reported_with_how_much_changed(org, team, conn):
    synced(conn)
    day = today() - timedelta(days=1)
    before = truth_events(team, day, day)
    team.revise_day(day)
    after = truth_events(team, day, day)
    assert len(after) > len(before)
    _, checks = synced(conn)
    assert warnings(checks) == {"revised_days"}
    [revised] = checks["revised_days"].numbers["days"]
    assert revised["day"] == day.isoformat()
    assert revised["events"] == len(after) - len(before)
    charged = sum(dec(e["chargedCents"]) for e in after if e["kind"] != UsageEvent.ERRORED_KIND)
    charged -= sum(dec(e["chargedCents"]) for e in before if e["kind"] != UsageEvent.ERRORED_KIND)
    assert Decimal(revised["cents"]) == charged


def test_an_email_in_usage_but_not_in_the_roster_warns(org, team, conn):
    email = team.add_usage_only_member("ghost.user@elsewhere.example")
    _, checks = synced(conn)
    assert warnings(checks) == {"unlisted_usage"}
    assert checks["unlisted_usage"].numbers["recent_emails"] == [email]
    assert checks["unlisted_usage"].numbers["recent"] == 1


def test_a_spend_total_that_disagrees_with_the_events_warns(org, team, conn):
    owner = team.roster[0].email
    team.skew_spend(owner, 5000)
    _, checks = synced(conn)
    assert warnings(checks) == {"spend_vs_events"}
    numbers = checks["spend_vs_events"].numbers
    assert numbers["off_emails"] == [owner]
    assert Decimal(numbers["difference_cents"]) == Decimal(5000)


def test_missing_events_make_daily_rows_and_events_disagree(org, team, conn):
    day = today() - timedelta(days=4)
    team.drop_events(day)
    _, checks = synced(conn)
    assert "daily_vs_events" in warnings(checks)
    [off] = checks["daily_vs_events"].numbers["days"]
    assert off["day"] == day.isoformat() and off["events"] == 0 and off["daily_requests"] > 0


def test_malformed_events_are_counted(org, team, conn):
    team.faults.malformed_record_next(3, path=EVENTS)
    _, checks = synced(conn)
    assert warnings(checks) == {"malformed_records"}
    assert checks["malformed_records"].numbers == {"events": 3, "other": 0}


def test_errored_requests_are_counted_and_left_out_of_spend(org, team, conn):
    run, checks = synced(conn)
    events = truth_events(team, run.window_start, run.window_end)
    errored = [e for e in events if e["kind"] == UsageEvent.ERRORED_KIND]
    assert errored, "the simulated team has errored requests"
    assert checks["errored_requests"].numbers["errored"] == len(errored)
    assert checks["errored_requests"].status == "ok"
    # A charge Cursor put on an errored request stays out of spend, and the check says so.
    event = UsageEvent.objects.filter(organization=org, kind=UsageEvent.ERRORED_KIND).first()
    event.charged_cents = Decimal("12.5")
    event.save(update_fields=["charged_cents"])
    refresh_rollups(org.pk, event.day, event.day)
    rollup = OrgDailyRollup.objects.get(organization=org, day=event.day)
    kept = sum(
        dec(e["chargedCents"])
        for e in events
        if e["kind"] != UsageEvent.ERRORED_KIND and ev_day(e) == event.day
    )
    assert rollup.spend_cents == kept
    [check] = [
        c
        for c in record_cursor_checks(run, skipped_events=0, skipped_other=0, today=today())
        if c.key == "errored_requests"
    ]
    assert check.status == "warning" and check.numbers["charged"] == 1
