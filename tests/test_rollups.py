from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.models import DailyUsage, MemberDailyRollup, ModelDailyRollup, OrgDailyRollup, UsageEvent
from analytics.services.rollups import refresh_rollups
from tests.fixtures.analytics_data import seed_usage


@pytest.mark.django_db
def test_rollups_equal_sums_of_stored_rows(org, other_org):
    seed_usage(org, seed=1)
    seed_usage(other_org, seed=2)  # must never leak into org's rollups

    for day_row in OrgDailyRollup.objects.filter(organization=org):
        daily = DailyUsage.objects.filter(organization=org, day=day_row.day)
        events = UsageEvent.objects.filter(organization=org, day=day_row.day)
        assert day_row.agent_requests == sum(d.agent_requests for d in daily)
        assert day_row.tabs_accepted == sum(d.total_tabs_accepted for d in daily)
        assert day_row.usage_events == events.count()
        assert day_row.spend_cents == sum((e.charged_cents for e in events), Decimal(0))
        active = {d.member_id for d in daily if d.is_active} | {e.member_id for e in events}
        assert day_row.active_users == len(active)
        assert day_row.seats == 6

    per_model = defaultdict(int)
    for e in UsageEvent.objects.filter(organization=org):
        per_model[(e.day, e.model, e.kind)] += 1
    stored = {
        (r.day, r.model, r.kind): r.usage_events for r in ModelDailyRollup.objects.filter(organization=org)
    }
    assert stored == dict(per_model)

    member_rows = MemberDailyRollup.objects.filter(organization=org)
    assert member_rows.count() == DailyUsage.objects.filter(organization=org).count()
    assert not MemberDailyRollup.objects.filter(organization=org, member__organization=other_org).exists()


@pytest.mark.django_db
def test_refresh_is_idempotent_and_limited_to_the_window(org):
    seed_usage(org, days=10)
    before = list(OrgDailyRollup.objects.filter(organization=org).order_by("day").values())
    today = datetime.now(UTC).date()
    refresh_rollups(org.pk, today - timedelta(days=2), today)
    after = list(OrgDailyRollup.objects.filter(organization=org).order_by("day").values())
    strip = [{k: v for k, v in row.items() if k != "id"} for row in before]
    assert [{k: v for k, v in row.items() if k != "id"} for row in after] == strip

    # A revised day changes only that day's rollup.
    DailyUsage.objects.filter(organization=org, day=today).update(agent_requests=100)
    refresh_rollups(org.pk, today, today)
    row = OrgDailyRollup.objects.get(organization=org, day=today)
    assert row.agent_requests == 100 * DailyUsage.objects.filter(organization=org, day=today).count()
