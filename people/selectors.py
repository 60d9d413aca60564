"""Reads of the directory. Every query filters by organization."""

from django.core.cache import cache

from .models import Person, Team
from .services import normalize_email


def person_for_email(organization, email: str) -> Person | None:
    """The person of `organization` with this email among their aliases, or None."""
    email = normalize_email(email)
    if not email:
        return None
    return Person.objects.filter(organization=organization, emails__email=email).first()


def _choices_key(organization_id: int) -> str:
    return f"people:{organization_id}:team-choices"


def forget_team_choices(organization_id: int) -> None:
    """Called by every write that changes a team's name, slug or place in the tree."""
    cache.delete(_choices_key(organization_id))


def team_choices(organization_id: int) -> list[tuple[str, str]]:
    """(slug, name indented by depth) of every team in tree order, for a team filter.

    Cached (it is on every dashboard view, which must stay within its query budget) and
    forgotten by the writes that change it (`people.teams`)."""
    key = _choices_key(organization_id)
    choices = cache.get(key)
    if choices is None:
        teams = list(
            Team.objects.filter(organization_id=organization_id).only("pk", "name", "slug", "parent_id")
        )
        children: dict = {}
        for t in teams:
            children.setdefault(t.parent_id, []).append(t)
        choices, seen = [], set()

        def walk(parent_id, depth):
            for t in sorted(children.get(parent_id, []), key=lambda t: t.name.lower()):
                if t.pk not in seen:
                    seen.add(t.pk)
                    choices.append((t.slug, "\u2003" * depth + t.name))
                    walk(t.pk, depth + 1)

        walk(None, 0)
        cache.set(key, choices, 60 * 60)
    return choices
