"""What a channel says about an alert: the words, chosen by who may read them, and a link.

A channel that may not see per-person figures (`Channel.sees_person_details` is false) gets
the alert's `summary` under its kind's name: no person's name, no person's amount. The deep
link opens the alerts page, which shows owners and admins everything and a team lead their
teams' alerts. An email channel also reaches the team leads an alert concerns
(`alerts.audience.lead_recipients`), each in the words their access allows.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse

from ..models import Alert, Channel


@dataclass(frozen=True)
class Message:
    heading: str
    text: str
    url: str
    kind: str
    alert_id: int | None
    # Email only: (address, heading, text) for each team lead the alert concerns.
    lead_copies: tuple = field(default=())


def absolute(path: str) -> str:
    return settings.KOALR_PUBLIC_URL.rstrip("/") + path


def for_alert(alert: Alert, channel: Channel) -> Message:
    from ..audience import lead_recipients

    detailed = channel.sees_person_details or not alert.is_personal
    url = absolute(reverse("alerts:index") + f"?alert={alert.pk}#alert-{alert.pk}")
    copies = ()
    if channel.kind == Channel.Kind.EMAIL:
        copies = tuple((email, w.title, w.text) for email, w in lead_recipients(alert))
    if detailed:
        return Message(alert.title, alert.reason, url, alert.kind, alert.pk, copies)
    return Message(alert.get_kind_display(), alert.summary, url, alert.kind, alert.pk, copies)


def test_message(channel: Channel) -> Message:
    return Message(
        "Test message from Koalr",
        f"This channel ({channel.name}) is set up: Koalr alerts for this organization will arrive here.",
        absolute(reverse("alerts:channels")),
        "test",
        None,
    )
