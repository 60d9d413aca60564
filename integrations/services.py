"""Writes for connections: connect, replace the key, disconnect, start syncs, rotate keys.

Views, management commands and tasks call these; they never touch the models directly. Every
function takes the organization (or a connection of it) explicitly and scopes its queries by
it; the hourly beat and key rotation are the deliberate exceptions, across organizations. The
API key is only ever handed to the Cursor client and to `Connection.set_api_key()`: it never
reaches an audit entry, a log line, an exception message or a return value.

`trigger_sync` is the one way a sync is queued, for every caller.
"""

import logging
from dataclasses import dataclass

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import crypto, selectors
from .key_check import (  # noqa: F401  (re-exported: views and commands catch these)
    CursorUnavailable,
    IntegrationError,
    KeyRejected,
    MalformedKey,
    check_key,
    key_format_problem,
)
from .locks import wait_for_sync_lock
from .models import AuditLogEntry, Connection, Provider, SyncRun

logger = logging.getLogger(__name__)


class AlreadyConnected(IntegrationError):
    def __init__(self):
        super().__init__("Cursor is already connected for this organization. Use “Replace key” instead.")


SYNC_ALREADY_RUNNING = "A sync is already running."
SYNC_PAUSED = "Cursor rejected the stored key; replace it before syncing."


class SyncNotAllowed(IntegrationError):
    """No new sync was started; `user_message` says why."""


class SyncsPaused(SyncNotAllowed):
    """Cursor rejected the stored key: no new run until the key is replaced."""

    def __init__(self):
        super().__init__(SYNC_PAUSED)


SYNC_QUEUE_FAILED = "Couldn't queue the sync; try again."


class SyncQueueFailed(SyncNotAllowed):
    """The broker refused the run's message (e.g. Redis is down): the run was closed as failed
    straight away, so nothing blocks the next attempt. `run` is that closed run."""

    def __init__(self, run: SyncRun):
        super().__init__(SYNC_QUEUE_FAILED)
        self.run = run


class SyncAlreadyRunning(SyncNotAllowed):
    """The organization already has a sync queued or running: `run`.

    Callers that only need a sync to happen (connect, replace key, the API) carry on with it.
    """

    def __init__(self, run: SyncRun):
        super().__init__(SYNC_ALREADY_RUNNING)
        self.run = run


def record(organization, actor, action, detail="", provider=Provider.CURSOR) -> AuditLogEntry:
    return AuditLogEntry.objects.create(
        organization=organization, provider=provider, actor=actor, action=action, detail=detail[:300]
    )


@dataclass(frozen=True)
class ConnectResult:
    connection: Connection
    enterprise_note: str
    sync_run: SyncRun | None


def connect_cursor(
    organization, actor, api_key: str, team_id: str = "", base_url: str = "", *, start_backfill=True
) -> ConnectResult:
    """Validate the key with Cursor, then save the connection and enqueue the 30-day backfill."""
    api_key = api_key.strip()
    if selectors.cursor_connection(organization, only=("pk",)) is not None:
        raise AlreadyConnected()
    check = check_key(api_key, base_url)  # before anything is stored
    connection = Connection(
        organization=organization,
        provider=Provider.CURSOR,
        team_id=team_id.strip(),
        base_url=base_url.strip(),
        capabilities=check.capabilities,
        status=Connection.Status.PENDING,
        created_by=actor,
    )
    connection.set_api_key(api_key)
    try:
        with transaction.atomic():
            connection.save()
            record(organization, actor, AuditLogEntry.Action.CONNECTED, _key_detail(connection))
    except IntegrityError:  # two admins connecting at once: the first one wins
        raise AlreadyConnected() from None
    run = _start_backfill(connection, actor) if start_backfill else None
    logger.info("Cursor connected org=%s connection=%s", organization.pk, connection.pk)
    return ConnectResult(connection, check.enterprise_note, run)


def replace_key(connection: Connection, actor, api_key: str, team_id: str | None = None) -> ConnectResult:
    """Validate a new key like `connect_cursor`, store it and resume syncing."""
    api_key = api_key.strip()
    check = check_key(api_key, connection.base_url)
    connection.set_api_key(api_key)
    connection.capabilities = check.capabilities
    connection.stream_status = {}
    connection.last_error = ""
    connection.status = Connection.Status.PENDING  # lifts the pause of a rejected key
    if team_id is not None:
        connection.team_id = team_id.strip()
    with transaction.atomic():
        connection.save()
        record(connection.organization, actor, AuditLogEntry.Action.KEY_REPLACED, _key_detail(connection))
    return ConnectResult(connection, check.enterprise_note, _start_backfill(connection, actor))


def _start_backfill(connection: Connection, actor) -> SyncRun:
    """The sync after connect or replace key; both leave the connection pending, not paused.

    A sync already queued or running is the one reported: syncs never stack.
    """
    try:
        return trigger_sync(connection, actor, trigger=SyncRun.Trigger.CONNECT)
    except (SyncAlreadyRunning, SyncQueueFailed) as exc:
        # Queue failed: the key is saved all the same; the run says why and the beat retries.
        return exc.run


def analytics_models():
    """Every synced-data model: all analytics models owned by an organization."""
    return [
        m
        for m in apps.get_app_config("analytics").get_models()
        if any(f.name == "organization" for f in m._meta.get_fields())
    ]


def history_rows(organization, provider: str) -> list:
    """The querysets of the synced history one tool's connection owns in `organization`: its
    own tables (by model name prefix) and its `ToolDay` / `ToolOrgDay` facts; for Cursor, every
    analytics table that is neither Copilot's nor tool-neutral."""
    own_prefix = {Provider.COPILOT: "Copilot", Provider.CLAUDE_CODE: "ClaudeCode"}
    others = tuple(p for key, p in own_prefix.items() if key != provider)
    rows = []
    for model in analytics_models():
        name = model.__name__
        if name in ("ToolDay", "ToolOrgDay"):
            rows.append(model.objects.filter(organization=organization, tool=provider))
        elif provider in own_prefix:
            if name.startswith(own_prefix[provider]):
                rows.append(model.objects.filter(organization=organization))
        elif not name.startswith(others):
            rows.append(model.objects.filter(organization=organization))
    return rows


def disconnect(connection: Connection, actor, *, keep_history: bool) -> int:
    """Stop syncing and delete the stored key; optionally delete the synced history.

    Returns the number of history rows deleted. Cancelling comes first and is committed, so
    a sync running in a worker sees it at its next progress save and stops; deleting the
    history then waits for that sync to let go of the organization's lock, so it cannot
    write rows back afterwards.
    """
    organization = connection.organization
    with transaction.atomic():
        SyncRun.objects.filter(
            organization=organization, provider=connection.provider, status__in=SyncRun.ACTIVE_STATUSES
        ).update(
            status=SyncRun.Status.FAILED,
            message=f"Cancelled: {connection.get_provider_display()} was disconnected.",
            finished_at=timezone.now(),
        )
        Connection.objects.filter(organization=organization, pk=connection.pk).delete()
    deleted = 0
    if not keep_history:
        with wait_for_sync_lock(organization.pk, tool=connection.provider) as stopped:
            if not stopped:
                logger.warning(
                    "%s disconnect org=%s: a sync still holds the lock", connection.provider, organization.pk
                )
            with transaction.atomic():
                for rows in history_rows(organization, connection.provider):
                    deleted += rows.delete()[0]
    detail = "Kept the synced history." if keep_history else f"Deleted the synced history ({deleted} rows)."
    record(organization, actor, AuditLogEntry.Action.DISCONNECTED, detail, provider=connection.provider)
    logger.info("%s disconnected org=%s keep_history=%s", connection.provider, organization.pk, keep_history)
    return deleted


def trigger_sync(
    connection: Connection, actor=None, *, trigger: str = SyncRun.Trigger.MANUAL, days: int | None = None
) -> SyncRun:
    """Start a sync of `connection`: queue a SyncRun and enqueue its Celery task after commit.

    The one entry point for every caller: connect and replace key (trigger "connect"), Sync
    now ("manual", the default), the hourly beat ("hourly"), the API ("api"). With an `actor`,
    the audit log records who started it. `days` fixes the window to the last `days` UTC
    days; otherwise the worker picks it when the run starts.

    Raises `SyncsPaused` while Cursor rejects the stored key: such a connection gets no new
    run until connect or replace key sets it back to pending. Raises `SyncAlreadyRunning`
    (with that run) when the organization already has a sync queued or running; the engine
    takes over a run whose worker died or whose message the broker lost, so such a run does
    not count. Raises `SyncQueueFailed` when the broker refused the message (the run is then
    closed, so a retry can start at once).
    """
    if connection.syncs_paused:
        raise SyncsPaused()
    # Imported late: the sync engine imports the client, which the settings pages need not load.
    from .cursor.sync.dispatch import QueueFailed, queue_run

    try:
        run, queued = queue_run(connection, trigger=trigger, actor=actor, days=days)
    except QueueFailed as exc:
        raise SyncQueueFailed(exc.run) from None
    if not queued:
        raise SyncAlreadyRunning(run)
    return run


def enqueue_hourly_syncs() -> int:
    """What Celery beat calls every hour: `trigger_sync` for every Cursor connection, across
    organizations. Returns how many runs were queued; paused connections and organizations
    with a sync under way are skipped."""
    queued = 0
    for connection in Connection.objects.filter(provider=Provider.CURSOR).order_by("pk").iterator():
        try:
            trigger_sync(connection, trigger=SyncRun.Trigger.HOURLY)
        except SyncNotAllowed:
            continue
        queued += 1
    return queued


def recover_interrupted_syncs() -> int:
    """What Celery beat calls every minute: close every active run that nothing backs any more
    (its worker died or froze, or the broker lost its message) as interrupted, and queue the
    sync that takes over at once. Across organizations by design. Returns how many were taken
    over."""
    from .cursor.sync.dispatch import abandoned, close_interrupted

    taken_over = 0
    active = SyncRun.objects.filter(status__in=SyncRun.ACTIVE_STATUSES, connection__isnull=False)
    for run in active.select_related("connection").order_by("pk").iterator():
        if not abandoned(run):
            continue
        if run.connection.syncs_paused:
            close_interrupted(run)  # no new run while Cursor rejects the key
            continue
        trigger = run.trigger if run.trigger != SyncRun.Trigger.COMMAND else SyncRun.Trigger.HOURLY
        try:
            trigger_sync(run.connection, trigger=trigger)  # closes `run` and queues its successor
        except SyncAlreadyRunning:
            continue  # someone else took it over meanwhile
        except SyncNotAllowed as exc:
            logger.warning("sync run %s: could not take it over (%s)", run.pk, exc.user_message)
            continue
        taken_over += 1
    return taken_over


def create_foreground_run(connection: Connection, *, days=None) -> SyncRun:
    """A queued run for `manage.py sync_cursor`, which runs it itself instead of enqueueing it.

    The paused-key rule of `trigger_sync` holds here too: `SyncsPaused` while Cursor rejects
    the stored key. No active-run check: `run_sync` takes the organization's lock and closes
    this run as "already running" if a worker holds it, which the command reports.
    """
    if connection.syncs_paused:
        raise SyncsPaused()
    with transaction.atomic():
        run = SyncRun.objects.create(
            organization=connection.organization, connection=connection, trigger=SyncRun.Trigger.COMMAND
        )
        record(
            connection.organization,
            None,
            AuditLogEntry.Action.SYNC_TRIGGERED,
            _run_detail(run, days),
            provider=connection.provider,
        )
    return run


def rotate_all_keys() -> tuple[int, list[int]]:
    """Re-encrypt every stored key under the newest FIELD_ENCRYPTION_KEYS entry.

    An operator task across all organizations by design. Returns (rotated, unreadable ids):
    a key no configured Fernet key can read is left untouched and reported.
    """
    rotated, unreadable = 0, []
    for connection in Connection.objects.order_by("pk").only("pk", "encrypted_api_key"):
        try:
            token = crypto.rotate(connection.encrypted_api_key)
        except crypto.SecretUnreadable:
            unreadable.append(connection.pk)
            continue
        Connection.objects.filter(pk=connection.pk).update(encrypted_api_key=token)
        rotated += 1
    return rotated, unreadable


def _key_detail(connection: Connection) -> str:
    return f"Key ending {connection.api_key_last4}."


def _run_detail(run: SyncRun, days) -> str:
    window = f" for the last {days} days" if days else ""
    return f"Sync run #{run.pk} ({run.get_trigger_display()}){window}."
