"""The privacy rule with the five personas: owner, admin, team lead, member, outsider."""

from datetime import date

import pytest

from koalr.accounts.models import Membership
from people.access import person_access
from people.models import Person
from people.teams import create_team, end_membership, update_team

from .conftest import person

pytestmark = pytest.mark.django_db


def access(user, org, **kw):
    return person_access(Membership.objects.filter(user=user, organization=org).first(), **kw)


def ids(org, *names):
    return {person(org, f"{n}@acme.test").pk for n in names}


def test_owner_and_admin_see_everyone(org, tree, owner, admin_user):
    for user in (owner, admin_user):
        a = access(user, org)
        assert a.everyone and a.sees_individuals
        assert a.may_see_all(Person.objects.filter(organization=org).values_list("pk", flat=True))


def test_a_lead_sees_their_team_and_sub_teams_only(org, tree, lead_user):
    a = access(lead_user, org, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert not a.everyone and a.is_lead and a.sees_individuals
    assert a.person_ids == ids(org, "dev0", "dev1")
    assert not a.may_see(person(org, "dev2@acme.test").pk)
    assert a.may_see_team(tree["platform"].pk) and not a.may_see_team(tree["apps"].pk)
    # Leading Engineering widens it to the sub-teams.
    update_team(tree["eng"], lead=lead_user)
    a = access(lead_user, org)
    assert a.person_ids == ids(org, "dev0", "dev1", "dev2", "dev3")
    assert a.may_see_team(tree["apps"].pk) and not a.may_see_team(tree["sales"].pk)


def test_a_lead_sees_who_was_in_the_team_during_the_period(org, tree, lead_user):
    from people.models import TeamMembership

    dev0 = person(org, "dev0@acme.test")
    end_membership(TeamMembership.objects.get(person=dev0, team=tree["platform"]), end=date(2026, 2, 28))
    assert dev0.pk in access(lead_user, org, start=date(2026, 2, 1), end=date(2026, 2, 28)).person_ids
    assert dev0.pk not in access(lead_user, org, start=date(2026, 3, 1), end=date(2026, 3, 31)).person_ids


def test_a_member_sees_only_themselves(org, tree, member_user):
    me = Person.objects.create(organization=org, primary_email="member@acme.test")
    me.emails.create(organization=org, email="member@acme.test")
    a = access(member_user, org)
    assert a.person_ids == {me.pk} and not a.sees_individuals and not a.is_lead
    assert not a.may_see(person(org, "dev0@acme.test").pk)
    assert not a.may_see(None)


def test_an_outsider_sees_nobody(org, tree, outsider, other_org):
    assert access(outsider, org) == person_access(None)
    assert not access(outsider, org).may_see(person(org, "dev0@acme.test").pk)
    # Leading a team in their own organization opens nothing in Acme.
    create_team(other_org.pk, name="Theirs", lead=outsider)
    assert access(outsider, other_org).person_ids == set()  # their team has no one yet
    assert not access(outsider, org).sees_individuals
