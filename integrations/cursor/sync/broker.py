"""Asking the broker whether a queued run's message is still there.

A queued run is only as good as its message. Redis keeps each Celery queue in a list named after
the queue (a run waits in ``sync`` or ``backfill``, integrations/queues.py) and the messages a
worker took but has not acknowledged (``acks_late``) in the ``unacked`` hash; a Redis restart
without persistence empties both. This module reads those keys, with short timeouts, for the
message id ``dispatch.task_id(run)``.

Anything else (eager mode, another transport, Redis unreachable) answers None: "cannot tell",
and the caller falls back to a time limit.
"""

from __future__ import annotations

import logging

from celery import current_app

logger = logging.getLogger(__name__)

UNACKED_KEY = "unacked"  # kombu's Redis transport default (Channel.unacked_key)


def _queues(conf) -> list[str]:
    """Every queue a sync's message may wait in (integrations/queues.py)."""
    from integrations.queues import ALL_QUEUES

    return list(dict.fromkeys((*ALL_QUEUES, conf.task_default_queue)))


def message_pending(message_id: str) -> bool | None:
    """True if the broker holds the message (queued or delivered, not acknowledged), False if it
    does not, None if the broker cannot be asked."""
    conf = current_app.conf
    url = conf.broker_url or ""
    if conf.task_always_eager or not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    needle = message_id.encode()
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        try:
            queued = [raw for name in _queues(conf) for raw in client.lrange(name, 0, -1)]
            unacked = client.hvals(UNACKED_KEY)
        finally:
            client.close()
    except redis.RedisError as exc:
        logger.warning("cursor sync: could not ask the broker about %s (%s)", message_id, type(exc).__name__)
        return None
    return any(needle in raw for raw in (*queued, *unacked))
