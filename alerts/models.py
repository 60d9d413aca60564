"""Budgets, alerts, notification channels and their delivery log.

Every row has `organization` and every query filters on it. Secrets (webhook URLs, signing
secrets) are Fernet tokens (`integrations.crypto`) in columns of their own, never rendered,
logged or serialized; `target_hint` is what a page may show.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from integrations import crypto

DEFAULT_THRESHOLDS = [50, 80, 100]


def default_thresholds():
    return list(DEFAULT_THRESHOLDS)


class Budget(models.Model):
    """An amount of spend per period for the organization or one person.

    `scope` leaves room for a team scope (a `team` FK beside `person`) without a new model.
    Alerts a budget raised are keyed by the budget's id, a threshold and the period's first
    day, so editing the amount never re-fires what already fired.
    """

    class Scope(models.TextChoices):
        ORGANIZATION = "organization", "Organization"
        PERSON = "person", "Person"
        TEAM = "team", "Team"

    class Period(models.TextChoices):
        CYCLE = "cycle", "Cursor billing cycle"
        MONTH = "month", "Calendar month"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.ORGANIZATION)
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=10, choices=Period.choices, default=Period.CYCLE)
    amount_cents = models.PositiveBigIntegerField()
    thresholds = models.JSONField(default=default_thresholds, help_text="Percentages of the amount")
    alert_on_projection = models.BooleanField(default=True, help_text="Alert when projected to exceed")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scope", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period"],
                condition=Q(scope="organization"),
                name="uniq_org_budget_per_period",
            ),
            models.UniqueConstraint(
                fields=["organization", "person", "period"],
                condition=Q(scope="person"),
                name="uniq_person_budget_per_period",
            ),
            models.UniqueConstraint(
                fields=["organization", "team", "period"],
                condition=Q(scope="team"),
                name="uniq_team_budget_per_period",
            ),
            models.CheckConstraint(
                condition=Q(scope="organization", person__isnull=True, team__isnull=True)
                | Q(scope="person", person__isnull=False, team__isnull=True)
                | Q(scope="team", team__isnull=False, person__isnull=True),
                name="budget_scope_matches_subject_v2",
            ),
        ]

    def __str__(self):
        return f"{self.subject_name}: {self.get_period_display()}"

    @property
    def subject_name(self) -> str:
        if self.person_id:
            return self.person.display_name
        if self.team_id:
            return f"Team {self.team.name}"
        return "Organization"

    @property
    def subject_key(self) -> str:
        if self.scope == self.Scope.PERSON:
            return f"person:{self.person_id}"
        if self.scope == self.Scope.TEAM:
            return f"team:{self.team_id}"
        return "org"


class Alert(models.Model):
    """One thing worth telling someone, unique per (rule, subject, period).

    `reason` names people and amounts: it is for owners and admins only. `summary` says the
    same without any per-person figure, for channels whose audience is not known.
    """

    class Kind(models.TextChoices):
        BUDGET_THRESHOLD = "budget_threshold", "Budget threshold"
        BUDGET_PROJECTED = "budget_projected", "Projected to exceed budget"
        SPEND_SPIKE = "spend_spike", "Unusual spend"
        REQUEST_SPIKE = "request_spike", "Unusual requests"
        EXPENSIVE_MODEL = "expensive_model", "First use of an expensive model"
        SHARE_OF_ORG = "share_of_org", "Large share of the day's spend"
        SHARE_OF_TEAM = "share_of_team", "Large share of a team's day"
        ORG_JUMP = "org_jump", "Organization spend jump"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    rule = models.CharField(max_length=80, help_text="e.g. budget:12:t80, spend_spike")
    subject = models.CharField(max_length=200, help_text="e.g. org, person:5, person:5:model:gpt-5")
    period = models.CharField(max_length=20, help_text="The day or the period's first day (ISO)")
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "people.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The team the alert is about (its lead receives it)",
    )
    budget = models.ForeignKey(
        Budget, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    day = models.DateField(null=True, blank=True)
    title = models.CharField(max_length=200)
    reason = models.TextField(help_text="Plain words, may name people: owners and admins only")
    summary = models.TextField(help_text="The same without per-person figures")
    metrics = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    revisions = models.PositiveIntegerField(default=0, help_text="Times re-evaluated with changed figures")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "rule", "subject", "period"], name="uniq_alert_dedupe"
            )
        ]
        indexes = [models.Index(fields=["organization", "status", "-created_at"])]

    def __str__(self):
        return self.title

    @property
    def is_personal(self) -> bool:
        return self.person_id is not None


class Channel(models.Model):
    """Where an organization's alerts go. Email goes to the organization's owners and admins."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email to owners and admins"
        SLACK = "slack", "Slack incoming webhook"
        WEBHOOK = "webhook", "Signed webhook"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100)
    # Secrets: Fernet tokens, never rendered, logged or serialized.
    encrypted_url = models.TextField(blank=True, editable=False)
    encrypted_secret = models.TextField(blank=True, editable=False)
    target_hint = models.CharField(max_length=120, blank=True, help_text="Host and last characters only")
    include_person_details = models.BooleanField(
        default=False,
        help_text="Name people and amounts (only for channels that owners and admins alone read)",
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.name}"

    def __repr__(self):  # never include a secret
        return f"<Channel {self.pk} {self.kind} org={self.organization_id}>"

    def set_url(self, url: str) -> None:
        self.encrypted_url = crypto.encrypt(url)

    def get_url(self) -> str:
        return crypto.decrypt(self.encrypted_url) if self.encrypted_url else ""

    def set_secret(self, secret: str) -> None:
        self.encrypted_secret = crypto.encrypt(secret)

    def get_secret(self) -> str:
        return crypto.decrypt(self.encrypted_secret) if self.encrypted_secret else ""

    @property
    def sees_person_details(self) -> bool:
        """Email reaches owners and admins only; other channels only when an admin said so."""
        return self.kind == self.Kind.EMAIL or self.include_person_details


class Delivery(models.Model):
    """One message to one channel: an alert's, or a test send. The delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Failed, retrying"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    is_test = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, help_text="Plain words; never a secret")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # De-duplication: an alert reaches a channel once, however often it is re-evaluated.
            models.UniqueConstraint(
                fields=["channel", "alert"], condition=Q(alert__isnull=False), name="uniq_delivery_per_alert"
            )
        ]
        indexes = [models.Index(fields=["organization", "-created_at"])]


class DigestSent(models.Model):
    """A digest already emailed: one per (organization, kind, period), so a re-run beat is a no-op."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        CYCLE_END = "cycle_end", "Three days before the cycle ends"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    period = models.CharField(max_length=20)
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "period"], name="uniq_digest_per_period")
        ]
