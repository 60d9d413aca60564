"""The tool-neutral ToolDay facts equal Cursor's own rollups, mapped as documented."""

from datetime import timedelta

import pytest
from django.db.models import Sum

from analytics.models import CursorMember, MemberDailyRollup, OrgDailyRollup, Tool, ToolDay, ToolOrgDay
from analytics.services import refresh_after_sync
from analytics.services.tool_days import CURSOR_TO_TOOL_DAY
from people.models import PersonEmail
from tests.fixtures.analytics_data import seed_usage

pytestmark = pytest.mark.django_db

ROLLUP_COLUMN = {
    "suggested_lines": "total_lines_added",
    "accepted_lines": "accepted_lines_added",
    "billed_requests": "usage_events",
    "request_units": "request_cost_units",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_read_tokens": "cache_read_tokens",
    "cache_write_tokens": "cache_write_tokens",
    "cost_cents": "spend_cents",
}


def expected_fact(rollup: MemberDailyRollup) -> dict:
    fact = {metric: getattr(rollup, column) for metric, column in ROLLUP_COLUMN.items()}
    fact["requests"] = (
        rollup.agent_requests + rollup.chat_requests + rollup.composer_requests + rollup.cmdk_usages
    )
    fact["accepted_suggestions"] = rollup.accepts + rollup.tabs_accepted
    fact["active"] = rollup.is_active
    return fact


def test_every_member_day_maps_onto_one_fact(org):
    seed_usage(org)
    assert set(CURSOR_TO_TOOL_DAY) == set(ROLLUP_COLUMN) | {"requests", "accepted_suggestions"}
    person_of = dict(CursorMember.objects.filter(organization=org).values_list("id", "person_id"))
    assert None not in person_of.values()
    facts = {(f.person_id, f.day): f for f in ToolDay.objects.filter(organization=org, tool=Tool.CURSOR)}
    rollups = list(MemberDailyRollup.objects.filter(organization=org))
    assert len(facts) == len(rollups) > 0
    for rollup in rollups:
        fact = facts[(person_of[rollup.member_id], rollup.day)]
        assert {k: getattr(fact, k) for k in expected_fact(rollup)} == expected_fact(rollup)
        assert fact.cost_is_estimate is False


def test_org_rollup_counts_the_same_active_people_as_cursor(org):
    seed_usage(org)
    cursor_daily = dict(OrgDailyRollup.objects.filter(organization=org).values_list("day", "active_users"))
    neutral = dict(
        ToolOrgDay.objects.filter(organization=org, tool=Tool.CURSOR).values_list("day", "active_people")
    )
    assert neutral == cursor_daily
    spend = OrgDailyRollup.objects.filter(organization=org).aggregate(s=Sum("spend_cents"))["s"]
    assert ToolOrgDay.objects.filter(organization=org).aggregate(s=Sum("cost_cents"))["s"] == spend


def test_refreshing_again_is_idempotent_and_scoped(org, other_org):
    seed_usage(org)
    seed_usage(other_org, seed=7)
    before = list(ToolDay.objects.filter(organization=org).order_by("person_id", "day").values())
    theirs = ToolDay.objects.filter(organization=other_org).count()
    days = sorted({row["day"] for row in before})
    refresh_after_sync(org.pk, Tool.CURSOR, days[0], days[-1])
    after = list(ToolDay.objects.filter(organization=org).order_by("person_id", "day").values())
    strip = [{k: v for k, v in row.items() if k != "id"} for row in before]
    assert [{k: v for k, v in row.items() if k != "id"} for row in after] == strip
    assert ToolDay.objects.filter(organization=other_org).count() == theirs


def test_two_identities_of_one_person_are_summed(org):
    roster = seed_usage(org)
    ada, ben = (CursorMember.objects.get(pk=m.pk) for m in roster[:2])
    ben_before = ben.person_id
    # An admin records that Ben's address is an alias of Ada's person (the merge of the teams work).
    PersonEmail.objects.filter(organization=org, email=ben.email).update(person_id=ada.person_id)
    CursorMember.objects.filter(pk=ben.pk).update(person_id=ada.person_id)
    day = MemberDailyRollup.objects.filter(organization=org, member=ada).order_by("day").last().day
    refresh_after_sync(org.pk, Tool.CURSOR, day - timedelta(days=30), day)
    both = MemberDailyRollup.objects.filter(organization=org, member__in=[ada, ben], day=day)
    fact = ToolDay.objects.get(organization=org, person_id=ada.person_id, day=day)
    assert fact.billed_requests == sum(r.usage_events for r in both)
    assert fact.active == any(r.is_active for r in both)
    assert not ToolDay.objects.filter(organization=org, person_id=ben_before).exists()
