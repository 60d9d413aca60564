"""What a sync tells users, in plain words.

Every message is our own wording plus an HTTP status at most: never an exception's text (which
could quote Cursor's answer) and never the key.
"""

from __future__ import annotations

from integrations.cursor.errors import CursorError, CursorTimeout, CursorUnreachable, RateLimited

from .progress import STREAM_LABELS, STREAMS

KEY_REJECTED = "Cursor rejected the API key — replace it in Settings → Integrations."
KEY_UNREADABLE = (
    "The stored API key can no longer be read (the encryption keys changed); "
    "replace it in Settings → Integrations."
)
INTERNAL_ERROR = "The sync stopped because of an internal error; the next hourly sync will retry."
NO_ADMIN_ACCESS = "Cursor refused every request of this sync: the key needs admin access."
ALREADY_RUNNING = "Skipped: another sync of this organization was already running."
DATABASE_LOST = (
    "The sync stopped because our database restarted; the data stored so far is kept and "
    "the next sync resumes from there."
)
INTERRUPTED = "This sync was interrupted (its worker stopped); a new sync took over."
LOST_IN_QUEUE = "This sync was lost from the job queue before it started; a new sync took over."
QUEUE_FAILED = "Couldn't queue the sync; try again."
CONNECTION_REMOVED = "The Cursor connection was removed before this sync ran."
PLAN_REFUSED_NOTE = "Cursor refused access (Enterprise plan required)"
NOT_IN_PLAN_NOTE = "Not included in this Cursor plan"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def succeeded(
    days: int, events: int, daily_rows: int, missing: list[str], notes: list[str], skipped: int
) -> str:
    parts = [f"Synced {_plural(days, 'day')}: {events:,} events, {daily_rows:,} daily rows."]
    if missing:
        ordered = [STREAM_LABELS[s] for s in sorted(missing, key=STREAMS.index)]
        labels = " and ".join(ordered) if len(ordered) < 3 else f"{', '.join(ordered[:-1])} and {ordered[-1]}"
        parts.append(f"{labels} {'is' if len(missing) == 1 else 'are'} not available on this Cursor plan.")
    parts.extend(notes)
    if skipped:
        parts.append(f"Skipped {_plural(skipped, 'malformed record')} from Cursor.")
    return " ".join(parts)


def failed(message: str, skipped: int) -> str:
    return f"{message} ({_plural(skipped, 'malformed record')} skipped.)" if skipped else message


def short_reason(exc: BaseException) -> str:
    """A few words for a stream's progress note."""
    if isinstance(exc, CursorTimeout):
        return "Cursor did not answer in time"
    if isinstance(exc, CursorUnreachable):
        return "Cursor was unreachable"
    if isinstance(exc, RateLimited):
        return "Cursor kept rate-limiting"
    if not isinstance(exc, CursorError):
        return "Internal error" if isinstance(exc, Exception) else "Interrupted"
    if exc.status:
        return f"Cursor answered HTTP {exc.status}"
    return "Cursor sent an unexpected answer"


def cursor_failure(stream: str, exc: CursorError) -> str:
    """Why a run failed on a Cursor error its retries could not get past."""
    label = STREAM_LABELS[stream].lower()
    resume = "the next hourly sync will resume."
    if isinstance(exc, CursorTimeout):
        return f"Cursor was unreachable (timeout) while syncing {label}; {resume}"
    if isinstance(exc, CursorUnreachable):
        return f"Cursor was unreachable (connection error) while syncing {label}; {resume}"
    if isinstance(exc, RateLimited):
        return f"Cursor kept rate-limiting requests while syncing {label}; {resume}"
    if exc.status and exc.status >= 500:
        return f"Cursor's API kept failing (HTTP {exc.status}) while syncing {label}; {resume}"
    if exc.status and exc.status >= 400:
        return f"Cursor refused a request (HTTP {exc.status}) while syncing {label}; {resume}"
    return f"Cursor sent an answer we could not read while syncing {label}; {resume}"
