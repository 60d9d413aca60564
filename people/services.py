"""Identity matching: the one place that decides which Person an identity belongs to.

Today identities are matched by email (case-insensitive, through the aliases); a GitHub
login joins them when a tool reports logins. Every query is scoped by organization.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .models import Person, PersonEmail


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def people_for_emails(organization_id: int, emails: Iterable[str], *, names=None) -> dict[str, int]:
    """Person id for each email (lowercased), creating a Person for each unknown address.

    `names` maps an email to a display name for the people created here. Safe to call from
    concurrent syncs: a conflicting insert is ignored and the winner's row is read back.
    """
    names = names or {}
    wanted = {normalize_email(e) for e in emails} - {""}
    found = _lookup(organization_id, wanted)
    missing = sorted(wanted - found.keys())
    if missing:
        with transaction.atomic():
            people = Person.objects.bulk_create(
                [
                    Person(organization_id=organization_id, primary_email=e, name=names.get(e, ""))
                    for e in missing
                ]
            )
            PersonEmail.objects.bulk_create(
                [
                    PersonEmail(organization_id=organization_id, person_id=p.pk, email=p.primary_email)
                    for p in people
                ],
                ignore_conflicts=True,
            )
        found = _lookup(organization_id, wanted)
        # People whose alias lost a race to a concurrent sync are left without an email: remove them.
        Person.objects.filter(organization_id=organization_id, pk__in=[p.pk for p in people]).exclude(
            pk__in=found.values()
        ).delete()
    return found


def _lookup(organization_id: int, emails: set[str]) -> dict[str, int]:
    if not emails:
        return {}
    return dict(
        PersonEmail.objects.filter(organization_id=organization_id, email__in=emails).values_list(
            "email", "person_id"
        )
    )
