"""Teams synced from Cursor's billing groups (docs/cursor-api.md §2.9), marked "from Cursor".

Each sync of a Cursor Enterprise connection hands the groups here. A group is matched to its
team by Cursor's group id (`Team.external_id`), so a renamed group renames its team and keeps
its slug. Only teams with `source="cursor"` are ever touched: a team made by hand or by CSV
import, even one with the same name, is left alone (the synced team gets its own slug).

Memberships are dated by the sync day: a person who appears in a group joins its team on that
day; a person no longer in it leaves the day before (so a move between groups never counts one
day twice), and a membership that began that very day is removed. A group Cursor no longer
lists keeps its team, for history, with every membership ended. Callers rebuild the team
rollups afterwards (`analytics.services.tool_days.refresh_team_days`): this layer may not
import analytics.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction

from .models import Team, TeamMembership
from .selectors import forget_team_choices
from .services import normalize_email, people_for_emails
from .teams import Action, audit, rebuild_closure, unique_slug


@dataclass
class GroupSyncResult:
    created: int = 0
    renamed: int = 0
    joined: int = 0
    left: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.renamed or self.joined or self.left)


@transaction.atomic
def sync_cursor_groups(organization_id: int, groups: Iterable, *, today: date) -> GroupSyncResult:
    """Make the organization's Cursor-sourced teams match `groups` as of `today`.

    `groups`: objects with `group_id`, `name` and `members` (each with `email` and `name`),
    such as the Cursor client's `BillingGroup` records. Returns what changed; a repeat with
    the same groups changes nothing.
    """
    result = GroupSyncResult()
    groups = [g for g in groups if g.group_id and (g.name or "").strip()]
    teams = {
        t.external_id: t
        for t in Team.objects.select_for_update().filter(
            organization_id=organization_id, source=Team.Source.CURSOR
        )
    }
    names: dict[str, str] = {}
    wanted_by_group: dict[str, set[str]] = {}
    for group in groups:
        emails = set()
        for m in group.members:
            email = normalize_email(m.email)
            if email:
                emails.add(email)
                names.setdefault(email, m.name or "")
        wanted_by_group.setdefault(group.group_id, set()).update(emails)
    person_of = people_for_emails(organization_id, set().union(*wanted_by_group.values()), names=names)

    for group in groups:
        name = group.name.strip()[:120]
        team = teams.get(group.group_id)
        if team is None:
            team = Team.objects.create(
                organization_id=organization_id,
                name=name,
                slug=unique_slug(organization_id, name),
                source=Team.Source.CURSOR,
                external_id=group.group_id,
            )
            teams[group.group_id] = team
            result.created += 1
            audit(organization_id, None, Action.TEAM_CREATED, f"{team.name} ({team.slug}), from Cursor")
        elif team.name != name:
            old = team.name
            team.name = name
            team.save(update_fields=["name"])
            result.renamed += 1
            audit(organization_id, None, Action.TEAM_CHANGED, f"{old} → {name} ({team.slug}), from Cursor")

    yesterday = today - timedelta(days=1)
    open_memberships = TeamMembership.objects.filter(
        organization_id=organization_id, team__in=list(teams.values()), end__isnull=True
    ).select_related("person")
    current: dict[int, dict[int, TeamMembership]] = {}
    for m in open_memberships:
        current.setdefault(m.team_id, {})[m.person_id] = m
    changes = []
    new_rows = []
    for group_id, team in teams.items():
        wanted = {person_of[e] for e in wanted_by_group.get(group_id, ()) if e in person_of}
        have = current.get(team.pk, {})
        for person_id, membership in have.items():
            if person_id in wanted:
                continue
            if membership.start >= today:
                membership.delete()
            else:
                membership.end = yesterday
                membership.save(update_fields=["end"])
            result.left += 1
            changes.append(f"{membership.person.primary_email} left {team.slug}")
        for person_id in sorted(wanted - have.keys()):
            new_rows.append(
                TeamMembership(organization_id=organization_id, person_id=person_id, team=team, start=today)
            )
    if new_rows:
        TeamMembership.objects.bulk_create(new_rows)
        result.joined = len(new_rows)
    if result.joined or result.left:
        detail = f"From Cursor's billing groups on {today}: {result.joined} joined, {result.left} left"
        if changes:
            detail += "; " + ", ".join(changes)
        audit(organization_id, None, Action.MEMBERSHIP_CHANGED, detail)
    if result.created:
        rebuild_closure(organization_id)  # also forgets the cached team choices
    elif result.renamed:
        forget_team_choices(organization_id)
    return result
