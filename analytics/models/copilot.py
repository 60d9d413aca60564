"""Synced GitHub Copilot data in Copilot's own vocabulary (reference: docs/copilot-api.md).

Invariants:
- every row has an `organization` FK and every query filters on it;
- unique constraints make re-syncs idempotent (upserts with ON CONFLICT);
- GitHub logins are stored lowercase (GitHub treats them case-insensitively);
- a day without a report is a `CopilotReportDay` with status "no_report" and no user rows;
  it never becomes a day of zeros.
"""

from django.db import models

from .base import OrgOwned

DOLLARS = {"max_digits": 16, "decimal_places": 6, "default": 0}


class CopilotSeat(OrgOwned):
    """A Copilot seat as GitHub last listed it (§4.1); `removed_at` once it left the list."""

    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    login = models.CharField(max_length=100)
    github_user_id = models.BigIntegerField(null=True, blank=True)
    email = models.EmailField(max_length=254, blank=True, help_text="Only where GitHub gives one")
    plan_type = models.CharField(max_length=20, blank=True)
    assigning_team = models.CharField(max_length=100, blank=True)
    seat_created_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    last_activity_editor = models.CharField(max_length=200, blank=True)
    last_authenticated_at = models.DateTimeField(null=True, blank=True)
    pending_cancellation_date = models.DateField(null=True, blank=True)
    synced_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "login"], name="uniq_copilot_seat_login")
        ]
        ordering = ["login"]

    def __str__(self):
        return self.login


class CopilotUserDay(OrgOwned):
    """One user's line of a `users-1-day` report: the day's totals (§3.1)."""

    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    login = models.CharField(max_length=100)
    github_user_id = models.BigIntegerField(null=True, blank=True)
    day = models.DateField()
    interactions = models.IntegerField(default=0, help_text="user_initiated_interaction_count")
    generations = models.IntegerField(default=0, help_text="code_generation_activity_count")
    acceptances = models.IntegerField(default=0, help_text="code_acceptance_activity_count")
    loc_suggested_to_add = models.IntegerField(default=0)
    loc_suggested_to_delete = models.IntegerField(default=0)
    loc_added = models.IntegerField(default=0)
    loc_deleted = models.IntegerField(default=0)
    ai_credits_used = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, help_text="Not a billed total"
    )
    used_agent = models.BooleanField(default=False)
    used_chat = models.BooleanField(default=False)
    used_cli = models.BooleanField(default=False)
    cli_requests = models.IntegerField(null=True)
    cli_prompt_tokens = models.BigIntegerField(null=True)
    cli_output_tokens = models.BigIntegerField(null=True)
    extra = models.JSONField(default=dict, blank=True, help_text="Fields GitHub added that we do not map")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "login", "day"], name="uniq_copilot_user_day")
        ]
        indexes = [models.Index(fields=["organization", "day"])]


class CopilotDayTotals(OrgOwned):
    """The organization's CopilotUserDay rows of one day summed (every listed user, linked to a
    person or not): what the Tools page's acceptance reads, a row per day rather than per user
    and day. Rebuilt with the day's facts (analytics.services.tool_totals)."""

    day = models.DateField()
    generations = models.BigIntegerField(default=0)
    acceptances = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="uniq_copilot_day_totals")
        ]


class CopilotUserDayBreakdown(OrgOwned):
    """One row of a user-day's `totals_by_ide` / `_feature` / `_language_feature` /
    `_model_feature` arrays. `dimension` is ide, feature, language or model."""

    login = models.CharField(max_length=100)
    day = models.DateField()
    dimension = models.CharField(max_length=10)
    value = models.CharField(max_length=100)
    feature = models.CharField(max_length=100, blank=True)
    interactions = models.IntegerField(null=True)
    generations = models.IntegerField(default=0)
    acceptances = models.IntegerField(default=0)
    loc_suggested_to_add = models.IntegerField(default=0)
    loc_added = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "login", "day", "dimension", "value", "feature"],
                name="uniq_copilot_breakdown",
            )
        ]
        indexes = [models.Index(fields=["organization", "dimension", "day"])]


class CopilotReportDay(OrgOwned):
    """Whether GitHub had a report for a day: the marker that tells "no report" from zero."""

    class Status(models.TextChoices):
        REPORTED = "reported", "Reported"
        NO_REPORT = "no_report", "No report yet"

    report = models.CharField(max_length=20, default="users")
    day = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices)
    users = models.IntegerField(default=0)
    skipped_lines = models.IntegerField(default=0)
    checked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "report", "day"], name="uniq_copilot_report_day")
        ]


class CopilotOrgDay(OrgOwned):
    """The organization's (or enterprise's) aggregated record of a day (§3.2), kept raw."""

    day = models.DateField()
    daily_active_users = models.IntegerField(null=True)
    weekly_active_users = models.IntegerField(null=True)
    monthly_active_users = models.IntegerField(null=True)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="uniq_copilot_org_day")]


class CopilotBillingLine(OrgOwned):
    """A usage item of the AI-credit / premium-request report for a month (§5.1), US dollars.
    `login` is empty for the whole organization's lines."""

    year = models.IntegerField()
    month = models.IntegerField()
    kind = models.CharField(max_length=20, default="ai_credit")
    login = models.CharField(max_length=100, blank=True)
    product = models.CharField(max_length=100)
    sku = models.CharField(max_length=100)
    model = models.CharField(max_length=100, blank=True)
    unit_type = models.CharField(max_length=30, blank=True)
    price_per_unit = models.DecimalField(**DOLLARS)
    gross_quantity = models.DecimalField(**DOLLARS)
    gross_amount = models.DecimalField(**DOLLARS)
    discount_quantity = models.DecimalField(**DOLLARS)
    discount_amount = models.DecimalField(**DOLLARS)
    net_quantity = models.DecimalField(**DOLLARS)
    net_amount = models.DecimalField(**DOLLARS)
    fetched_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "month", "kind", "login", "sku", "model"],
                name="uniq_copilot_billing_line",
            )
        ]
