"""Reads for the alerts pages. Every query filters by organization in its WHERE clause."""

from django.db.models import Count

from .models import Alert, Budget, Channel, Delivery

ALERTS_SHOWN = 200
DELIVERIES_SHOWN = 50


def alerts(organization, *, status: str = "", kind: str = "", person=None) -> list[Alert]:
    qs = Alert.objects.filter(organization=organization).select_related("person", "acknowledged_by")
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
    return list(qs[:ALERTS_SHOWN])


def status_counts(organization) -> dict:
    rows = Alert.objects.filter(organization=organization).values("status").annotate(n=Count("id"))
    counts = {s: 0 for s in Alert.Status.values}
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


def get_alert(organization, alert_id) -> Alert | None:
    return Alert.objects.filter(organization=organization, pk=alert_id).first()


def get_budget(organization, budget_id) -> Budget | None:
    return Budget.objects.filter(organization=organization, pk=budget_id).select_related("person").first()


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
