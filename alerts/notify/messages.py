"""What a channel says about an alert: the words, chosen by who may read them, and a link.

A channel that may not see per-person figures (`Channel.sees_person_details` is false) gets
the alert's `summary` under its kind's name: no person's name, no person's amount. The deep
link opens the alerts page, which only owners and admins can open.
"""

from dataclasses import dataclass

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


def absolute(path: str) -> str:
    return settings.KOALR_PUBLIC_URL.rstrip("/") + path


def for_alert(alert: Alert, channel: Channel) -> Message:
    detailed = channel.sees_person_details or not alert.is_personal
    url = absolute(reverse("alerts:index") + f"?alert={alert.pk}#alert-{alert.pk}")
    if detailed:
        return Message(alert.title, alert.reason, url, alert.kind, alert.pk)
    return Message(alert.get_kind_display(), alert.summary, url, alert.kind, alert.pk)


def test_message(channel: Channel) -> Message:
    return Message(
        "Test message from Koalr",
        f"This channel ({channel.name}) is set up: Koalr alerts for this organization will arrive here.",
        absolute(reverse("alerts:channels")),
        "test",
        None,
    )
