"""The privacy rule, in one place: whose per-person figures may a membership see?

- owners and admins: everyone's;
- a team lead: the people of the teams they lead and of those teams' sub-teams (members
  during the period looked at; today's members by default), and their own;
- everyone else (members): only their own.
Everyone may see aggregates. Pages, exports, the API (and later emails and Slack) ask
`person_access(membership)` and never re-implement the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from django.db.models import Q
from django.utils import timezone

from .models import PersonEmail, Team, TeamClosure, TeamMembership


@dataclass(frozen=True)
class PersonAccess:
    """`everyone`: all people; else exactly `person_ids` (the led teams' people and oneself)."""

    everyone: bool
    person_ids: frozenset[int] = frozenset()
    own_ids: frozenset[int] = frozenset()
    led_team_ids: frozenset[int] = frozenset()

    @property
    def sees_individuals(self) -> bool:
        """Whether a per-person table should be shown at all (beyond oneself)."""
        return self.everyone or bool(self.person_ids - self.own_ids)

    @property
    def is_lead(self) -> bool:
        return bool(self.led_team_ids)

    def may_see(self, person_id: int | None) -> bool:
        return self.everyone or (person_id is not None and person_id in self.person_ids)

    def may_see_all(self, person_ids) -> bool:
        return self.everyone or set(person_ids) <= self.person_ids

    def may_see_team(self, team_id: int | None) -> bool:
        """Per-person figures of everyone in this team (admins; the lead of it or an ancestor)."""
        return self.everyone or (team_id is not None and team_id in self.led_team_ids)


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def own_person_ids(organization_id: int, user) -> frozenset[int]:
    email = (getattr(user, "email", "") or "").strip().lower()
    if not email:
        return frozenset()
    return frozenset(
        PersonEmail.objects.filter(organization_id=organization_id, email=email).values_list(
            "person_id", flat=True
        )
    )


def led_team_ids(organization_id: int, user) -> frozenset[int]:
    """The teams `user` leads and all their sub-teams."""
    if not getattr(user, "pk", None):
        return frozenset()
    return frozenset(
        TeamClosure.objects.filter(
            organization_id=organization_id,
            ancestor__in=Team.objects.filter(organization_id=organization_id, lead=user),
        ).values_list("descendant_id", flat=True)
    )


def person_access(membership, *, start: date | None = None, end: date | None = None) -> PersonAccess:
    """What `membership` (an accounts Membership) may see of individuals, for the period
    start..end (default: today): a lead sees whoever was in their teams during it."""
    if membership is None:
        return PersonAccess(everyone=False)
    if membership.is_admin:
        return PersonAccess(everyone=True)
    org_id = membership.organization_id
    own = own_person_ids(org_id, membership.user)
    teams = led_team_ids(org_id, membership.user)
    led_people = frozenset()
    if teams:
        first, last = start or _today(), end or _today()
        led_people = frozenset(
            TeamMembership.objects.filter(organization_id=org_id, team_id__in=teams, start__lte=last)
            .filter(Q(end__isnull=True) | Q(end__gte=first))
            .values_list("person_id", flat=True)
        )
    return PersonAccess(everyone=False, person_ids=own | led_people, own_ids=own, led_team_ids=teams)
