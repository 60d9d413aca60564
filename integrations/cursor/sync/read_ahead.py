"""Fetch the next pages while the current ones are stored: a record iterator read in a thread.

A paginated Cursor listing is a generator: each page's request goes out only once the caller
has taken the previous page's records, so storing a batch holds back the next request. Under a
rate limit that matters for the slowest bucket: a fresh window admits ``limit`` requests at
once, and every request that goes out late pushes the whole bucket's last request back by the
same amount (each later window starts one window after the request it replaces).

``batches_read_ahead`` runs the listing in a thread of its own (HTTP, JSON and record parsing),
up to ``max_records`` ahead, and hands the caller batches of whatever has arrived (at most
``batch_size`` records, without waiting for more): while the fetcher waits on the rate limiter
everything fetched so far gets stored, so when the last page arrives only that page is left.

The fetcher thread uses no database itself, but the client's ``on_wait`` may save the run's
progress from it, so it closes its own database connection when it ends. An error of the
listing is raised in the caller, at the point of the stream where it happened; if the caller
stops early (an error while storing, a cancelled run), the fetcher stops at its next record.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Iterable, Iterator

from django.db import connection as db_connection

# Records per hand-over from the fetcher. The fetcher cannot see page boundaries, so while it
# waits for the next page fewer than this many records of the last one wait with it: a quarter
# of a 1,000-record page, for four queue operations per page.
HAND_OVER_RECORDS = 250
_END = object()
_PUT_POLL_SECONDS = 0.2  # how often a fetcher with a full queue looks whether the caller left


def batches_read_ahead(
    records: Iterable, *, batch_size: int, max_records: int, name: str = "cursor-read-ahead"
) -> Iterator[list]:
    """Yield lists of ``records`` (each at most ``batch_size`` long, in order) while a thread
    fetches up to ``max_records`` ahead of what was yielded."""
    hand_overs: queue.Queue = queue.Queue(maxsize=max(1, max_records // HAND_OVER_RECORDS))
    caller_left = threading.Event()

    def put(item) -> bool:
        while not caller_left.is_set():
            try:
                hand_overs.put(item, timeout=_PUT_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        it = iter(records)
        try:
            while chunk := list(itertools.islice(it, HAND_OVER_RECORDS)):
                if not put(chunk):
                    return
            put(_END)
        except BaseException as exc:  # raised in the caller by the loop below
            put(exc)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()  # a generator left part-way: run its cleanup in the thread that ran it
            db_connection.close()  # opened only if on_wait saved progress from this thread

    fetcher = threading.Thread(target=fetch, name=name, daemon=True)
    fetcher.start()
    try:
        ended = False
        while not ended:
            batch: list = []
            item = hand_overs.get()  # wait for something to store
            while True:
                if item is _END:
                    ended = True
                    break
                if isinstance(item, BaseException):
                    raise item  # the unit fails here, as it would have without read-ahead
                batch.extend(item)
                if len(batch) >= batch_size:
                    break
                try:
                    item = hand_overs.get_nowait()  # more already here: same batch
                except queue.Empty:
                    break
            while len(batch) > batch_size:  # only when a hand-over straddles batch_size
                yield batch[:batch_size]
                batch = batch[batch_size:]
            if batch:
                yield batch
    finally:
        caller_left.set()
        fetcher.join()
