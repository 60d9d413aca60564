"""Merging two people who are one human (an admin fixes a duplicate).

Every row of any app that points at a Person moves from the duplicate to the person kept:
the duplicate's aliases, team memberships and each tool's identities (found through the
model graph, so a tool added later is covered without touching this module). Facts derived
per person and day (`ToolDay`) would collide on their unique key, so the caller deletes the
duplicate's derived rows first and rebuilds them afterwards; `analytics.services.merge`
does exactly that, in the same transaction.
"""

from __future__ import annotations

from django.db import transaction

from .models import Person, PersonEmail, TeamMembership
from .teams import Action, DirectoryError, audit


def movable_relations(*, skip=()):
    """The foreign keys to Person of every installed model, but those of `skip` models."""
    for relation in Person._meta.related_objects:
        if relation.many_to_many or relation.one_to_one or relation.related_model in skip:
            continue
        yield relation.related_model, relation.field.name


@transaction.atomic
def merge_people(organization_id: int, keep_id: int, drop_id: int, *, actor=None, skip=()) -> Person:
    """Move everything of person `drop_id` onto `keep_id` and delete the duplicate.

    Both must belong to `organization_id` (else DirectoryError, and nothing changes).
    Rows of the `skip` models are left to the caller (it must have removed them).
    """
    if keep_id == drop_id:
        raise DirectoryError("Choose two different people to merge.")
    people = {
        p.pk: p
        for p in Person.objects.select_for_update().filter(
            organization_id=organization_id, pk__in=[keep_id, drop_id]
        )
    }
    if len(people) != 2:
        raise DirectoryError("Both people must belong to this organization.")
    keep, drop = people[keep_id], people[drop_id]
    for model, field in movable_relations(skip=skip):
        rows = model._default_manager.filter(**{field: drop})
        if any(f.name == "organization" for f in model._meta.fields):
            rows = rows.filter(organization_id=organization_id)
        rows.update(**{field: keep})
    _drop_duplicate_memberships(organization_id, keep)
    changed = []
    for attribute in ("name", "github_login"):
        if not getattr(keep, attribute) and getattr(drop, attribute):
            setattr(keep, attribute, getattr(drop, attribute))
            changed.append(attribute)
    if keep.left_on is not None and drop.left_on is None:
        keep.left_on = None
        changed.append("left_on")
    if changed:
        keep.save(update_fields=changed)
    detail = f"{drop.primary_email} merged into {keep.primary_email}"
    drop.delete()
    # Keep the alias invariant: the kept person's primary email is one of its aliases.
    PersonEmail.objects.get_or_create(
        organization_id=organization_id, email=keep.primary_email, defaults={"person": keep}
    )
    audit(organization_id, actor, Action.PEOPLE_MERGED, detail)
    return keep


def _drop_duplicate_memberships(organization_id: int, person: Person) -> None:
    seen = set()
    for membership in TeamMembership.objects.filter(organization_id=organization_id, person=person).order_by(
        "pk"
    ):
        key = (membership.team_id, membership.start, membership.end)
        if key in seen:
            membership.delete()
        seen.add(key)
