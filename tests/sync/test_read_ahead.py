"""Read-ahead of a listing: the next pages are fetched while the current batch is stored.

Each test orders the two threads with events, never with timing.
"""

from __future__ import annotations

import queue
import threading

import pytest

from integrations.cursor.sync import read_ahead
from integrations.cursor.sync.read_ahead import HAND_OVER_RECORDS, batches_read_ahead

SAFETY_TIMEOUT = 30  # only so that a broken implementation fails instead of hanging


def test_every_record_arrives_once_in_order_in_batches_of_at_most_batch_size():
    records = range(12_345)
    batches = list(batches_read_ahead(records, batch_size=5000, max_records=20_000))
    assert [r for b in batches for r in b] == list(records)
    assert all(0 < len(b) <= 5000 for b in batches)


def test_a_batch_is_what_has_arrived_when_the_fetcher_waits():
    """While the fetcher waits (on the rate limiter), what it fetched is handed over without
    waiting for a full batch: when the last page comes, only that page is left to store."""
    limiter_opens = threading.Event()

    def listing():
        yield from range(1500)  # a page and a half, then the limiter makes the fetcher wait
        assert limiter_opens.wait(SAFETY_TIMEOUT)
        yield from range(1500, 2000)

    # The fetcher cannot see page boundaries: less than one hand-over may wait with it.
    handed_over = 1500 // HAND_OVER_RECORDS * HAND_OVER_RECORDS
    batches = batches_read_ahead(listing(), batch_size=5000, max_records=20_000)
    first = [next(batches)]
    while sum(map(len, first)) < handed_over:
        first.append(next(batches))  # would wait forever for a full batch of 5,000
    limiter_opens.set()
    rest = list(batches)
    assert [r for b in first for r in b] == list(range(handed_over))
    assert [r for b in rest for r in b] == list(range(handed_over, 2000))


def test_the_fetcher_runs_ahead_while_a_batch_is_stored_but_only_so_far(monkeypatch):
    """The next pages are fetched while the caller stores; no more than ``max_records`` (plus
    the hand-overs in the caller's and the fetcher's hands) wait in memory."""
    blocked = threading.Event()

    class WatchedQueue(queue.Queue):
        def put(self, item, block=True, timeout=None):
            try:
                return super().put(item, block, timeout)
            except queue.Full:
                blocked.set()  # the fetcher is as far ahead as it may go
                raise

    monkeypatch.setattr(read_ahead.queue, "Queue", WatchedQueue)
    fetched = [0]

    def endless_listing():
        while True:
            fetched[0] += 1
            yield fetched[0]

    batches = batches_read_ahead(endless_listing(), batch_size=1000, max_records=3000)
    first = next(batches)  # the caller now "stores" this batch and takes nothing more
    assert blocked.wait(SAFETY_TIMEOUT)
    ahead = fetched[0] - len(first)
    assert 3000 <= ahead <= 3000 + 2 * HAND_OVER_RECORDS
    batches.close()


def test_an_error_of_the_listing_is_raised_in_the_caller_after_the_records_before_it():
    def failing_listing():
        yield from range(2500)
        raise RuntimeError("Cursor kept answering 502")

    got = []
    with pytest.raises(RuntimeError, match="502"):
        for batch in batches_read_ahead(failing_listing(), batch_size=1000, max_records=20_000):
            got.extend(batch)
    assert got == list(range(len(got))) and len(got) <= 2500


def test_a_caller_that_stops_early_stops_the_fetcher_and_its_listing():
    """A batch that failed to store, or a cancelled run: the fetcher thread ends and the listing
    is closed (its cleanup runs), so no more requests go out."""
    closed = threading.Event()
    fetched = [0]

    def endless_listing():
        try:
            while True:
                fetched[0] += 1
                yield fetched[0]
        finally:
            closed.set()

    threads_before = set(threading.enumerate())
    batches = batches_read_ahead(endless_listing(), batch_size=1000, max_records=2000)
    next(batches)
    batches.close()
    assert closed.is_set()  # close() returns only once the fetcher has ended
    assert set(threading.enumerate()) <= threads_before  # the fetcher thread is gone
    assert fetched[0] <= 1000 + 2000 + 2 * HAND_OVER_RECORDS
