"""GET /api/v1/orgs/{org}/data-health and /spend/reconciliation: personas, privacy, figures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from integrations.models import SyncCheck
from tests.quality_seed import ALICE, GHOST, SKEW, seed_quality

from .conftest import ADMINS_ONLY, EVERY_MEMBER

pytestmark = pytest.mark.django_db
HEALTH = "/api/v1/orgs/acme/data-health"
RECONCILIATION = "/api/v1/orgs/acme/spend/reconciliation"


@pytest.fixture
def checked(org):
    return seed_quality(org)


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_data_health_personas(persona_client, persona, checked):
    response = persona_client(persona).get(HEALTH)
    assert response.status_code == EVERY_MEMBER[persona]
    if response.status_code != 200:
        assert GHOST not in response.content.decode()
        return
    tools = {t["tool"]: t for t in response.json()["tools"]}
    assert set(tools) == {"cursor", "copilot", "claude_code"}
    cursor = tools["cursor"]
    stored = {c.key: c for c in SyncCheck.objects.filter(sync_run=checked)}
    assert cursor["sync_run_id"] == checked.pk and cursor["connected"] is True
    assert cursor["status"] == "warning"
    assert cursor["warnings"] == sum(1 for c in stored.values() if c.status == "warning")
    assert cursor["data_through"] == str(checked.window_end - timedelta(days=1))
    checks = {c["key"]: c for c in cursor["checks"]}
    assert {k: c["status"] for k, c in checks.items()} == {k: c.status for k, c in stored.items()}
    unlisted = checks["unlisted_usage"]["numbers"]
    assert unlisted["recent"] == 1
    if persona in ("owner", "admin"):
        assert unlisted["recent_emails"] == [GHOST]
    else:  # members get the counts, never the people
        assert not any(k.endswith("_emails") for c in checks.values() for k in c["numbers"])
        assert GHOST not in response.content.decode() and ALICE not in response.content.decode()
    assert tools["copilot"]["status"] == "not_checked" and tools["copilot"]["checks"] == []


def test_data_health_without_a_token_is_401(checked):
    assert Client().get(HEALTH).status_code == 401


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_reconciliation_personas(persona_client, persona, checked):
    response = persona_client(persona).get(RECONCILIATION)
    assert response.status_code == ADMINS_ONLY[persona]
    if response.status_code != 200:
        assert ALICE not in response.content.decode()
        return
    body = response.json()
    [alice] = [p for p in body["people"] if p["email"] == ALICE]
    assert Decimal(str(alice["difference_cents"])) == SKEW
    assert Decimal(str(alice["cursor_cents"])) - Decimal(str(alice["events_cents"])) == SKEW
    assert alice["off"] is True and alice["causes"]
    assert [p["email"] for p in body["not_in_spend"]] == [GHOST]
    assert Decimal(str(body["totals"]["difference_cents"])) == SKEW


def test_reconciliation_without_a_token_is_401(checked):
    assert Client().get(RECONCILIATION).status_code == 401


def test_data_health_before_any_check(persona_client, org):
    body = persona_client("member").get(HEALTH).json()
    assert {t["status"] for t in body["tools"]} == {"not_checked"}


def test_reconciliation_costs_the_same_queries_with_more_people(org, admin_user, make_token, checked):
    from datetime import UTC, datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.models import SpendSnapshot, Tool
    from analytics.services import refresh_after_sync
    from tests.fixtures.analytics_data import CursorMemberFactory, UsageEventFactory

    from .conftest import bearer_client

    client = bearer_client(make_token(admin_user, org))
    client.get(RECONCILIATION)  # the first call writes the token's last use

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(RECONCILIATION).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    cycle = SpendSnapshot.objects.filter(organization=org).first().cycle_start
    for i in range(15):
        member = CursorMemberFactory(organization=org, email=f"more{i}@acme.test")
        SpendSnapshot.objects.create(
            organization=org, member=member, cycle_start=cycle, overall_spend_cents=Decimal(50 + i),
            captured_at=cycle,
        )  # fmt: skip
        UsageEventFactory(
            organization=org, member=member, timestamp=datetime.now(UTC), charged_cents=Decimal(10)
        )
    refresh_after_sync(org.pk, Tool.CURSOR, checked.window_start, checked.window_end)
    assert count() == before
    body = client.get(RECONCILIATION).json()
    assert len([p for p in body["people"] if p["off"]]) == 16  # every new person differs, and Alice
