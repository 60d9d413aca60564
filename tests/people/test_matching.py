"""Identity matching: one Person per human per organization, emails case-insensitive."""

import pytest

from people.models import Person, PersonEmail
from people.selectors import person_for_email
from people.services import people_for_emails

pytestmark = pytest.mark.django_db


def test_unknown_emails_become_people_once(org):
    first = people_for_emails(org.pk, ["Dana@Acme.test", "lee@acme.test"], names={"lee@acme.test": "Lee"})
    assert set(first) == {"dana@acme.test", "lee@acme.test"}
    again = people_for_emails(org.pk, ["DANA@acme.test ", "lee@acme.test"])
    assert again == first
    assert Person.objects.filter(organization=org).count() == 2
    assert Person.objects.get(pk=first["lee@acme.test"]).name == "Lee"
    assert PersonEmail.objects.get(person_id=first["dana@acme.test"]).email == "dana@acme.test"


def test_an_alias_finds_its_person(org):
    person_id = people_for_emails(org.pk, ["dana@acme.test"])["dana@acme.test"]
    PersonEmail.objects.create(organization=org, person_id=person_id, email="dana.lee@acme.test")
    assert people_for_emails(org.pk, ["Dana.Lee@acme.test"]) == {"dana.lee@acme.test": person_id}
    assert person_for_email(org, "DANA.LEE@acme.test").pk == person_id


def test_people_are_per_organization(org, other_org):
    ours = people_for_emails(org.pk, ["dana@acme.test"])
    theirs = people_for_emails(other_org.pk, ["dana@acme.test"])
    assert ours["dana@acme.test"] != theirs["dana@acme.test"]
    assert person_for_email(other_org, "dana@acme.test").organization_id == other_org.pk


def test_blank_emails_are_ignored(org):
    assert people_for_emails(org.pk, ["", "  "]) == {}
    assert person_for_email(org, "") is None
    assert not Person.objects.filter(organization=org).exists()
