"""Merging two people moves every fact row and identity, in one transaction, audited."""

from datetime import date

import pytest
from django.db.models import Sum

from analytics.models import CursorMember, Tool, ToolDay, ToolOrgDay, ToolTeamDay
from analytics.services.merge import merge_people
from people.models import DirectoryAuditEntry, Person, PersonEmail, TeamMembership
from people.teams import DirectoryError

from .conftest import person

pytestmark = pytest.mark.django_db


def totals(org, **filters):
    return ToolDay.objects.filter(organization=org, tool=Tool.CURSOR, **filters).aggregate(
        requests=Sum("requests"), cost=Sum("cost_cents"), lines=Sum("accepted_lines")
    )


def test_merge_moves_facts_identities_and_teams(org, tree, owner):
    keep, drop = person(org, "dev0@acme.test"), person(org, "dev2@acme.test")
    before_org = totals(org)
    before_pair = {k: totals(org, person=keep)[k] + totals(org, person=drop)[k] for k in before_org}
    org_days_before = list(
        ToolOrgDay.objects.filter(organization=org).values_list("day", "cost_cents", "requests")
    )

    merge_people(org.pk, keep.pk, drop.pk, actor=owner)

    assert not Person.objects.filter(pk=drop.pk).exists()
    assert totals(org) == before_org
    assert totals(org, person=keep) == before_pair
    assert set(
        CursorMember.objects.filter(organization=org, person=keep).values_list("email", flat=True)
    ) == {
        "dev0@acme.test",
        "dev2@acme.test",
    }
    assert set(PersonEmail.objects.filter(person=keep).values_list("email", flat=True)) == {
        "dev0@acme.test",
        "dev2@acme.test",
    }
    assert set(TeamMembership.objects.filter(person=keep).values_list("team__slug", flat=True)) == {
        "platform",
        "apps",
    }
    # The org's figures do not move; a person-day now counts once where both were active.
    org_days = list(ToolOrgDay.objects.filter(organization=org).values_list("day", "cost_cents", "requests"))
    assert org_days == org_days_before
    eng = ToolTeamDay.objects.filter(organization=org, team=tree["eng"]).aggregate(c=Sum("cost_cents"))["c"]
    eng_people = [keep.pk, person(org, "dev1@acme.test").pk, person(org, "dev3@acme.test").pk]
    assert eng == totals(org, person__in=eng_people)["cost"]
    entry = DirectoryAuditEntry.objects.get(organization=org, action="people_merged")
    assert entry.actor == owner and "dev2@acme.test merged into dev0@acme.test" in entry.detail


def test_a_later_sync_keeps_the_merged_identities_together(org, tree):
    from analytics.services import refresh_after_sync

    keep, drop = person(org, "dev0@acme.test"), person(org, "dev2@acme.test")
    merge_people(org.pk, keep.pk, drop.pk)
    refresh_after_sync(org.pk, Tool.CURSOR, date(2026, 3, 1), date(2026, 3, 31))
    assert Person.objects.filter(organization=org, emails__email="dev2@acme.test").get() == keep


def test_merge_refuses_another_organizations_person_and_changes_nothing(org, other_org, tree):
    keep = person(org, "dev0@acme.test")
    foreign = Person.objects.filter(organization=other_org).first()
    before = totals(org)
    with pytest.raises(DirectoryError):
        merge_people(org.pk, keep.pk, foreign.pk)
    with pytest.raises(DirectoryError):
        merge_people(org.pk, keep.pk, keep.pk)
    assert Person.objects.filter(pk=foreign.pk).exists()
    assert totals(org) == before
    assert not DirectoryAuditEntry.objects.filter(action="people_merged").exists()
