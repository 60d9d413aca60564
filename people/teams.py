"""Writes of the team tree and of dated team memberships.

Every function takes the organization (or an object of it) explicitly and every query
filters on it. Mistakes a legitimate admin can make (a duplicate slug, a cycle, a lead who
is not in the organization) raise `DirectoryError` with a message meant for them. After a
change to memberships or to the tree, callers rebuild the team rollups
(`analytics.services.tool_days.refresh_team_days`): this layer may not import analytics.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.text import slugify

from koalr.accounts.models import Membership

from .models import DirectoryAuditEntry, Person, Team, TeamClosure, TeamMembership
from .selectors import forget_team_choices

Action = DirectoryAuditEntry.Action
MAX_DEPTH = 50  # a sanity bound on the tree walk; any real org chart is far shallower


class DirectoryError(Exception):
    """A user-facing refusal: the message is safe and meant to be shown as is."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def audit(organization_id: int, actor, action: str, detail: str = "") -> DirectoryAuditEntry:
    return DirectoryAuditEntry.objects.create(
        organization_id=organization_id,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        detail=detail[:2000],
    )


def rebuild_closure(organization_id: int) -> None:
    """Recompute every (ancestor, descendant, depth) row of the organization's tree."""
    parents = dict(Team.objects.filter(organization_id=organization_id).values_list("pk", "parent_id"))
    rows = []
    for team_id in parents:
        current, depth, seen = team_id, 0, set()
        while current is not None and current not in seen and depth <= MAX_DEPTH:
            rows.append(
                TeamClosure(
                    organization_id=organization_id, ancestor_id=current, descendant_id=team_id, depth=depth
                )
            )
            seen.add(current)
            current, depth = parents.get(current), depth + 1
    with transaction.atomic():
        TeamClosure.objects.filter(organization_id=organization_id).delete()
        TeamClosure.objects.bulk_create(rows)
    forget_team_choices(organization_id)


def unique_slug(organization_id: int, wanted: str, *, exclude_pk=None) -> str:
    base = slugify(wanted)[:70] or "team"
    taken = set(
        Team.objects.filter(organization_id=organization_id, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def check_lead(organization_id: int, lead):
    """The lead must be a Koalr user of the organization (or None)."""
    if lead is None:
        return None
    if not Membership.objects.filter(organization_id=organization_id, user=lead).exists():
        raise DirectoryError("The team lead must be a user of this organization.", field="lead")
    return lead


def _check_parent(team: Team | None, organization_id: int, parent: Team | None):
    if parent is None:
        return
    if parent.organization_id != organization_id:
        raise DirectoryError("Choose a parent team of this organization.", field="parent")
    if team is None or team.pk is None:
        return
    if (
        parent.pk == team.pk
        or TeamClosure.objects.filter(
            organization_id=organization_id, ancestor_id=team.pk, descendant_id=parent.pk
        ).exists()
    ):
        raise DirectoryError(
            f"“{parent.name}” is inside “{team.name}”: a team cannot be its own ancestor.", field="parent"
        )


def _check_name(organization_id: int, name: str, slug: str, exclude_pk=None) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        raise DirectoryError("Give the team a name.", field="name")
    if len(name) > 120:
        raise DirectoryError("A team name can be at most 120 characters.", field="name")
    slug = slugify(slug or "")
    if not slug:
        return name, unique_slug(organization_id, name, exclude_pk=exclude_pk)
    if Team.objects.filter(organization_id=organization_id, slug=slug).exclude(pk=exclude_pk).exists():
        raise DirectoryError(f"Another team already uses the slug “{slug}”.", field="slug")
    return name, slug[:80]


@transaction.atomic
def create_team(
    organization_id: int,
    *,
    name: str,
    slug: str = "",
    parent: Team | None = None,
    cost_centre: str = "",
    lead=None,
    actor=None,
    source: str = Team.Source.MANUAL,
) -> Team:
    name, slug = _check_name(organization_id, name, slug)
    _check_parent(None, organization_id, parent)
    team = Team.objects.create(
        organization_id=organization_id,
        name=name,
        slug=slug,
        parent=parent,
        cost_centre=(cost_centre or "").strip()[:80],
        lead=check_lead(organization_id, lead),
        source=source,
    )
    rebuild_closure(organization_id)
    audit(organization_id, actor, Action.TEAM_CREATED, f"{team.name} ({team.slug})")
    return team


@transaction.atomic
def update_team(team: Team, *, actor=None, **changes) -> Team:
    """Change any of name, slug, parent, cost_centre, lead; refuses a cycle in the tree."""
    org_id = team.organization_id
    name, slug = _check_name(
        org_id, changes.get("name", team.name), changes.get("slug", team.slug), exclude_pk=team.pk
    )
    parent = changes.get("parent", team.parent)
    _check_parent(team, org_id, parent)
    before = (team.name, team.slug, team.parent_id, team.cost_centre, team.lead_id)
    team.name, team.slug, team.parent = name, slug, parent
    team.cost_centre = (changes.get("cost_centre", team.cost_centre) or "").strip()[:80]
    team.lead = check_lead(org_id, changes.get("lead", team.lead))
    team.save()
    forget_team_choices(org_id)
    if before[2] != team.parent_id:
        rebuild_closure(org_id)
    if before != (team.name, team.slug, team.parent_id, team.cost_centre, team.lead_id):
        audit(org_id, actor, Action.TEAM_CHANGED, f"{team.name} ({team.slug})")
    return team


@transaction.atomic
def delete_team(team: Team, *, actor=None) -> None:
    """Delete a team; its sub-teams move up to its parent, its memberships go with it."""
    org_id = team.organization_id
    Team.objects.filter(organization_id=org_id, parent=team).update(parent=team.parent)
    detail = f"{team.name} ({team.slug})"
    team.delete()
    rebuild_closure(org_id)
    audit(org_id, actor, Action.TEAM_DELETED, detail)


def _check_dates(start: date, end: date | None):
    if end is not None and end < start:
        raise DirectoryError("A membership cannot end before it starts.", field="end")


@transaction.atomic
def add_membership(
    person: Person, team: Team, *, start: date, end: date | None = None, actor=None
) -> TeamMembership:
    """Put `person` in `team` from `start`; an open membership of the same team that would
    overlap is reused rather than duplicated."""
    if person.organization_id != team.organization_id:
        raise DirectoryError("That person is not in this organization.", field="person")
    _check_dates(start, end)
    org_id = team.organization_id
    current = TeamMembership.objects.filter(
        organization_id=org_id, person=person, team=team, end__isnull=True
    ).first()
    if current is not None and end is None:
        return current
    membership = TeamMembership.objects.create(
        organization_id=org_id, person=person, team=team, start=start, end=end
    )
    audit(org_id, actor, Action.MEMBERSHIP_CHANGED, f"{person.primary_email} joined {team.slug} on {start}")
    return membership


@transaction.atomic
def end_membership(membership: TeamMembership, *, end: date, actor=None) -> TeamMembership:
    """End a membership on `end` (inclusive). Ending it before it started removes it."""
    org_id = membership.organization_id
    what = f"{membership.person.primary_email} left {membership.team.slug} on {end}"
    if end < membership.start:
        membership.delete()
    else:
        membership.end = end
        membership.save(update_fields=["end"])
    audit(org_id, actor, Action.MEMBERSHIP_CHANGED, what)
    return membership


@transaction.atomic
def set_left(person: Person, *, left_on: date | None, actor=None) -> Person:
    """Mark a person as left on `left_on` (None: active again); their open memberships end."""
    person.left_on = left_on
    person.save(update_fields=["left_on"])
    if left_on is not None:
        TeamMembership.objects.filter(
            organization_id=person.organization_id, person=person, end__isnull=True, start__lte=left_on
        ).update(end=left_on)
    state = f"left on {left_on}" if left_on else "active"
    audit(person.organization_id, actor, Action.PERSON_CHANGED, f"{person.primary_email}: {state}")
    return person
