"""Writes for connections: connect, replace the key, disconnect, trigger syncs, rotate keys.

Views and management commands call these; they never touch the models directly. Every
function takes the organization explicitly and scopes its queries by it. The API key is
only ever handed to the Cursor client and to `Connection.set_api_key()`: it never reaches
an audit entry, a log line, an exception message or a return value.
"""

import logging
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import crypto
from .cursor.errors import CursorError, InvalidApiKey, PlanRequired
from .models import AuditLogEntry, Connection, Provider, SyncRun

logger = logging.getLogger(__name__)

KEY_REJECTED_MESSAGE = "Cursor rejected this API key."
KEY_REJECTED_HINT = (
    "Check that it is an Admin API key with the admin scope (created under Dashboard → API Keys; "
    "it starts with crsr_ or key_) and that it has not been revoked."
)
UNREACHABLE_MESSAGE = "We couldn't reach Cursor right now. Nothing was saved — please try again in a minute."
ENTERPRISE_NOTE = (
    "Cursor's Analytics API and AI Code Tracking need an Enterprise plan, and this key does not "
    "have access to them. The dashboard derives what it can from the Admin API data "
    "(members, daily usage, usage events and spend)."
)


class IntegrationError(Exception):
    """Base for failures a user should read; `str()` is safe to show and to log (no secret)."""

    def __init__(self, user_message: str, hint: str = ""):
        self.user_message = user_message
        self.hint = hint
        super().__init__(user_message)


class KeyRejected(IntegrationError):
    def __init__(self):
        super().__init__(KEY_REJECTED_MESSAGE, KEY_REJECTED_HINT)


class CursorUnavailable(IntegrationError):
    def __init__(self):
        super().__init__(UNREACHABLE_MESSAGE)


class AlreadyConnected(IntegrationError):
    def __init__(self):
        super().__init__("Cursor is already connected for this organization. Use “Replace key” instead.")


class SyncNotAllowed(IntegrationError):
    pass


SYNC_ALREADY_RUNNING = "A sync is already running."
SYNC_PAUSED = "Cursor rejected the stored key; replace it before syncing."


class MalformedKey(IntegrationError):
    pass


MIN_KEY_LENGTH = 20  # real keys are a prefix plus 64 characters; this only catches paste slips


def key_format_problem(api_key: str) -> str:
    """Why `api_key` cannot be a Cursor key, or "" — checked before anything calls Cursor.

    The message never quotes the value: a wrong key can still be a secret.
    """
    if not api_key:
        return "Paste your Cursor Admin API key."
    if any(ch.isspace() for ch in api_key):
        return "An API key has no spaces inside. Copy it again from Cursor."
    if len(api_key) < MIN_KEY_LENGTH:
        return "That is too short to be a Cursor API key. Copy it again from Cursor."
    return ""


@dataclass(frozen=True)
class KeyCheck:
    """What validation learned about a key: stored as `Connection.capabilities`."""

    capabilities: dict
    enterprise_note: str  # empty when every stream is available


# Someone is waiting on the form: one retry for a blip, then tell them to try again.
VALIDATION_TIMEOUT_SECONDS = 10.0
VALIDATION_RETRIES = 1


def make_client(api_key: str, base_url: str):
    """The one place a Cursor client is built for validation (tests replace it)."""
    from .cursor.client import CursorClient

    return CursorClient(
        api_key,
        base_url=base_url or settings.CURSOR_API_BASE_URL,
        timeout=VALIDATION_TIMEOUT_SECONDS,
        max_retries=VALIDATION_RETRIES,
    )


def check_key(api_key: str, base_url: str = "") -> KeyCheck:
    """Validate a key against Cursor; raise KeyRejected / CursorUnavailable. Nothing is written."""
    if problem := key_format_problem(api_key):
        raise MalformedKey(problem)
    try:
        with make_client(api_key, base_url) as client:
            caps = client.validate()
    except InvalidApiKey:
        raise KeyRejected() from None
    except PlanRequired:
        # The key authenticates but the plan stops it: keep it, the sync learns per stream
        # what it can read; the page explains why analytics are thinner.
        capabilities = {"admin": True, "analytics": False, "ai_code": False}
        return KeyCheck(capabilities, ENTERPRISE_NOTE)
    except CursorError as exc:
        # Rate limits, 5xx, malformed answers, timeouts and network errors are all worth a
        # retry by the user; `exc` never carries the key, so logging it is safe.
        logger.warning("Cursor key validation failed: %s (status=%s)", type(exc).__name__, exc.status)
        raise CursorUnavailable() from None
    capabilities = {
        "admin": bool(caps.admin),
        "analytics": bool(caps.analytics),
        "ai_code": bool(caps.ai_code),
        "member_count": caps.member_count,
    }
    note = "" if (caps.analytics and caps.ai_code) else ENTERPRISE_NOTE
    return KeyCheck(capabilities, note)


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


@transaction.atomic
def disconnect(connection: Connection, actor, *, keep_history: bool) -> int:
    """Stop syncing and delete the stored key; optionally delete the synced history.

    Returns the number of history rows deleted.
    """
    organization = connection.organization
    deleted = 0
    if not keep_history:
        for model in analytics_models():
            deleted += model.objects.filter(organization=organization).delete()[0]
    # A queued or running sync must not block the next connection's "Sync now"; the task
    # itself stops when it finds its connection gone.
    SyncRun.objects.filter(organization=organization, status__in=SyncRun.ACTIVE_STATUSES).update(
        status=SyncRun.Status.FAILED,
        message="Cancelled: Cursor was disconnected.",
        finished_at=timezone.now(),
    )
    detail = "Kept the synced history." if keep_history else f"Deleted the synced history ({deleted} rows)."
    record(organization, actor, AuditLogEntry.Action.DISCONNECTED, detail, provider=connection.provider)
    Connection.objects.filter(organization=organization, pk=connection.pk).delete()
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
