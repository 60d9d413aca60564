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


def people_for_github_logins(
    organization_id: int, logins: Iterable[str], *, emails: dict[str, str] | None = None
) -> dict[str, int]:
    """Person id for each GitHub login (lowercased): by `Person.github_login`, then by the email
    a tool gives for that login (`emails`: login → email, e.g. a Copilot seat's), else a new
    person named after the login with no email, for an admin to map by hand.

    A person matched by email gets the login recorded, so the next match is by login. Logins
    are compared case-insensitively, as GitHub does.
    """
    from django.db.models.functions import Lower  # here, so this addition stays self-contained

    emails = {(k or "").strip().lower(): normalize_email(v) for k, v in (emails or {}).items()}
    wanted = {(login or "").strip().lower() for login in logins} - {""}
    if not wanted:
        return {}
    found: dict[str, int] = {}
    for person_id, login in (
        Person.objects.filter(organization_id=organization_id)
        .annotate(login_lower=Lower("github_login"))  # a login typed by hand may keep GitHub's case
        .filter(login_lower__in=wanted)
        .order_by("pk")
        .values_list("pk", "github_login")
    ):
        found.setdefault(login.lower(), person_id)
    by_email = {login: emails[login] for login in wanted - found.keys() if emails.get(login)}
    if by_email:
        people = _lookup(organization_id, set(by_email.values()))
        for login, email in by_email.items():
            if email in people:
                found[login] = people[email]
                Person.objects.filter(
                    organization_id=organization_id, pk=people[email], github_login=""
                ).update(github_login=login)
    missing = sorted(wanted - found.keys())
    if missing:
        created = Person.objects.bulk_create(
            [
                Person(organization_id=organization_id, primary_email="", name=login, github_login=login)
                for login in missing
            ]
        )
        found.update({p.github_login: p.pk for p in created})
    return found
