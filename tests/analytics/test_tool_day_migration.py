"""The data migration gives history synced before ToolDay existed its people and facts."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("analytics", "0002_dashboard_active_member_index")]
AFTER = [("analytics", "0004_backfill_tool_days")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_backfill_builds_people_and_facts_from_the_member_rollup(org, other_org):
    old = migrate(BEFORE)
    Member = old.get_model("analytics", "CursorMember")
    Rollup = old.get_model("analytics", "MemberDailyRollup")
    day = date(2026, 3, 1)
    ada = Member.objects.create(organization_id=org.pk, email="ada@acme.test", name="Ada")
    ben = Member.objects.create(organization_id=org.pk, email="ben@acme.test")
    eve = Member.objects.create(organization_id=other_org.pk, email="eve@globex.test")
    for member, active, events in ((ada, True, 4), (ben, False, 0), (eve, True, 9)):
        Rollup.objects.create(
            organization_id=member.organization_id,
            member=member,
            day=day,
            is_active=active,
            agent_requests=2,
            chat_requests=1,
            accepts=3,
            tabs_accepted=5,
            usage_events=events,
            spend_cents=Decimal("12.5"),
        )
    try:
        new = migrate(AFTER)
        ToolDay = new.get_model("analytics", "ToolDay")
        ToolOrgDay = new.get_model("analytics", "ToolOrgDay")
        Person = new.get_model("people", "Person")
        assert Person.objects.filter(organization_id=org.pk).count() == 2
        assert new.get_model("analytics", "CursorMember").objects.filter(person__isnull=True).count() == 0
        fact = ToolDay.objects.get(organization_id=org.pk, person__primary_email="ada@acme.test")
        assert (fact.active, fact.requests, fact.accepted_suggestions, fact.billed_requests) == (
            True,
            3,
            8,
            4,
        )
        assert fact.cost_cents == Decimal("12.5")
        ours = ToolOrgDay.objects.get(organization_id=org.pk, tool="cursor", day=day)
        assert (ours.active_people, ours.people, ours.billed_requests) == (1, 2, 4)
        assert ToolOrgDay.objects.get(organization_id=other_org.pk).billed_requests == 9
    finally:
        migrate(migrate_latest_targets())


def migrate_latest_targets():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
