"""Writes for the Claude Code connection: validate and connect, replace the key, disconnect,
start syncs. Views, commands and tasks call these.

Every function takes the organization (or a connection of it) and scopes its queries by it;
the hourly beat is the deliberate exception, across organizations. The key goes only to the
client and to `Connection.set_api_key()`: never to an audit entry, a log line or a message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.key_check import IntegrationError
from integrations.locks import is_sync_locked
from integrations.models import AuditLogEntry, Connection, Provider, SyncRun
from integrations.queues import queue_for_run
from integrations.services import SyncAlreadyRunning, SyncNotAllowed, SyncsPaused, disconnect, record

from .client import CONSOLE, ENTERPRISE, SOURCES, key_type_problem, make_client
from .errors import ClaudeCodeError, InvalidKey, MissingScope, NotAdminKey, NotAvailableYet, WrongKeyType
from .progress import initial_progress

logger = logging.getLogger(__name__)

SOURCE_LABELS = {CONSOLE: "Claude Console organization", ENTERPRISE: "Claude Enterprise"}
MIN_KEY_LENGTH = 20
QUEUED_RUN_STALE_AFTER = timedelta(hours=1)
VALIDATION_TIMEOUT_SECONDS = 10.0


class MalformedInput(IntegrationError):
    pass


class KeyRejected(IntegrationError):
    def __init__(self, source: str):
        kind = "Admin API key" if source == CONSOLE else "Analytics API key"
        super().__init__(
            "Anthropic rejected this key (401).",
            f"Check that the {kind} was copied whole and has not been revoked or expired.",
        )


class AnthropicUnavailable(IntegrationError):
    def __init__(self):
        super().__init__(
            "We couldn't reach Anthropic right now. Nothing was saved — please try again in a minute."
        )


class AlreadyConnected(IntegrationError):
    def __init__(self):
        super().__init__("Claude Code is already connected for this organization. Use “Replace key” instead.")


class ClaudeCodeSyncsPaused(SyncsPaused):
    def __init__(self):
        SyncNotAllowed.__init__(self, "Anthropic rejected the stored key; replace it before syncing.")


def claude_code_connection(org_or_id, *, for_update: bool = False) -> Connection | None:
    """The organization's Claude Code connection, or None: the one place it is looked up."""
    rows = Connection.objects.filter(organization=org_or_id, provider=Provider.CLAUDE_CODE)
    return (rows.select_for_update() if for_update else rows).first()


def today() -> date:
    return timezone.now().date()


def input_problem(source: str, api_key: str) -> str:
    """Why the form's input cannot work, or "" (checked before Anthropic is called; never quotes the key)."""
    if source not in SOURCES:
        return "Choose where your Claude Code usage is: a Console organization or Claude Enterprise."
    if not api_key:
        return "Paste the API key."
    if any(ch.isspace() for ch in api_key):
        return "An API key has no spaces inside. Copy it again from Anthropic."
    if len(api_key) < MIN_KEY_LENGTH or not api_key.startswith("sk-ant-"):
        return "That is not an Anthropic API key (they start with sk-ant-). Copy it again."
    return key_type_problem(source, api_key)


def make_validation_client(source: str, api_key: str, base_url: str):
    """The one place a client is built for validation (tests point it at a fake)."""
    from .options import configured_options

    options = configured_options().client_options()
    options.update(timeout=VALIDATION_TIMEOUT_SECONDS, max_retries=1, max_wait=15.0)
    return make_client(source, api_key, base_url=base_url or settings.CLAUDE_CODE_API_BASE_URL, **options)


def check_key(source: str, api_key: str, base_url: str = "") -> dict:
    """Validate before anything is stored; returns the connection's capabilities. Raises an
    IntegrationError that says exactly what is wrong: the key type, a non-admin key, a missing
    scope, a rejected key."""
    api_key = (api_key or "").strip()
    if problem := input_problem(source, api_key):
        raise MalformedInput(problem)
    day = today() - timedelta(days=1 if source == CONSOLE else settings.CLAUDE_CODE_ENTERPRISE_LAG_DAYS)
    try:
        with make_validation_client(source, api_key, base_url) as client:
            try:
                client.validate(day)
            except NotAvailableYet:
                pass  # the key was accepted; the day is simply not aggregated yet
    except InvalidKey:
        raise KeyRejected(source) from None
    except NotAdminKey as exc:
        raise IntegrationError(
            "Anthropic refused this key for the Admin API (403): it is not an Admin API key.",
            exc.user_message,
        ) from None
    except MissingScope as exc:
        hint = exc.user_message + (
            f" Anthropic says: “{exc.anthropic_message}”" if exc.anthropic_message else ""
        )
        raise IntegrationError("This Analytics API key lacks the read:analytics scope (403).", hint) from None
    except WrongKeyType as exc:
        raise MalformedInput(exc.user_message) from None
    except ClaudeCodeError as exc:
        logger.warning("Claude Code key validation failed: %s (status=%s)", type(exc).__name__, exc.status)
        raise AnthropicUnavailable() from None
    return {"source": source, "validated_day": day.isoformat()}


@dataclass(frozen=True)
class ConnectResult:
    connection: Connection
    sync_run: SyncRun | None


def connect_claude_code(
    organization, actor, api_key: str, *, source: str, base_url: str = "", start_backfill: bool = True
) -> ConnectResult:
    """Validate with Anthropic, then save the connection (key encrypted) and start the backfill."""
    api_key = (api_key or "").strip()
    if claude_code_connection(organization) is not None:
        raise AlreadyConnected()
    capabilities = check_key(source, api_key, base_url)
    connection = Connection(
        organization=organization,
        provider=Provider.CLAUDE_CODE,
        base_url=(base_url or "").strip(),
        config={"source": source},
        capabilities=capabilities,
        status=Connection.Status.PENDING,
        created_by=actor,
    )
    connection.set_api_key(api_key)
    try:
        with transaction.atomic():
            connection.save()
            record(
                organization,
                actor,
                AuditLogEntry.Action.CONNECTED,
                _detail(connection),
                provider=Provider.CLAUDE_CODE,
            )
    except IntegrityError:
        raise AlreadyConnected() from None
    run = _start_backfill(connection, actor) if start_backfill else None
    logger.info("Claude Code connected org=%s connection=%s", organization.pk, connection.pk)
    return ConnectResult(connection, run)


def replace_key(connection: Connection, actor, api_key: str, *, source: str | None = None) -> ConnectResult:
    """Validate a new key (and optionally another source) like connecting; store it and resume.
    The old key stays in place unless Anthropic accepts the new one."""
    source = source or (connection.config or {}).get("source", CONSOLE)
    capabilities = check_key(source, api_key, connection.base_url)
    connection.set_api_key(api_key.strip())
    connection.config = {**(connection.config or {}), "source": source}
    connection.capabilities = capabilities
    connection.last_error = ""
    connection.status = Connection.Status.PENDING
    with transaction.atomic():
        connection.save()
        record(
            connection.organization,
            actor,
            AuditLogEntry.Action.KEY_REPLACED,
            _detail(connection),
            provider=Provider.CLAUDE_CODE,
        )
    return ConnectResult(connection, _start_backfill(connection, actor))


def disconnect_claude_code(connection: Connection, actor, *, keep_history: bool) -> int:
    """Stop syncing, delete the key; optionally delete Claude Code's synced history (only)."""
    return disconnect(connection, actor, keep_history=keep_history)


def _start_backfill(connection: Connection, actor) -> SyncRun:
    try:
        return trigger_sync(connection, actor, trigger=SyncRun.Trigger.CONNECT)
    except SyncAlreadyRunning as exc:
        return exc.run


def _window(days: int | None) -> tuple[date | None, date | None]:
    if days is None:
        return None, None
    end = today()
    return end - timedelta(days=max(1, int(days)) - 1), end


def trigger_sync(
    connection: Connection, actor=None, *, trigger: str = SyncRun.Trigger.MANUAL, days: int | None = None
) -> SyncRun:
    """Queue a Claude Code sync and enqueue its task after commit. Raises SyncsPaused while
    Anthropic rejects the key, SyncAlreadyRunning (with that run) when one is queued or running."""
    if connection.syncs_paused:
        raise ClaudeCodeSyncsPaused()
    from integrations.tasks import sync_claude_code_connection  # tasks import this module

    with transaction.atomic():
        claude_code_connection(connection.organization_id, for_update=True)  # serializes double clicks
        active = (
            SyncRun.objects.filter(
                organization_id=connection.organization_id,
                provider=Provider.CLAUDE_CODE,
                status__in=SyncRun.ACTIVE_STATUSES,
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if active is not None:
            if not _abandoned(active):
                raise SyncAlreadyRunning(active)
            active.status = SyncRun.Status.FAILED
            active.message = "This sync was interrupted before it finished; a new sync took over."
            active.finished_at = timezone.now()
            active.save(update_fields=["status", "message", "finished_at"])
        start, end = _window(days)
        run = SyncRun.objects.create(
            organization_id=connection.organization_id,
            connection=connection,
            provider=Provider.CLAUDE_CODE,
            trigger=trigger,
            window_start=start,
            window_end=end,
            progress=initial_progress((connection.config or {}).get("source", CONSOLE)),
            message="Waiting for a worker…",
        )
        if actor is not None:
            record(connection.organization, actor, AuditLogEntry.Action.SYNC_TRIGGERED,
                   f"Started a sync ({run.get_trigger_display()})", provider=Provider.CLAUDE_CODE)  # fmt: skip
        run_id, queue = run.pk, queue_for_run(run)  # backfills wait on their own queue
        transaction.on_commit(lambda: sync_claude_code_connection.apply_async((run_id,), queue=queue))
    return run


def _abandoned(run: SyncRun) -> bool:
    if run.status == SyncRun.Status.RUNNING:
        return not is_sync_locked(run.organization_id, Provider.CLAUDE_CODE)
    return run.created_at < timezone.now() - QUEUED_RUN_STALE_AFTER


def enqueue_hourly_syncs() -> int:
    """Celery beat, every hour: a sync for every Claude Code connection that may sync."""
    queued = 0
    for connection in Connection.objects.filter(provider=Provider.CLAUDE_CODE).order_by("pk").iterator():
        try:
            trigger_sync(connection, trigger=SyncRun.Trigger.HOURLY)
        except SyncNotAllowed:
            continue
        queued += 1
    return queued


def create_foreground_run(connection: Connection, *, days: int | None = None) -> SyncRun:
    """A queued run for `manage.py sync_claude_code`, which runs it itself."""
    if connection.syncs_paused:
        raise ClaudeCodeSyncsPaused()
    start, end = _window(days)
    with transaction.atomic():
        run = SyncRun.objects.create(
            organization=connection.organization,
            connection=connection,
            provider=Provider.CLAUDE_CODE,
            trigger=SyncRun.Trigger.COMMAND,
            window_start=start,
            window_end=end,
            progress=initial_progress((connection.config or {}).get("source", CONSOLE)),
        )
        record(connection.organization, None, AuditLogEntry.Action.SYNC_TRIGGERED,
               f"Sync run #{run.pk} (Command line)", provider=Provider.CLAUDE_CODE)  # fmt: skip
    return run


def _detail(connection: Connection) -> str:
    source = SOURCE_LABELS.get((connection.config or {}).get("source", ""), "Claude Code")
    return f"{source}, key ending {connection.api_key_last4}."
