"""Which Celery queue a sync run goes to: backfills never hold up the hourly syncs.

- ``sync``: the hourly incremental runs (a few days each, seconds of work) and Sync now;
- ``backfill``: a connection's first sync and any run over a long window (weeks to a year of
  history, minutes of work), so one large organization's backfill waits behind other
  backfills, never in front of everyone's hourly sync;
- ``alerts``: evaluations, notifications and digests (koalr/settings.py, CELERY_TASK_ROUTES);
- ``default``: the beat's fan-out and maintenance tasks.

Workers subscribe per queue (docker-compose.yml: one for ``sync,alerts,default``, one for
``backfill``); ``make worker`` consumes them all in development.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from .models import SyncRun

SYNC_QUEUE = "sync"
BACKFILL_QUEUE = "backfill"
ALERTS_QUEUE = "alerts"
DEFAULT_QUEUE = "default"
ALL_QUEUES = (SYNC_QUEUE, BACKFILL_QUEUE, ALERTS_QUEUE, DEFAULT_QUEUE)


def backfill_days() -> int:
    """A run over more days than this is a backfill (an hourly run re-reads a few days)."""
    return settings.SYNC_BACKFILL_QUEUE_DAYS


def queue_for_run(run: SyncRun, *, today: date | None = None) -> str:
    """``backfill`` for the first sync of a connection's tool in its organization, a run with a
    window longer than ``backfill_days()``, or one catching up on more than that since the last
    finished run; ``sync`` otherwise."""
    limit = backfill_days()
    if run.window_start is not None and run.window_end is not None:
        if (run.window_end - run.window_start).days + 1 > limit:
            return BACKFILL_QUEUE
    last = (
        SyncRun.objects.filter(
            organization_id=run.organization_id,
            provider=run.provider,
            status__in=(SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL),
            window_end__isnull=False,
        )
        .exclude(pk=run.pk)
        .order_by("-window_end")
        .values_list("window_end", flat=True)
        .first()
    )
    if last is None:
        return BACKFILL_QUEUE  # never synced: the window is the whole backfill
    today = today or timezone.now().date()
    if run.window_start is None and last < today - timedelta(days=limit):
        return BACKFILL_QUEUE  # paused for weeks: the next run reads every day since
    return SYNC_QUEUE
