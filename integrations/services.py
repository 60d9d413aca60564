"""Writes for connections: connect, replace the key, disconnect, trigger syncs, rotate keys.

Views and management commands call these; they never touch the models directly. Every
function takes the organization explicitly and scopes its queries by it. The API key is
only ever handed to the Cursor client and to `Connection.set_api_key()`: it never reaches
an audit entry, a log line, an exception message or a return value.
"""

import logging
from dataclasses import dataclass

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import crypto
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


class SyncNotAllowed(IntegrationError):
    pass


SYNC_ALREADY_RUNNING = "A sync is already running."
SYNC_PAUSED = "Cursor rejected the stored key; replace it before syncing."


def record(organization, actor, action, detail="", provider=Provider.CURSOR) -> AuditLogEntry:
    return AuditLogEntry.objects.create(
        organization=organization, provider=provider, actor=actor, action=action, detail=detail[:300]
    )


def _start_sync(connection, *, trigger, actor=None, days=None):
    # Imported late: the sync engine imports the client, which the settings pages need not load.
    from .cursor.sync import start_sync

    return start_sync(connection, trigger=trigger, actor=actor, days=days)


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
    if Connection.objects.filter(organization=organization, provider=Provider.CURSOR).exists():
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
    run = None
    if start_backfill:
        run = _start_sync(connection, trigger=SyncRun.Trigger.CONNECT, actor=actor)
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
    run = _start_sync(connection, trigger=SyncRun.Trigger.CONNECT, actor=actor)
    return ConnectResult(connection, check.enterprise_note, run)


def analytics_models():
    """Every synced-data model: all analytics models owned by an organization."""
    return [
        m
        for m in apps.get_app_config("analytics").get_models()
        if any(f.name == "organization" for f in m._meta.get_fields())
    ]


def disconnect(connection: Connection, actor, *, keep_history: bool) -> int:
    """Stop syncing and delete the stored key; optionally delete the synced history.

    Returns the number of history rows deleted. Cancelling comes first and is committed, so
    a sync running in a worker sees it at its next progress save and stops; deleting the
    history then waits for that sync to let go of the organization's lock, so it cannot
    write rows back afterwards.
    """
    organization = connection.organization
    with transaction.atomic():
        SyncRun.objects.filter(organization=organization, status__in=SyncRun.ACTIVE_STATUSES).update(
            status=SyncRun.Status.FAILED,
            message="Cancelled: Cursor was disconnected.",
            finished_at=timezone.now(),
        )
        Connection.objects.filter(organization=organization, pk=connection.pk).delete()
    deleted = 0
    if not keep_history:
        with wait_for_sync_lock(organization.pk) as stopped:
            if not stopped:
                logger.warning("Cursor disconnect org=%s: a sync still holds the lock", organization.pk)
            with transaction.atomic():
                for model in analytics_models():
                    deleted += model.objects.filter(organization=organization).delete()[0]
    detail = "Kept the synced history." if keep_history else f"Deleted the synced history ({deleted} rows)."
    record(organization, actor, AuditLogEntry.Action.DISCONNECTED, detail, provider=connection.provider)
    logger.info("Cursor disconnected org=%s keep_history=%s", organization.pk, keep_history)
    return deleted


def _active_run(organization) -> SyncRun | None:
    return SyncRun.objects.filter(organization=organization, status__in=SyncRun.ACTIVE_STATUSES).first()


def trigger_sync(connection: Connection, actor, *, trigger=SyncRun.Trigger.MANUAL, days=None) -> SyncRun:
    """'Sync now': enqueue a sync unless one is active or the key is known to be rejected.

    The engine decides what "active" means (it takes over runs whose worker died), so the
    run it hands back is compared with the one that was active before: the same run means
    nothing new was started. The engine writes the audit entry for the actor.
    """
    if connection.syncs_paused:
        raise SyncNotAllowed(SYNC_PAUSED)
    before = _active_run(connection.organization)
    run = _start_sync(connection, trigger=trigger, actor=actor, days=days)
    if before is not None and run.pk == before.pk:
        raise SyncNotAllowed(SYNC_ALREADY_RUNNING)
    return run


def create_foreground_run(connection: Connection, *, days=None) -> SyncRun:
    """A queued run for `manage.py sync_cursor`, which runs it itself instead of enqueueing it.

    No active-run check here: `run_sync` takes the organization's lock and closes this run
    as "already running" if a worker holds it, which the command reports.
    """
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
