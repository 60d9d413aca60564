"""Reconciliation of spend on the spend review and in its CSV: figures equal to the ground truth
computed here from the simulator's own data, after a real sync over loopback."""

import csv
import io
from collections import defaultdict
from datetime import UTC
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import UsageEvent
from analytics.selectors.reconciliation import spend_reconciliation
from integrations.models import SyncRun

from .conftest import run_new_sync
from .truth import day_ms, dec

SPEND_URL = "/ai-analytics/spend/"
CSV_URL = "/ai-analytics/spend/reconciliation.csv"


@pytest.fixture(autouse=True)
def whole_cycle_backfill(settings):
    settings.CURSOR_BACKFILL_DAYS = 34


@pytest.fixture
def team(make_team):
    return make_team(seats=8, days=40, seed=53)


def truth(team) -> dict:
    """email -> (Cursor's total, the events' charged cents without errored, token fees)."""
    cursor = {r["email"]: dec(r["overallSpendCents"]) for r in team.spend_rows()}
    events, fees = defaultdict(Decimal), defaultdict(Decimal)
    for e in team.usage_events(day_ms(team.cycle_start.date()), team.now_ms):
        if e["kind"] != UsageEvent.ERRORED_KIND:
            events[e["userEmail"]] += dec(e.get("chargedCents"))
            fees[e["userEmail"]] += dec(e.get("cursorTokenFee"))
    return {"cursor": cursor, "events": events, "fees": fees}


@pytest.fixture
def synced(org, team, make_connection):
    listed = [m for m in team.roster if m.listed]
    before = truth(team)
    # Cursor's total leaves out one person's token fees; another's is simply off by 777.25 cents.
    fee_person = max(listed[1:], key=lambda m: before["fees"][m.email])
    assert before["fees"][fee_person.email] > 0
    team.skew_spend(fee_person.email, -float(before["fees"][fee_person.email]))
    team.skew_spend(listed[0].email, 777.25)
    run = run_new_sync(make_connection(org, team))
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    return {"owner": listed[0].email, "fee_person": fee_person.email, "truth": truth(team)}


def test_reconciliation_equals_the_simulators_ground_truth(org, team, synced):
    today = timezone.now().astimezone(UTC).date()
    with CaptureQueriesContext(connection) as queries:
        rec = spend_reconciliation(org, today=today)
    assert len(queries) == 4  # whatever the number of people: aggregated in SQL
    t = synced["truth"]
    rows = {r["email"]: r for r in rec["rows"]}
    assert set(rows) == set(t["cursor"])
    for email, row in rows.items():
        assert row["cursor_cents"] == t["cursor"][email], email
        assert row["events_cents"] == t["events"][email], email
        assert row["difference_cents"] == t["cursor"][email] - t["events"][email]
    off = {r["email"] for r in rec["differences"]}
    assert off == {synced["owner"], synced["fee_person"]}
    assert rows[synced["owner"]]["difference_cents"] == Decimal("777.25")
    [fee_cause] = [c for c in rows[synced["fee_person"]]["causes"] if c["confidence"] == "known"]
    assert fee_cause["cause"] == "token_fees"
    assert rows[synced["fee_person"]]["token_fee_cents"] == t["fees"][synced["fee_person"]]
    unlisted = {e for e in t["events"] if e not in t["cursor"] and t["events"][e]}
    assert {r["email"] for r in rec["not_in_spend"]} == unlisted
    assert rec["totals"]["difference_cents"] == sum(t["cursor"].values()) - sum(
        t["events"][e] for e in t["cursor"]
    )


def test_spend_review_shows_the_differences_and_their_causes(owner_client, member_client, synced):
    response = owner_client.get(SPEND_URL)
    assert response.status_code == 200
    html = response.content.decode()
    section = html[html.index('id="reconciliation"') :]
    section = section[: section.index("</section>")]
    assert f'data-email="{synced["owner"]}"' in section
    assert f'data-email="{synced["fee_person"]}"' in section
    assert 'data-cause="token_fees"' in section
    assert "$7.77" in section  # the owner's 777.25 cents
    assert "2 differ" in section
    assert member_client.get(SPEND_URL).status_code == 403
    assert member_client.get(CSV_URL).status_code == 403


def test_reconciliation_csv_lists_every_person(owner_client, synced):
    response = owner_client.get(CSV_URL)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    t = synced["truth"]
    assert {r["Email"] for r in rows} == set(t["cursor"])
    [owner] = [r for r in rows if r["Email"] == synced["owner"]]
    assert Decimal(owner["Difference (cents)"]) == Decimal("777.25")
    assert owner["Beyond tolerance"] == "yes"
