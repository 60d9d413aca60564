"""Reads for the alerts pages. Every query filters by organization in its WHERE clause."""

from django.db.models import Count, Q

from people.models import TeamClosure, TeamMembership

from .models import Alert, Budget, Channel, Delivery

ALERTS_SHOWN = 200
DELIVERIES_SHOWN = 50


def _alerts(organization, narrow):
    qs = Alert.objects.filter(organization=organization)
    return narrow(qs) if narrow is not None else qs


def alerts(
    organization, *, status: str = "", kind: str = "", person=None, team=None, narrow=None
) -> list[Alert]:
    """`narrow` (`alerts.audience.narrow_alerts` bound to the viewer) keeps what the viewer
    receives; `team` keeps the alerts about the team (or a sub-team) and its current people."""
    qs = _alerts(organization, narrow).select_related("person", "team", "acknowledged_by")
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status=Alert.Status.RESOLVED)
    if kind:
        qs = qs.filter(kind=kind)
    if person is not None:
        qs = qs.filter(person=person)
    if team is not None:
        teams = TeamClosure.objects.filter(organization=organization, ancestor=team).values("descendant_id")
        people = TeamMembership.objects.filter(
            organization=organization, team_id__in=teams, end__isnull=True
        ).values("person_id")
        qs = qs.filter(Q(team_id__in=teams) | Q(person_id__in=people))
    return list(qs[:ALERTS_SHOWN])


def status_counts(organization, *, narrow=None) -> dict:
    rows = _alerts(organization, narrow).values("status").annotate(n=Count("id"))
    counts = {s: 0 for s in Alert.Status.values}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


def get_alert(organization, alert_id, *, narrow=None) -> Alert | None:
    return _alerts(organization, narrow).filter(pk=alert_id).first()


def get_budget(organization, budget_id) -> Budget | None:
    return (
        Budget.objects.filter(organization=organization, pk=budget_id)
        .select_related("person", "team")
        .first()
    )


def channels(organization) -> list[Channel]:
    return list(Channel.objects.filter(organization=organization))


def get_channel(organization, channel_id) -> Channel | None:
    return Channel.objects.filter(organization=organization, pk=channel_id).first()


def deliveries(organization) -> list[Delivery]:
    return list(
        Delivery.objects.filter(organization=organization).select_related("channel", "alert")[
            :DELIVERIES_SHOWN
        ]
    )
