"""Who may see which alert and budget, and in which words: the privacy rule of
`people.access.person_access` applied to alerts (never re-implemented here).

- owners and admins: every alert and budget, with names and amounts;
- a team lead: the alerts and budgets about their teams (sub-teams included) and the people in
  them, worded per person only where `person_access` allows (else the alert's summary);
- members: none (the alerts pages answer 403).
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from koalr.accounts.models import Membership
from people.access import PersonAccess, person_access
from people.models import Team, TeamMembership

from .models import Alert, Budget


def narrow_alerts(qs, access: PersonAccess):
    """The alerts of `qs` that `access` receives: all for admins; for a lead, those about a
    team they lead (or a sub-team) and those about a person who was in one of those teams on
    the alert's day (the period `person_access` looks at), annotated `person_seen` (whether
    the alert's person may be named). The same rule as the emails (`lead_recipients`)."""
    if access.everyone:
        return qs
    in_led_team_that_day = TeamMembership.objects.filter(
        organization_id=OuterRef("organization_id"),
        team_id__in=access.led_team_ids,
        person_id=OuterRef("person_id"),
        start__lte=OuterRef("day"),
    ).filter(Q(end__isnull=True) | Q(end__gte=OuterRef("day")))
    return qs.annotate(person_seen=Exists(in_led_team_that_day)).filter(
        Q(team_id__in=access.led_team_ids) | Q(person_seen=True)
    )


def budget_filter(access: PersonAccess) -> Q:
    if access.everyone:
        return Q()
    return Q(scope=Budget.Scope.TEAM, team_id__in=access.led_team_ids) | Q(
        scope=Budget.Scope.PERSON, person_id__in=access.person_ids - access.own_ids
    )


def concerns(alert: Alert, access: PersonAccess) -> bool:
    """Whether `alert` is one `access` receives (the Python twin of `alert_filter`)."""
    if access.everyone:
        return True
    return (alert.team_id is not None and alert.team_id in access.led_team_ids) or (
        alert.person_id is not None and alert.person_id in access.person_ids - access.own_ids
    )


@dataclass(frozen=True)
class Wording:
    title: str
    text: str
    detailed: bool


def wording(alert: Alert, access: PersonAccess) -> Wording:
    """The alert's named words where `access` may see its person (for a lead: listed through
    `narrow_alerts`, or `access` taken on the alert's day), else its summary."""
    if not alert.is_personal or access.may_see(alert.person_id) or getattr(alert, "person_seen", False):
        return Wording(alert.title, alert.reason, True)
    return Wording(alert.get_kind_display(), alert.summary, False)


def access_on_alert_day(membership, alert: Alert) -> PersonAccess:
    """A lead sees whoever was in their teams on the alert's day (today's members otherwise)."""
    if alert.day is None:
        return person_access(membership)
    return person_access(membership, start=alert.day, end=alert.day)


def lead_recipients(alert: Alert) -> list[tuple[str, Wording]]:
    """(email, wording) for each team lead, not an owner or admin, whom `alert` concerns."""
    lead_ids = set(
        Team.objects.filter(organization_id=alert.organization_id, lead__isnull=False).values_list(
            "lead_id", flat=True
        )
    )
    if not lead_ids:
        return []
    memberships = (
        Membership.objects.filter(organization_id=alert.organization_id, user_id__in=lead_ids)
        .exclude(role__in=[Membership.Role.OWNER, Membership.Role.ADMIN])
        .select_related("user")
        .order_by("user__email")
    )
    found = []
    for membership in memberships:
        email = (membership.user.email or "").strip()
        if not email:
            continue
        access = access_on_alert_day(membership, alert)
        if concerns(alert, access):
            found.append((email, wording(alert, access)))
    return found
