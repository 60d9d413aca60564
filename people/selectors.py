"""Reads of the directory. Every query filters by organization."""

from .models import Person
from .services import normalize_email


def person_for_email(organization, email: str) -> Person | None:
    """The person of `organization` with this email among their aliases, or None."""
    email = normalize_email(email)
    if not email:
        return None
    return Person.objects.filter(organization=organization, emails__email=email).first()
