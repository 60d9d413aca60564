"""Teams: the tree (any depth, no cycles), slugs, leads, dated memberships, the audit trail."""

from datetime import date

import pytest

from people.models import DirectoryAuditEntry, Person, Team, TeamClosure, TeamMembership
from people.teams import (
    DirectoryError,
    add_membership,
    create_team,
    delete_team,
    end_membership,
    set_left,
    update_team,
)
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def closure(org):
    return set(
        TeamClosure.objects.filter(organization=org).values_list(
            "ancestor__slug", "descendant__slug", "depth"
        )
    )


def test_a_tree_of_any_depth_and_its_closure(org, owner):
    a = create_team(org.pk, name="Alpha", actor=owner)
    b = create_team(org.pk, name="Beta", parent=a)
    c = create_team(org.pk, name="Gamma", parent=b)
    d = create_team(org.pk, name="Delta", parent=c)
    assert ("alpha", "delta", 3) in closure(org)
    assert ("beta", "delta", 2) in closure(org)
    assert len(closure(org)) == 4 + 3 + 2 + 1
    update_team(c, parent=a)
    assert ("beta", "delta", 2) not in closure(org)
    assert ("alpha", "delta", 2) in closure(org)
    assert d.parent == c
    assert (
        DirectoryAuditEntry.objects.filter(organization=org, action="team_created", actor=owner).count() == 1
    )


def test_a_cycle_is_refused_and_nothing_changes(org):
    a = create_team(org.pk, name="Alpha")
    b = create_team(org.pk, name="Beta", parent=a)
    c = create_team(org.pk, name="Gamma", parent=b)
    with pytest.raises(DirectoryError, match="cannot be its own ancestor"):
        update_team(a, parent=c)
    with pytest.raises(DirectoryError):
        update_team(a, parent=a)
    a.refresh_from_db()
    assert a.parent is None
    assert ("alpha", "gamma", 2) in closure(org)


def test_slugs_are_unique_per_organization(org, other_org):
    first = create_team(org.pk, name="Data Platform")
    assert first.slug == "data-platform"
    assert create_team(org.pk, name="Data  platform!").slug == "data-platform-2"
    assert create_team(other_org.pk, name="Data Platform").slug == "data-platform"
    with pytest.raises(DirectoryError, match="already uses the slug"):
        create_team(org.pk, name="Other", slug="data-platform")
    with pytest.raises(DirectoryError, match="name"):
        create_team(org.pk, name="  ")


def test_the_parent_must_be_of_the_same_organization(org, other_org):
    foreign = create_team(other_org.pk, name="Foreign")
    with pytest.raises(DirectoryError, match="parent team of this organization"):
        create_team(org.pk, name="Mine", parent=foreign)
    assert not Team.objects.filter(organization=org).exists()


def test_the_lead_must_be_a_user_of_the_organization(org, other_org, admin_user):
    stranger = MembershipFactory(organization=other_org).user
    with pytest.raises(DirectoryError, match="lead"):
        create_team(org.pk, name="T", lead=stranger)
    with pytest.raises(DirectoryError, match="lead"):
        create_team(org.pk, name="T", lead=UserFactory())
    assert create_team(org.pk, name="T", lead=admin_user).lead == admin_user


def test_deleting_a_team_moves_its_sub_teams_up(org):
    a = create_team(org.pk, name="Alpha")
    b = create_team(org.pk, name="Beta", parent=a)
    c = create_team(org.pk, name="Gamma", parent=b)
    delete_team(b)
    c.refresh_from_db()
    assert c.parent == a
    assert ("alpha", "gamma", 1) in closure(org)


def test_memberships_are_dated(org):
    team = create_team(org.pk, name="T")
    dana = Person.objects.create(organization=org, primary_email="dana@acme.test")
    m = add_membership(dana, team, start=date(2026, 1, 1))
    assert add_membership(dana, team, start=date(2026, 2, 1)) == m  # an open one is reused
    with pytest.raises(DirectoryError, match="end before it starts"):
        add_membership(dana, team, start=date(2026, 2, 1), end=date(2026, 1, 1))
    end_membership(m, end=date(2026, 3, 15))
    m.refresh_from_db()
    assert m.valid_on(date(2026, 3, 15)) and not m.valid_on(date(2026, 3, 16))
    assert not m.valid_on(date(2025, 12, 31))


def test_a_person_who_leaves_leaves_their_teams(org):
    team = create_team(org.pk, name="T")
    dana = Person.objects.create(organization=org, primary_email="dana@acme.test")
    add_membership(dana, team, start=date(2026, 1, 1))
    set_left(dana, left_on=date(2026, 4, 30))
    assert not dana.is_active
    assert TeamMembership.objects.get(person=dana).end == date(2026, 4, 30)
    set_left(dana, left_on=None)
    assert dana.is_active


def test_a_person_of_another_organization_cannot_join(org, other_org):
    team = create_team(org.pk, name="T")
    foreign = Person.objects.create(organization=other_org, primary_email="x@globex.test")
    with pytest.raises(DirectoryError):
        add_membership(foreign, team, start=date(2026, 1, 1))
