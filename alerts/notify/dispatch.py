"""From an alert to deliveries: one per active channel, sent by a Celery task after commit.

`attempt` makes one try and records it in the delivery log; the task (alerts.tasks.deliver)
decides whether to try again.
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.crypto import SecretUnreadable

from ..models import Alert, Channel, Delivery
from . import messages
from .senders import SENDERS, DeliveryFailed

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4


def _enqueue(delivery_id: int) -> None:
    from ..tasks import deliver

    transaction.on_commit(lambda: deliver.delay(delivery_id))


def notify(alert: Alert) -> list[Delivery]:
    """A delivery of `alert` to each active channel of its organization (once per channel)."""
    created = []
    for channel in Channel.objects.filter(organization_id=alert.organization_id, is_active=True):
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    organization_id=alert.organization_id, channel=channel, alert=alert
                )
        except IntegrityError:
            continue  # already delivered (or on its way) to this channel
        created.append(delivery)
        _enqueue(delivery.pk)
    return created


def send_test(channel: Channel) -> Delivery:
    delivery = Delivery.objects.create(organization_id=channel.organization_id, channel=channel, is_test=True)
    _enqueue(delivery.pk)
    return delivery


def attempt(delivery_id: int, *, final: bool = False) -> Delivery | None:
    """One try at sending. Records sent / retrying / failed with the reason.

    `final`: no retry will follow, so a retryable failure is recorded as failed.
    Returns None if the delivery is gone. Raises nothing for a failed send.
    """
    delivery = (
        Delivery.objects.select_related("channel", "channel__organization", "alert")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status in (Delivery.Status.SENT, Delivery.Status.FAILED):
        return delivery
    channel = delivery.channel
    message = (
        messages.test_message(channel) if delivery.is_test else messages.for_alert(delivery.alert, channel)
    )
    delivery.attempts += 1
    try:
        SENDERS[channel.kind](channel, message)
    except DeliveryFailed as exc:
        retry = exc.retryable and not final and delivery.attempts < MAX_ATTEMPTS
        delivery.status = Delivery.Status.RETRYING if retry else Delivery.Status.FAILED
        delivery.last_error = exc.reason[:300]
    except SecretUnreadable:
        delivery.status = Delivery.Status.FAILED
        delivery.last_error = "The channel's stored URL cannot be decrypted; enter it again."
    else:
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
    delivery.save(update_fields=["attempts", "status", "last_error", "sent_at", "updated_at"])
    logger.info(
        "alert delivery %s channel=%s kind=%s attempt=%s status=%s",
        delivery.pk,
        channel.pk,
        channel.kind,
        delivery.attempts,
        delivery.status,
    )
    return delivery
