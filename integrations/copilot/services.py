"""Writes for the Copilot connection: validate and connect, replace the token, disconnect,
start syncs. Views, commands and tasks call these.

Every function takes the organization (or a connection of it) and scopes its queries by it;
the hourly beat is the deliberate exception, across organizations. The token goes only to the
client and to `Connection.set_api_key()`: never to an audit entry, a log line or a message.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.key_check import IntegrationError
from integrations.locks import is_sync_locked
from integrations.models import AuditLogEntry, Connection, Provider, SyncRun
from integrations.queues import queue_for_run
from integrations.services import SyncAlreadyRunning, SyncNotAllowed, SyncsPaused, disconnect, record

from .client import CopilotClient, Validation
from .errors import CopilotError, InvalidToken, MissingScope, OrgNotFound, PolicyDisabled
from .progress import initial_progress

logger = logging.getLogger(__name__)

SLUG_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,98})$")
MIN_TOKEN_LENGTH = 20
QUEUED_RUN_STALE_AFTER = timedelta(hours=1)
VALIDATION_TIMEOUT_SECONDS = 10.0
VALIDATION_RETRIES = 1

SEATS_PERMISSION = {
    "org": (
        "To list seats, a classic token needs the manage_billing:copilot or read:org scope, and a "
        "fine-grained token the organization permission “GitHub Copilot Business” (read); its owner "
        "must be an owner of the organization."
    ),
    "enterprise": (
        "To list enterprise seats, use a classic token with manage_billing:copilot or read:enterprise "
        "(fine-grained and GitHub App tokens are not supported), owned by an enterprise owner or "
        "billing manager."
    ),
}
REPORTS_PERMISSION = {
    "org": (
        "To read the usage reports, a classic token needs read:org, and a fine-grained token the "
        "organization permission “Organization Copilot metrics” (read); its owner must be an "
        "organization owner or hold the “View Organization Copilot Metrics” role."
    ),
    "enterprise": (
        "To read the usage reports, a classic token needs manage_billing:copilot or read:enterprise, "
        "and a fine-grained token “Enterprise Copilot metrics” (read); its owner must be an enterprise "
        "owner, a billing manager or hold “View Enterprise Copilot Metrics”."
    ),
}
NO_REPORT_YET_NOTE = (
    "GitHub has no usage report for this {what} yet. Reports appear up to three days after IDE "
    "telemetry starts; if none appear, check that the “Copilot usage metrics” policy is enabled."
)


class TokenRejected(IntegrationError):
    def __init__(self):
        super().__init__(
            "GitHub rejected this token (401 Bad credentials).",
            "Check that it was copied whole, has not expired and has not been revoked.",
        )


class MalformedInput(IntegrationError):
    pass


class GitHubUnavailable(IntegrationError):
    def __init__(self):
        super().__init__(
            "We couldn't reach GitHub right now. Nothing was saved — please try again in a minute."
        )


class CopilotSyncsPaused(SyncsPaused):
    def __init__(self):
        SyncNotAllowed.__init__(self, "GitHub rejected the stored token; replace it before syncing.")


class AlreadyConnected(IntegrationError):
    def __init__(self):
        super().__init__(
            "GitHub Copilot is already connected for this organization. Use “Replace token” instead."
        )


def copilot_connection(org_or_id, *, for_update: bool = False) -> Connection | None:
    """The organization's Copilot connection, or None: the one place it is looked up."""
    rows = Connection.objects.filter(organization=org_or_id, provider=Provider.COPILOT)
    return (rows.select_for_update() if for_update else rows).first()


def input_problem(token: str, slug: str, scope: str) -> str:
    """Why the form's input cannot work, or "" (checked before GitHub is called; never quotes
    the token)."""
    if scope not in ("org", "enterprise"):
        return "Choose an organization or an enterprise."
    if not SLUG_RE.match(slug or ""):
        return "Enter the organization's or enterprise's slug as it appears in its GitHub URL, e.g. acme-inc."
    if not token:
        return "Paste a GitHub token."
    if any(ch.isspace() for ch in token):
        return "A token has no spaces inside. Copy it again from GitHub."
    if len(token) < MIN_TOKEN_LENGTH:
        return "That is too short to be a GitHub token. Copy it again from GitHub."
    return ""


def make_client(token: str, scope: str, slug: str, base_url: str) -> CopilotClient:
    """The one place a client is built for validation (tests replace it)."""
    return CopilotClient(
        token,
        scope=scope,
        slug=slug,
        base_url=base_url or settings.COPILOT_API_BASE_URL,
        timeout=VALIDATION_TIMEOUT_SECONDS,
        max_retries=VALIDATION_RETRIES,
        max_wait=15.0,
    )


@dataclass(frozen=True)
class CopilotCheck:
    validation: Validation
    note: str  # shown beside the success message; empty when reports are there


def check_token(token: str, scope: str, slug: str, base_url: str = "") -> CopilotCheck:
    """Validate before anything is stored: the seats, then the latest report. Raises an
    IntegrationError whose message says exactly which permission or policy is missing."""
    token, slug = (token or "").strip(), (slug or "").strip()
    if problem := input_problem(token, slug, scope):
        raise MalformedInput(problem)
    what = "organization" if scope == "org" else "enterprise"
    step = "seats"
    try:
        with make_client(token, scope, slug, base_url) as client:
            total, plan = client.seat_summary()
            step = "reports"
            window = client.latest_report_window()
    except InvalidToken:
        raise TokenRejected() from None
    except PolicyDisabled as exc:
        raise IntegrationError(
            "GitHub refused the usage reports: the “Copilot usage metrics” policy is off.", exc.user_message
        ) from None
    except MissingScope:
        permission = SEATS_PERMISSION if step == "seats" else REPORTS_PERMISSION
        verb = f"list this {what}'s Copilot seats" if step == "seats" else "read the Copilot usage reports"
        raise IntegrationError(
            f"GitHub refused (403): the token may not {verb}.", permission[scope]
        ) from None
    except OrgNotFound:
        raise IntegrationError(
            f"GitHub found no {what} “{slug}” with Copilot for this token (404).",
            f"Check the slug and that Copilot Business or Enterprise is enabled there. GitHub also answers 404 "
            f"when the token may not see it: {SEATS_PERMISSION[scope]}",
        ) from None
    except CopilotError as exc:
        logger.warning("Copilot token validation failed: %s (status=%s)", type(exc).__name__, exc.status)
        raise GitHubUnavailable() from None
    validation = Validation(
        total_seats=total, plan_type=plan, latest_report_day=window[1] if window else None
    )
    return CopilotCheck(validation, "" if window else NO_REPORT_YET_NOTE.format(what=what))


@dataclass(frozen=True)
class ConnectResult:
    connection: Connection
    note: str
    sync_run: SyncRun | None


def _capabilities(check: CopilotCheck) -> dict:
    v = check.validation
    return {
        "seats": True,
        "reports": v.latest_report_day is not None,
        "seat_count": v.total_seats,
        "plan_type": v.plan_type,
        "latest_report_day": v.latest_report_day.isoformat() if v.latest_report_day else None,
    }


def connect_copilot(
    organization, actor, token: str, *, scope: str, slug: str, base_url: str = "", start_backfill: bool = True
) -> ConnectResult:
    """Validate with GitHub, then save the connection (token encrypted) and start the backfill."""
    token, slug = (token or "").strip(), (slug or "").strip()
    if copilot_connection(organization) is not None:
        raise AlreadyConnected()
    check = check_token(token, scope, slug, base_url)
    connection = Connection(
        organization=organization,
        provider=Provider.COPILOT,
        base_url=(base_url or "").strip(),
        config={"scope": scope, "slug": slug},
        capabilities=_capabilities(check),
        status=Connection.Status.PENDING,
        created_by=actor,
    )
    connection.set_api_key(token)
    try:
        with transaction.atomic():
            connection.save()
            record(
                organization,
                actor,
                AuditLogEntry.Action.CONNECTED,
                _detail(connection),
                provider=Provider.COPILOT,
            )
    except IntegrityError:
        raise AlreadyConnected() from None
    run = _start_backfill(connection, actor) if start_backfill else None
    logger.info("Copilot connected org=%s connection=%s", organization.pk, connection.pk)
    return ConnectResult(connection, check.note, run)


def replace_token(
    connection: Connection, actor, token: str, *, slug: str | None = None, scope: str | None = None
):
    """Validate a new token (and optionally a new slug) like connecting; store it and resume."""
    config = dict(connection.config or {})
    scope = scope or config.get("scope", "org")
    slug = (slug or config.get("slug", "")).strip()
    check = check_token(token, scope, slug, connection.base_url)
    connection.set_api_key(token.strip())
    connection.config = {**config, "scope": scope, "slug": slug}
    connection.capabilities = _capabilities(check)
    connection.last_error = ""
    connection.status = Connection.Status.PENDING
    with transaction.atomic():
        connection.save()
        record(
            connection.organization,
            actor,
            AuditLogEntry.Action.KEY_REPLACED,
            _detail(connection),
            provider=Provider.COPILOT,
        )
    return ConnectResult(connection, check.note, _start_backfill(connection, actor))


def disconnect_copilot(connection: Connection, actor, *, keep_history: bool) -> int:
    """Stop syncing, delete the token; optionally delete Copilot's synced history (only)."""
    return disconnect(connection, actor, keep_history=keep_history)


def _start_backfill(connection: Connection, actor) -> SyncRun:
    try:
        return trigger_sync(connection, actor, trigger=SyncRun.Trigger.CONNECT)
    except SyncAlreadyRunning as exc:
        return exc.run


def trigger_sync(
    connection: Connection, actor=None, *, trigger: str = SyncRun.Trigger.MANUAL, days: int | None = None
) -> SyncRun:
    """Queue a Copilot sync and enqueue its task after commit. Raises SyncsPaused while GitHub
    rejects the token, SyncAlreadyRunning (with that run) when one is queued or running."""
    if connection.syncs_paused:
        raise CopilotSyncsPaused()
    from integrations.tasks import sync_copilot_connection  # tasks import this module

    from .sync import backfill_window, today

    with transaction.atomic():
        copilot_connection(connection.organization_id, for_update=True)  # serializes double clicks
        active = (
            SyncRun.objects.filter(
                organization_id=connection.organization_id,
                provider=Provider.COPILOT,
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
        start = end = None
        if days is not None:
            start, end = backfill_window(today() - timedelta(days=1), days)
        run = SyncRun.objects.create(
            organization_id=connection.organization_id,
            connection=connection,
            provider=Provider.COPILOT,
            trigger=trigger,
            window_start=start,
            window_end=end,
            progress=initial_progress(),
            message="Waiting for a worker…",
        )
        if actor is not None:
            record(
                connection.organization,
                actor,
                AuditLogEntry.Action.SYNC_TRIGGERED,
                f"Started a sync ({run.get_trigger_display()})",
                provider=Provider.COPILOT,
            )
        run_id, queue = run.pk, queue_for_run(run)  # backfills wait on their own queue
        transaction.on_commit(lambda: sync_copilot_connection.apply_async((run_id,), queue=queue))
    return run


def _abandoned(run: SyncRun) -> bool:
    if run.status == SyncRun.Status.RUNNING:
        return not is_sync_locked(run.organization_id, Provider.COPILOT)
    return run.created_at < timezone.now() - QUEUED_RUN_STALE_AFTER


def enqueue_hourly_syncs() -> int:
    """Celery beat, every hour: a sync for every Copilot connection that may sync."""
    queued = 0
    for connection in Connection.objects.filter(provider=Provider.COPILOT).order_by("pk").iterator():
        try:
            trigger_sync(connection, trigger=SyncRun.Trigger.HOURLY)
        except SyncNotAllowed:
            continue
        queued += 1
    return queued


def create_foreground_run(connection: Connection, *, days: int | None = None) -> SyncRun:
    """A queued run for `manage.py sync_copilot`, which runs it itself."""
    if connection.syncs_paused:
        raise CopilotSyncsPaused()
    from .sync import backfill_window, today

    start = end = None
    if days is not None:
        start, end = backfill_window(today() - timedelta(days=1), days)
    with transaction.atomic():
        run = SyncRun.objects.create(
            organization=connection.organization,
            connection=connection,
            provider=Provider.COPILOT,
            trigger=SyncRun.Trigger.COMMAND,
            window_start=start,
            window_end=end,
            progress=initial_progress(),
        )
        record(
            connection.organization,
            None,
            AuditLogEntry.Action.SYNC_TRIGGERED,
            f"Sync run #{run.pk} (Command line)",
            provider=Provider.COPILOT,
        )
    return run


def _detail(connection: Connection) -> str:
    config = connection.config or {}
    what = "organization" if config.get("scope") == "org" else "enterprise"
    return f"{what.capitalize()} {config.get('slug', '')}, token ending {connection.api_key_last4}."


def seat_price(connection: Connection | None) -> tuple[int, bool]:
    """(monthly Copilot seat price in cents, whether it is a list-price estimate): the price an
    admin set, else GitHub's list price for the plan seen when connecting (Business if unknown)."""
    config = (connection.config or {}) if connection else {}
    if isinstance(config.get("seat_price_cents"), int) and config["seat_price_cents"] > 0:
        return config["seat_price_cents"], False
    plan = ((connection.capabilities or {}).get("plan_type") if connection else "") or "business"
    prices = settings.COPILOT_SEAT_PRICE_CENTS
    return prices.get(plan, prices["business"]), True


def set_seat_price(connection: Connection, actor, cents: int) -> None:
    """Store the organization's own monthly Copilot seat price (validated by the form)."""
    if not isinstance(cents, int) or cents <= 0:
        raise ValueError("The seat price must be a positive number of cents.")
    with transaction.atomic():
        conn = Connection.objects.select_for_update().get(
            pk=connection.pk, organization=connection.organization_id, provider=Provider.COPILOT
        )
        conn.config = {**(conn.config or {}), "seat_price_cents": cents}
        conn.save(update_fields=["config", "updated_at"])
    connection.config = conn.config
