"""A Celery worker process freezes what it loaded at start out of later garbage collections."""

import gc

from celery.signals import worker_init, worker_process_init

from koalr.celery import freeze_startup_objects


def _connected(signal) -> bool:
    return any(receiver() is freeze_startup_objects for _, receiver in signal.receivers)


def test_worker_processes_freeze_their_startup_objects():
    assert _connected(worker_process_init)  # each prefork pool process, after the fork
    assert _connected(worker_init)  # the main process (solo and thread pools run tasks there)
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
