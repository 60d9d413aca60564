"""Celery tasks for alerts: thin adapters over detection, budgets and delivery."""

import logging
import random
from datetime import UTC

from celery import shared_task
from django.utils import timezone

from koalr.accounts.models import Organization

from .models import Delivery
from .notify import dispatch

logger = logging.getLogger(__name__)


def backoff(attempt: int) -> int:
    """Seconds before try `attempt + 1`: 30 s, 2 min, 8 min … with up to 20 % jitter."""
    base = 30 * 4 ** max(0, attempt - 1)
    return int(base * (1 + random.random() * 0.2))  # nosec B311: retry jitter, not a secret


# Retried with backoff: a Slack or webhook outage, a 429 or a timeout usually passes. A 4xx
# other than 429 does not, so the delivery is marked failed at once.
@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=dispatch.MAX_ATTEMPTS - 1)
def deliver(self, delivery_id: int) -> None:
    delivery = dispatch.attempt(delivery_id)
    while delivery is not None and delivery.status == Delivery.Status.RETRYING:
        countdown = backoff(delivery.attempts)
        if not self.request.is_eager:
            raise self.retry(countdown=countdown)
        # Eager Celery (tests, the embedded SQLite mode) has no broker to wait on: try again
        # at once; `attempt` gives up after MAX_ATTEMPTS, so this loop ends.
        delivery = dispatch.attempt(delivery_id)


# Not retried: the next sync evaluates the same days again, and raising is idempotent.
@shared_task(ignore_result=True)
def evaluate_after_sync(organization_id: int) -> None:
    from .anomalies import detect_anomalies
    from .budgets import evaluate_budgets

    org = Organization.objects.filter(pk=organization_id).first()
    if org is None:
        return
    today = timezone.now().astimezone(UTC).date()
    for step in (evaluate_budgets, detect_anomalies):
        try:
            step(org, today=today)
        except Exception:  # one failing rule must not keep the others from running
            logger.exception("alerts: %s failed for org=%s", step.__name__, organization_id)


# Not retried: tomorrow's run (and every sync) evaluates again.
@shared_task(ignore_result=True)
def evaluate_all() -> int:
    from .models import Budget

    ids = set(Budget.objects.values_list("organization_id", flat=True).distinct())
    from integrations.models import Connection

    ids |= set(Connection.objects.values_list("organization_id", flat=True))
    for organization_id in sorted(ids):
        evaluate_after_sync.delay(organization_id)
    return len(ids)


def _digest_orgs():
    from integrations.models import Connection

    return Organization.objects.filter(pk__in=Connection.objects.values("organization_id"))


# Not retried: DigestSent makes a re-run a no-op, and a failed send is logged; next week's goes.
@shared_task(ignore_result=True)
def send_weekly_digests() -> int:
    from .digest import send_digest
    from .models import DigestSent

    today = timezone.now().astimezone(UTC).date()
    sent = 0
    for org in _digest_orgs():
        try:
            sent += send_digest(org, today=today, kind=DigestSent.Kind.WEEKLY, period=today.isoformat())
        except Exception:
            logger.exception("alerts: weekly digest failed for org=%s", org.pk)
    return sent


# Not retried: it runs daily, and DigestSent keys each cycle's reminder by the cycle start.
@shared_task(ignore_result=True)
def send_cycle_end_digests() -> int:
    from .digest import cycle_ends_soon, send_digest
    from .models import DigestSent

    today = timezone.now().astimezone(UTC).date()
    sent = 0
    for org in _digest_orgs():
        try:
            cycle_start = cycle_ends_soon(org, today)
            if cycle_start is not None:
                sent += send_digest(
                    org, today=today, kind=DigestSent.Kind.CYCLE_END, period=cycle_start.isoformat()
                )
        except Exception:
            logger.exception("alerts: cycle-end digest failed for org=%s", org.pk)
    return sent
