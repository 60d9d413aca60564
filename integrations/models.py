"""Connections to AI-tool providers, their sync runs and their audit log.

Every row is owned by an organization; every query filters on it.
"""

from django.conf import settings
from django.db import models

from . import crypto


class Provider(models.TextChoices):
    CURSOR = "cursor", "Cursor"
    COPILOT = "copilot", "GitHub Copilot"
    CLAUDE_CODE = "claude_code", "Claude Code"


class Connection(models.Model):
    """One connection per organization and provider. The API key is stored encrypted."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for first sync"
        SYNCING = "syncing", "Syncing"
        HEALTHY = "healthy", "Healthy"
        FAILING = "failing", "Failing"
        KEY_REJECTED = "key_rejected", "Key rejected"

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="connections"
    )
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.CURSOR)
    # Secret, kept apart from config: Fernet token, never rendered, logged or serialized.
    encrypted_api_key = models.TextField(editable=False)
    api_key_last4 = models.CharField(max_length=4, blank=True)
    team_id = models.CharField(max_length=64, blank=True)
    base_url = models.URLField(blank=True, help_text="Empty: settings.CURSOR_API_BASE_URL")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # {"admin": true, "analytics": false, "ai_code": false}: what the key's plan allows.
    capabilities = models.JSONField(default=dict, blank=True)
    # Per-stream availability learned while syncing, e.g. {"analytics": "unavailable"}.
    stream_status = models.JSONField(default=dict, blank=True)
    # Non-secret settings of the connection, e.g. Copilot's {"scope": "org", "slug": "acme"}.
    config = models.JSONField(default=dict, blank=True)
    last_error = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "provider"], name="uniq_connection_per_provider")
        ]

    def __str__(self):
        return f"{self.get_provider_display()} for {self.organization}"

    def __repr__(self):  # never include the key
        return f"<Connection {self.pk} {self.provider} org={self.organization_id} status={self.status}>"

    def set_api_key(self, api_key: str) -> None:
        api_key = api_key.strip()
        self.encrypted_api_key = crypto.encrypt(api_key)
        self.api_key_last4 = api_key[-4:]

    def get_api_key(self) -> str:
        return crypto.decrypt(self.encrypted_api_key)

    @property
    def api_base_url(self) -> str:
        if self.provider == Provider.COPILOT:
            return self.base_url or settings.COPILOT_API_BASE_URL
        if self.provider == Provider.CLAUDE_CODE:
            return self.base_url or settings.CLAUDE_CODE_API_BASE_URL
        return self.base_url or settings.CURSOR_API_BASE_URL

    @property
    def syncs_paused(self) -> bool:
        """Hourly syncs stop while Cursor rejects the key; replacing the key resumes them."""
        return self.status == self.Status.KEY_REJECTED


class SyncRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partially succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        CONNECT = "connect", "Connected"
        HOURLY = "hourly", "Hourly schedule"
        MANUAL = "manual", "Sync now"
        COMMAND = "command", "Command line"
        API = "api", "REST API"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="sync_runs"
    )
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="sync_runs"
    )
    # Which tool's sync: each tool's runs are queued, shown and cancelled apart from the others'.
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.CURSOR)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=12, choices=Trigger.choices, default=Trigger.MANUAL)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    # {"members": {"status": "done", "rows": 52, "done": 1, "total": 1}, "usage_events": {...}, ...}
    progress = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True, help_text="Plain words for users; never a secret.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written every few seconds by the worker on the run (integrations/cursor/sync/heartbeat.py):
    # a running run whose heartbeat is older than SYNC_STALE_AFTER_SECONDS has lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["organization", "provider", "-created_at"]),
        ]

    def __str__(self):
        return f"SyncRun {self.pk} {self.status}"

    @property
    def is_active(self):
        return self.status in self.ACTIVE_STATUSES

    # Stream states that count as complete for the progress bar: the stream has everything
    # it will ever get (done), or there is nothing to get (unavailable on the plan). A failed or
    # skipped stream counts only the units it finished, so a failed run never shows 100 %.
    FINISHED_STREAM_STATUSES = ("done", "unavailable")

    @property
    def percent(self) -> int:
        """Overall progress 0–100 over every stream, started or not.

        A stream not yet started counts 0, a complete one (done, unavailable) counts 1, any
        other (running, failed, skipped) done/total.
        """
        if self.status in (self.Status.SUCCEEDED, self.Status.PARTIAL):
            return 100
        parts = []
        for state in (self.progress or {}).values():
            if not isinstance(state, dict):
                continue
            if state.get("status") in self.FINISHED_STREAM_STATUSES:
                parts.append(1.0)
            elif state.get("total"):
                parts.append(min(1.0, (state.get("done") or 0) / state["total"]))
            else:
                parts.append(0.0)
        return int(100 * sum(parts) / len(parts)) if parts else 0

    @property
    def rows_stored(self) -> dict:
        return {k: v.get("rows", 0) for k, v in self.progress.items() if isinstance(v, dict)}


class AuditLogEntry(models.Model):
    """Who changed a connection, when, and what. Never holds a secret."""

    class Action(models.TextChoices):
        CONNECTED = "connected", "Connected"
        KEY_REPLACED = "key_replaced", "Replaced the API key"
        DISCONNECTED = "disconnected", "Disconnected"
        SYNC_TRIGGERED = "sync_triggered", "Started a sync"
        KEY_REJECTED = "key_rejected", "Cursor rejected the key"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.CURSOR)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor or 'system'}"


class SyncCheck(models.Model):
    """One data-quality check of one finished sync run (integrations/quality.py): a status, a
    message in plain words and the numbers behind it. Per-person lists in `numbers` sit under
    keys ending in "_emails"; only owners and admins are shown them."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        WARNING = "warning", "Warning"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    sync_run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="checks")
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.CURSOR)
    key = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices)
    title = models.CharField(max_length=120)
    message = models.TextField(help_text="Plain words for users; never a secret.")
    numbers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["sync_run", "key"], name="uniq_sync_check_per_run")]
        indexes = [models.Index(fields=["organization", "provider", "-created_at"])]

    def __str__(self):
        return f"{self.key}: {self.status}"


class SyncDigest(models.Model):
    """Per-day counts and sums of what a sync run left stored for its window, kept so the next
    run can tell which days Cursor revised since (and by how much)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    sync_run = models.OneToOneField(SyncRun, on_delete=models.CASCADE, related_name="digest")
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.CURSOR)
    as_of = models.DateField(help_text="The UTC day the run ran: days before it were complete")
    # {"2026-11-20": {"events": 812, "cents": "1234.5678", "daily_rows": 52, "requests": 812}, ...}
    days = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "provider", "-created_at"])]
