"""Usage events: fingerprints (Cursor sends no event id) and a streaming, batched writer.

A fingerprint is sha256 of the event's canonical content salted with its ordinal among
identical events in the same fetched UTC day: re-fetching a day (or an overlapping window cut
into whole days) yields the same fingerprints, so the upsert ON CONFLICT (organization, day,
fingerprint) never duplicates, while two genuinely identical events get ordinals 0 and 1 and
are both kept.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta

from django.db import connection

from ..models import UsageEvent
from .bulk import insert_new, upsert
from .directory import MemberDirectory

EVENT_COLUMNS = [
    "organization_id", "member_id", "fingerprint", "timestamp", "day", "model", "kind", "max_mode",
    "requests_costs", "is_token_based_call", "input_tokens", "output_tokens", "cache_write_tokens",
    "cache_read_tokens", "token_cents", "charged_cents", "cursor_token_fee", "is_headless",
    "is_chargeable", "conversation_id",
]  # fmt: skip

# The unique key upserts conflict on; it includes `day`, the partition key (models/cursor.py).
USAGE_EVENT_CONFLICT = ["organization_id", "day", "fingerprint"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def event_content(e) -> str:
    """Canonical text of everything Cursor says about an event.

    Decimals are normalized so ``2`` and ``2.0`` agree; the timestamp is epoch milliseconds.
    """
    return "\x1f".join(
        (
            str((e.timestamp - EPOCH) // MILLISECOND),
            e.email,
            e.model,
            e.kind,
            "1" if e.max_mode else "0",
            _num(e.requests_costs),
            "1" if e.is_token_based_call else "0",
            "1" if e.is_chargeable else "0",
            "1" if e.is_headless else "0",
            str(e.input_tokens),
            str(e.output_tokens),
            str(e.cache_write_tokens),
            str(e.cache_read_tokens),
            _num(e.token_cents),
            _num(e.charged_cents),
            _num(e.cursor_token_fee),
            e.conversation_id,
        )
    )


def _num(d) -> str:
    # normalize() turns 2.50 and 2.5 into the same text; "f" avoids 1E+1-style exponents.
    # Hot path (four per event): a Decimal's own text is already that when it has no exponent
    # and no trailing zero after a decimal point (Decimal("10") is "10" either way).
    if not d:
        return "0"
    s = str(d)
    if "E" in s or (s[-1] == "0" and "." in s):
        return format(d.normalize(), "f")
    return s


class EventFingerprinter:
    """Fingerprints for one fetched UTC day (use a new instance per day)."""

    def __init__(self):
        self._seen: dict[bytes, int] = {}

    def __call__(self, e, *, _sha256=hashlib.sha256, _content=event_content) -> str:
        digest = _sha256(_content(e).encode()).digest()
        seen = self._seen
        ordinal = seen.get(digest, 0)
        seen[digest] = ordinal + 1
        return _sha256(digest + ordinal.to_bytes(4, "big")).hexdigest()


def has_events_on(organization_id: int, day: date) -> bool:
    return UsageEvent.objects.filter(organization_id=organization_id, day=day).exists()


_DAY_START = object()
_DAY_DONE = object()


class EventWriter:
    """Stores fetched UTC days of usage events in batches.

    Memory stays bounded by a few batches plus one fingerprint per event of the day.
    ``on_day(day, n)`` is called once a day's ``n`` events are all stored (and reconciled).

    With ``background=True`` the database work runs in a writer thread with its own database
    connection while the caller fetches and parses the next pages, so Cursor's latency and
    PostgreSQL's overlap. Errors of the writer surface on the caller's next ``write_day`` or on
    ``close()``, which must be called (the writer is a context manager).
    """

    def __init__(
        self,
        organization_id: int,
        directory: MemberDirectory,
        *,
        batch_size: int = 5000,
        on_day: Callable[[date, int], None] | None = None,
        background: bool = False,
    ):
        self.organization_id = organization_id
        self.directory = directory
        self.batch_size = batch_size
        self.on_day = on_day
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._day_was_empty = False
        self._ids = directory.ensure(())  # email -> member id; the directory keeps it current
        if background:
            self._queue = queue.Queue(maxsize=3)  # bounded: the fetcher waits for the database
            self._thread = threading.Thread(target=self._drain, name="usage-event-writer", daemon=True)
            self._thread.start()

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(raise_errors=exc_type is None)

    def write_day(self, day: date, events: Iterable, *, reconcile: bool = False) -> int:
        """Store every event Cursor served for ``day``; returns how many were fetched.

        With ``reconcile``, events stored earlier for that day that Cursor no longer serves are
        deleted afterwards (Cursor revises recent days). It only happens once the whole day
        was fetched and only if Cursor served something, so a truncated or empty answer never
        erases history.
        """
        fingerprint = EventFingerprinter()
        fingerprints: set[str] | None = set() if reconcile else None
        fetched = 0
        batch: list[tuple] = []
        unknown: list[int] = []  # rows of the batch naming someone not in the directory yet
        row, ids, size = self._row, self._ids, self.batch_size
        self._submit((_DAY_START, day))
        for e in events:
            fp = fingerprint(e)
            if fingerprints is not None:
                fingerprints.add(fp)
            if e.email not in ids:
                unknown.append(len(batch))
            batch.append(row(e, fp))
            if len(batch) >= size:
                fetched += len(batch)
                self._submit(self._resolve(batch, unknown))
                batch, unknown = [], []
        if batch:
            fetched += len(batch)
            self._submit(self._resolve(batch, unknown))
        self._submit((_DAY_DONE, day, fetched, fingerprints))
        return fetched

    def close(self, *, raise_errors: bool = True) -> None:
        """Wait for the writer to store everything submitted; re-raise its error, if any."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if raise_errors and self._error is not None:
            raise self._error

    # -- internals ------------------------------------------------------------------------------

    def _submit(self, item) -> None:
        if self._error is not None:
            raise self._error
        if self._queue is None:
            self._handle(item)
            return
        while True:  # wait for room, but notice a writer that died meanwhile
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                if self._error is not None:
                    raise self._error from None

    def _drain(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                if self._error is None:
                    try:
                        self._handle(item)
                    except BaseException as exc:  # handed to the fetching thread
                        self._error = exc
        finally:
            connection.close()  # this thread's own database connection

    def _handle(self, item) -> None:
        # Markers and batches are handled in order, so the check at a day's start sees every
        # batch an earlier (interrupted) fetch of that day wrote.
        if isinstance(item, tuple) and item[0] is _DAY_START:
            self._day_was_empty = not has_events_on(self.organization_id, item[1])
        elif isinstance(item, tuple) and item[0] is _DAY_DONE:
            _, day, fetched, fingerprints = item
            if fingerprints and not self._day_was_empty:
                self._delete_stale(day, fingerprints)
            if self.on_day is not None:
                self.on_day(day, fetched)
        else:
            self._flush(item)

    def _row(self, e, fp: str) -> tuple:
        # The member id, or the email while the directory does not know it (see _resolve).
        email = e.email
        ts = e.timestamp
        model, kind, conversation = e.model, e.kind, e.conversation_id
        return (
            self.organization_id, self._ids.get(email, email), fp, ts, ts.date(),
            model if len(model) <= 100 else model[:100], kind if len(kind) <= 60 else kind[:60],
            e.max_mode, e.requests_costs, e.is_token_based_call, e.input_tokens, e.output_tokens,
            e.cache_write_tokens, e.cache_read_tokens, e.token_cents, e.charged_cents,
            e.cursor_token_fee, e.is_headless, e.is_chargeable,
            conversation if len(conversation) <= 64 else conversation[:64],
        )  # fmt: skip

    def _resolve(self, batch: list[tuple], unknown: list[int]) -> list[tuple]:
        """Give the rows at ``unknown`` their member ids, creating the members in one go. Runs
        in the fetching thread, which owns the directory."""
        if unknown:
            ids = self.directory.ensure({batch[i][1] for i in unknown})
            for i in unknown:
                row = batch[i]
                batch[i] = (row[0], ids[row[1]], *row[2:])
        return batch

    def _flush(self, rows: list[tuple]) -> None:
        if self._day_was_empty:
            # A day never stored before (the bulk of a backfill): plain COPY, no conflict check.
            insert_new(UsageEvent, EVENT_COLUMNS, rows, conflict=USAGE_EVENT_CONFLICT)
        else:
            # Same fingerprint means same content: the stored row is already right.
            upsert(UsageEvent, EVENT_COLUMNS, rows, conflict=USAGE_EVENT_CONFLICT)

    def _delete_stale(self, day: date, fingerprints: set[str]) -> int:
        stored = UsageEvent.objects.filter(organization_id=self.organization_id, day=day).values_list(
            "id", "fingerprint"
        )
        stale = [pk for pk, fp in stored.iterator(chunk_size=10000) if fp not in fingerprints]
        for i in range(0, len(stale), 5000):
            UsageEvent.objects.filter(  # `day` keeps the delete in the day's monthly partition
                organization_id=self.organization_id, day=day, id__in=stale[i : i + 5000]
            ).delete()
        return len(stale)
