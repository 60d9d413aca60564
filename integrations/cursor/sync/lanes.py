"""Running the streams of one sync: members first, then one lane per Cursor rate-limit bucket.

Cursor limits each endpoint family separately (Admin 20/min, usage events 60/min, analytics
100/min, each AI Code Tracking endpoint 20/min), so lanes run in parallel threads on
PostgreSQL and a big backfill takes as long as its slowest bucket, not the sum of them all.
A lane that fails cancels the others at their next unit; the first failure in stream order
decides the run's outcome. Within a lane the next pages of a listing are fetched while the
current batch is stored (``read_ahead.py``), so a bucket's requests go out as soon as its
limiter admits them.

The rows the rollups are built from (members, daily usage, usage events) are usually all in
long before the slowest bucket (AI code tracking's changes, 20 requests a minute) is done, so
the rollups are rebuilt then (``on_rollup_inputs``), in a thread of their own, while the other
lanes still wait on Cursor: the run does not end with half a minute of SQL after its last
request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import DatabaseError
from django.db import connection as db_connection

from integrations.crypto import SecretUnreadable
from integrations.cursor.client import CursorClient
from integrations.cursor.errors import CursorError, InvalidApiKey, PlanRequired

from . import messages
from . import progress as p
from .streams import STREAM_OF_PART, Cancelled, PartialStream, StreamRunner

logger = logging.getLogger(__name__)

# The parts whose rows the rollups, first/last seen and ToolDay are rebuilt from, and the
# parts that must have ended too before they are: billing groups match people by email as the
# ToolDay rebuild does (two of them at once could both create a person), and they and spend
# share the Admin lane with daily usage anyway.
ROLLUP_INPUTS = ("members", "daily_usage", "usage_events")
ROLLUP_WAITS_FOR = (*ROLLUP_INPUTS, "spend", "groups")

# Parts that share a rate-limit bucket run one after another in a lane. Members run first,
# alone: the other streams attribute their rows to members.
LANES = (
    ("daily_usage", "spend", "groups"),  # Admin API
    ("usage_events",),
    ("analytics",),
    ("ai_code_commits",),
    ("ai_code_changes",),
)


# In parallel, lanes start with the bucket that usually takes longest (AI code changes: the most
# requests at 20 a window, then usage events), so the bucket that sets the run's length sends its
# first burst before the others compete for the CPU. Order only: every lane starts at once.
START_FIRST = ("ai_code_changes", "usage_events", "ai_code_commits")

# With no rate limit to pace the run (``paced=False``: a local simulator, the demo, the
# benchmarks), the machine is what bounds it, not Cursor's buckets: Python work of every lane
# shares one interpreter lock. Then these lanes wait until the rollup inputs are in, so the
# rollup rebuild (database work) overlaps their fetching and parsing, and the usage events do
# not compete with them for the lock. Paced runs (production) start every lane at once.
AFTER_ROLLUP_INPUTS = ("ai_code_commits", "ai_code_changes")


def start_order(lane: tuple[str, ...]) -> int:
    return min((START_FIRST.index(part) for part in lane if part in START_FIRST), default=len(START_FIRST))


def parallel_streams() -> bool:
    """Parallel lanes on PostgreSQL, outside any open transaction: the default choice.

    Lane threads write through their own database connections: those cannot see rows the
    caller has not committed yet (a test's transaction, a caller's atomic block), and would
    wait on them forever. SQLite allows one writer at a time, so lanes run in turn there.
    """
    return db_connection.vendor == "postgresql" and not db_connection.in_atomic_block


class RunFailed(Exception):
    """Ends the run as failed with a message for users."""

    def __init__(self, message: str, *, key_rejected: bool = False):
        super().__init__(message)
        self.message = message
        self.key_rejected = key_rejected


class Lanes:
    """Runs every stream of one sync and judges the outcome.

    ``sleep`` is how a rate-limited unit waits before it runs again; ``parallel`` forces lanes
    into threads (True) or in turn (False), and None leaves it to ``parallel_streams()``;
    ``paced`` says whether a rate limiter paces the requests (see AFTER_ROLLUP_INPUTS).
    After ``run()``: ``unavailable`` (streams Cursor refused), ``skipped_records``, ``notes``.
    """

    def __init__(
        self,
        run_id: int,
        organization_id: int,
        client_factory: Callable[[Callable[[float, str], None]], CursorClient],
        progress: p.Progress,
        window: tuple,
        plan_skipped: set[str],
        *,
        sleep: Callable[[float], None] = time.sleep,
        parallel: bool | None = None,
        paced: bool = True,
        on_rollup_inputs: Callable[[], None] | None = None,
    ):
        self.run_id = run_id
        self.organization_id = organization_id
        self.client_factory = client_factory
        self.progress = progress
        self.window = window
        self.plan_skipped = plan_skipped
        self.sleep = sleep
        self.parallel = parallel
        self.paced = paced
        # Set once every rollup input has an outcome (or its stream is not in the plan).
        self._inputs_settled = threading.Event()
        self.unavailable: set[str] = set()
        self.skipped_records = 0
        # Malformed records per lane (its parts): the usage-events lane has that stream alone,
        # so the data-quality checks can tell skipped events from other skipped records.
        self.skipped_by_lane: dict[tuple[str, ...], int] = {}
        self.notes: list[str] = []
        self._outcomes: dict[str, object] = {}
        self._lock = threading.Lock()
        self._cancelled = progress.cancelled  # one event: a failed lane or an outside cancel
        # Called once every part of ROLLUP_INPUTS is done (not if one failed): in its own thread
        # when lanes run in parallel, which run() waits for.
        self.on_rollup_inputs = on_rollup_inputs
        self._inputs_fired = False
        self._parallel_now = False
        self._rebuild_thread: threading.Thread | None = None

    @property
    def skipped_events(self) -> int:
        """Malformed usage events skipped (the usage-events lane's skipped records)."""
        return sum(n for parts, n in self.skipped_by_lane.items() if "usage_events" in parts)

    def run(self) -> list[str]:
        """Run everything; returns the streams that ended unavailable or incomplete.

        Raises RunFailed for a failure users must hear about, and re-raises a kill signal
        (KeyboardInterrupt, SystemExit) so the run stays "running" for redelivery.
        """
        self._run_lane(("members",))
        lanes = [tuple(x for x in lane if STREAM_OF_PART[x] not in self.plan_skipped) for lane in LANES]
        lanes = [lane for lane in lanes if lane]
        parallel = parallel_streams() if self.parallel is None else self.parallel
        self._parallel_now = parallel
        if parallel:
            threads = [
                threading.Thread(
                    target=self._run_lane,
                    args=(lane, True, not self.paced and self._deferred(lane)),
                    daemon=True,
                )
                for lane in sorted(lanes, key=start_order)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for lane in lanes:
                self._run_lane(lane)
        if self._rebuild_thread is not None:
            self._rebuild_thread.join()
        return self._judge()

    @staticmethod
    def _deferred(lane: tuple[str, ...]) -> bool:
        return all(part in AFTER_ROLLUP_INPUTS for part in lane)

    def _run_lane(self, parts: tuple[str, ...], in_thread: bool = False, after_inputs: bool = False) -> None:
        if after_inputs:  # an unpaced run: wait for the rollup inputs (or a cancel)
            while not self._inputs_settled.wait(0.2) and not self._cancelled.is_set():
                pass
        streams = StreamRunner(
            self.organization_id,
            self.client_factory,
            self.progress,
            *self.window,
            self._cancelled,
            background_writes=in_thread,
            sleep=self.sleep,
        )
        try:
            for part in parts:
                self._record(part, self._run_part(streams, part))
        except BaseException as exc:  # a kill signal: hand it to the main thread
            self._record(parts[0], exc)
            if not in_thread:
                raise
        finally:
            streams.close()
            with self._lock:
                self.skipped_records += streams.skipped_records
                self.skipped_by_lane[parts] = self.skipped_by_lane.get(parts, 0) + streams.skipped_records
                self.notes.extend(streams.notes)
            if in_thread:
                db_connection.close()  # each lane thread had its own database connection

    def _run_part(self, streams: StreamRunner, part: str):
        if self._cancelled.is_set():
            return p.SKIPPED
        try:
            streams.run_part(part)
        except PlanRequired:
            return p.UNAVAILABLE
        except PartialStream as exc:
            return exc
        except Cancelled:
            return p.SKIPPED
        except DatabaseError as exc:
            # Our database went away (a restart), not Cursor: the runner closes the run with a
            # plain message once the database is back, and the next run resumes.
            logger.warning("cursor sync %s: database error in %s (%s)", self.run_id, part, type(exc).__name__)
            self.progress.database_lost = True
            self._cancelled.set()
            return exc
        except Exception as exc:
            if not isinstance(exc, CursorError | SecretUnreadable):
                logger.exception(
                    "cursor sync %s (organization %s) crashed in %s", self.run_id, self.organization_id, part
                )
            self._cancelled.set()  # the run is failing: other lanes stop at their next unit
            return exc
        return p.DONE

    def _record(self, part: str, outcome) -> None:
        """Store a part's outcome; once every part of its stream is in, settle the stream."""
        stream = STREAM_OF_PART[part]
        with self._lock:
            self._outcomes[part] = outcome
            inputs_ready = (
                self.on_rollup_inputs is not None
                and not self._inputs_fired
                and all(self._outcomes.get(q) == p.DONE for q in ROLLUP_INPUTS)
                and all(
                    q in self._outcomes or STREAM_OF_PART[q] in self.plan_skipped for q in ROLLUP_WAITS_FOR
                )
            )
            if inputs_ready:
                self._inputs_fired = True
            if all(q in self._outcomes or STREAM_OF_PART[q] in self.plan_skipped for q in ROLLUP_INPUTS):
                self._inputs_settled.set()
            parts = [q for q, s in STREAM_OF_PART.items() if s == stream]
            settled = all(q in self._outcomes for q in parts)
            results = [self._outcomes.get(q) for q in parts]
        if settled:
            self._settle(stream, results)
        if inputs_ready and not self._cancelled.is_set():
            self._start_rebuild()

    def _settle(self, stream: str, results: list) -> None:
        errors = [r for r in results if _is_failure(r)]
        if errors:
            self.progress.finish(stream, p.FAILED, messages.short_reason(errors[0]))
        elif p.SKIPPED in results:
            self.progress.finish(stream, p.SKIPPED)
        elif p.UNAVAILABLE in results:
            self.progress.finish(stream, p.UNAVAILABLE, messages.PLAN_REFUSED_NOTE)
        elif partial := [r for r in results if isinstance(r, PartialStream)]:
            self.progress.finish(stream, p.DONE, str(partial[0]))
        else:
            self.progress.finish(stream, p.DONE)

    def _start_rebuild(self) -> None:
        if not self._parallel_now:
            self.on_rollup_inputs()
            return

        def rebuild():
            try:
                self.on_rollup_inputs()
            finally:
                db_connection.close()  # this thread's own database connection

        self._rebuild_thread = threading.Thread(target=rebuild, name="cursor-rollups", daemon=True)
        self._rebuild_thread.start()

    def _judge(self) -> list[str]:
        ordered = sorted(
            ((STREAM_OF_PART[part], outcome) for part, outcome in self._outcomes.items()),
            key=lambda pair: p.STREAMS.index(pair[0]),
        )
        for _, outcome in ordered:
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome  # KeyboardInterrupt / SystemExit from a lane thread
        errors = [(s, o) for s, o in ordered if _is_failure(o)]
        if any(isinstance(o, InvalidApiKey) for _, o in errors):
            raise RunFailed(messages.KEY_REJECTED, key_rejected=True)
        if errors:
            stream, exc = errors[0]
            if isinstance(exc, CursorError):
                raise RunFailed(messages.cursor_failure(stream, exc))
            raise RunFailed(
                messages.KEY_UNREADABLE if isinstance(exc, SecretUnreadable) else messages.INTERNAL_ERROR
            )
        self.unavailable = {s for s, o in ordered if o == p.UNAVAILABLE}
        if self.unavailable and self.unavailable | self.plan_skipped == set(p.STREAMS):
            raise RunFailed(messages.NO_ADMIN_ACCESS)
        incomplete = {s for s, o in ordered if o == p.UNAVAILABLE or isinstance(o, PartialStream)}
        return sorted(incomplete, key=p.STREAMS.index)


def _is_failure(outcome) -> bool:
    return isinstance(outcome, BaseException) and not isinstance(outcome, PartialStream)
