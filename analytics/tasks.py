"""Celery tasks for the store: thin adapters over analytics.services."""

from celery import shared_task

from .services import partitions


# Not retried: it runs again tomorrow, months ahead are created three months early, and a day
# no partition covers yet lands in the default partition meanwhile (the next run moves it).
@shared_task(ignore_result=True)
def create_partitions_ahead() -> int:
    return len(partitions.ensure_partitions())
