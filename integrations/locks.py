"""A per-organization lock so one organization's connection never syncs twice at once.

On PostgreSQL it is a session advisory lock held on a dedicated database connection, opened
beside Django's: if the worker process dies, PostgreSQL drops that connection and the lock with
it, so a killed sync never leaves the organization locked (no TTL to tune, unlike a Redis lock).
Django's own connection stays free to commit batch after batch while the lock is held.

Elsewhere (the embedded SQLite demo, one process) an in-process lock per organization does.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from django.db import connection

# First half of the two-int advisory lock key: "koal" in ASCII, so our locks never collide
# with another application's advisory locks on the same database.
LOCK_NAMESPACE = 0x6B6F616C
# The per-run claim ("kosr"): taken before the organization's lock, so two deliveries of one
# run's message never both act on it (see run_claim).
RUN_LOCK_NAMESPACE = 0x6B6F7372
# Each tool's syncs lock apart, so Cursor's and Copilot's syncs of one organization may overlap
# (they write different tables); the key's first half names the tool ("kcop" for Copilot).
TOOL_LOCK_NAMESPACES = {"cursor": LOCK_NAMESPACE, "copilot": 0x6B636F70, "claude_code": 0x6B636C63}  # "kclc"

_local_locks: dict[tuple[int, int], threading.Lock] = {}
_local_guard = threading.Lock()


@contextlib.contextmanager
def org_sync_lock(organization_id: int, tool: str = "cursor") -> Iterator[bool]:
    """Try to take the sync lock of an organization without waiting; yields whether it was taken.

    The body runs either way, so the caller decides what a busy lock means.
    """
    namespace = TOOL_LOCK_NAMESPACES[tool]
    if connection.vendor == "postgresql":
        with _advisory_lock(organization_id, namespace) as acquired:
            yield acquired
    else:
        with _local_lock(organization_id, namespace) as acquired:
            yield acquired


@contextlib.contextmanager
def wait_for_sync_lock(
    organization_id: int, timeout: float = 30.0, poll: float = 0.2, *, tool: str = "cursor"
) -> Iterator[bool]:
    """Take the organization's sync lock, waiting up to `timeout` seconds for a running sync
    to stop; yields whether it was taken. For work that must not overlap a sync's writes."""
    deadline = time.monotonic() + timeout
    while True:
        with org_sync_lock(organization_id, tool) as acquired:
            if acquired or time.monotonic() >= deadline:
                yield acquired
                return
        time.sleep(poll)


@contextlib.contextmanager
def run_claim(sync_run_id: int) -> Iterator[bool]:
    """Try to claim one sync run without waiting; yields whether this process has it.

    A run's message can be delivered twice (a visibility timeout, a worker restart). The
    delivery that loses this claim knows another is at work on the very same run and must
    leave the run alone, whatever status it last read.
    """
    key = sync_run_id & 0x7FFFFFFF  # int4 half of the key; run ids stay far below 2**31
    if connection.vendor == "postgresql":
        with _advisory_lock(key, RUN_LOCK_NAMESPACE) as acquired:
            yield acquired
    else:
        with _local_lock(-key - 1) as acquired:  # negative: apart from organization ids
            yield acquired


def is_sync_locked(organization_id: int, tool: str = "cursor") -> bool:
    """Whether some process holds the organization's sync lock right now."""
    with org_sync_lock(organization_id, tool) as acquired:
        return not acquired


def break_sync_locks(organization_id: int, sync_run_id: int) -> int:
    """End the database sessions that hold an organization's sync lock or a run's claim, for a
    worker that is frozen or cut off (its heartbeat went silent) but whose sessions live on.

    Its lock goes with its sessions, so the run that takes over can start at once; should the
    frozen worker wake up, its next progress save finds its run closed and it stops. Returns how
    many sessions were ended. PostgreSQL only (the in-process lock dies with its process).
    """
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND pid <> pg_backend_pid()
              AND ((classid = %s::oid AND objid = %s::oid) OR (classid = %s::oid AND objid = %s::oid))
            """,
            [LOCK_NAMESPACE, organization_id, RUN_LOCK_NAMESPACE, sync_run_id & 0x7FFFFFFF],
        )
        return len(cursor.fetchall())


def _lock_connection():
    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)  # Django's server-side-binding cursor class is not needed
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


@contextlib.contextmanager
def _advisory_lock(key: int, namespace: int = LOCK_NAMESPACE) -> Iterator[bool]:
    import psycopg

    conn = _lock_connection()
    try:
        acquired = conn.execute(
            "SELECT pg_try_advisory_lock(%s::int4, %s::int4)", (namespace, key)
        ).fetchone()[0]
        try:
            yield bool(acquired)
        finally:
            if acquired and not conn.closed:
                try:
                    conn.execute("SELECT pg_advisory_unlock(%s::int4, %s::int4)", (namespace, key))
                except psycopg.Error:
                    # The server went away (a restart): it dropped the lock with the session.
                    # Raising here would hide whatever the body is handling.
                    pass
    finally:
        conn.close()


@contextlib.contextmanager
def _local_lock(organization_id: int, namespace: int = LOCK_NAMESPACE) -> Iterator[bool]:
    with _local_guard:
        lock = _local_locks.setdefault((namespace, organization_id), threading.Lock())
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()
