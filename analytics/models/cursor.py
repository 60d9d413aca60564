"""Synced Cursor usage, kept beyond Cursor's own retention window: Cursor's own vocabulary.

Invariants:
- every row has an `organization` FK and every query filters on it;
- unique constraints make re-syncs idempotent (upserts with ON CONFLICT);
- `UsageEvent`, `AiCommit` and `AiChange` are partitioned by month of `day` on PostgreSQL
  (analytics/services/partitions.py): their unique constraints include `day`, since
  PostgreSQL only enforces uniqueness within a partition, and their primary key there is
  (id, day); `id` alone stays unique (one sequence) and is what Django uses as the pk;
- days are UTC `date`s, timestamps aware UTC datetimes;
- cents are exact decimals (Cursor sends fractional cents).
"""

from django.db import models

from .base import CENTS, OrgOwned


# The three big fact tables (millions of rows per organization, partitioned by month) keep their
# foreign keys in Django only: a database FOREIGN KEY fires a trigger per inserted row (a
# SELECT … FOR KEY SHARE on the organization and the member), which measured at more than half
# of PostgreSQL's work per synced usage event. Django still cascades deletes (on_delete runs in
# Django's collector), every row is written by the sync with ids from the organization's own
# member directory, and the organization's composite indexes make a lone organization index
# redundant. See analytics/migrations/0012_fact_tables_without_row_triggers.py.
def _fact_organization():
    return models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )


class CursorMember(OrgOwned):
    """A person on the Cursor team (or seen in usage but missing from /teams/members)."""

    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="cursor_members"
    )
    cursor_user_id = models.CharField(max_length=64, blank=True)
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=30, blank=True)
    is_removed = models.BooleanField(default=False)
    not_in_roster = models.BooleanField(default=False, help_text="Seen in usage, absent from /teams/members")
    first_seen = models.DateField(null=True, blank=True)
    last_seen = models.DateField(null=True, blank=True, help_text="Last UTC day with activity")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="uniq_cursor_member_email")
        ]
        ordering = ["email"]

    def __str__(self):
        return self.email

    @property
    def display_name(self):
        return self.name or self.email


class DailyUsage(OrgOwned):
    """One row per member per UTC day, every counter of /teams/daily-usage-data."""

    member = models.ForeignKey(CursorMember, on_delete=models.CASCADE, related_name="daily_usage")
    day = models.DateField()
    is_active = models.BooleanField(default=False)
    total_lines_added = models.IntegerField(default=0)
    total_lines_deleted = models.IntegerField(default=0)
    accepted_lines_added = models.IntegerField(default=0)
    accepted_lines_deleted = models.IntegerField(default=0)
    total_applies = models.IntegerField(default=0)
    total_accepts = models.IntegerField(default=0)
    total_rejects = models.IntegerField(default=0)
    total_tabs_shown = models.IntegerField(default=0)
    total_tabs_accepted = models.IntegerField(default=0)
    composer_requests = models.IntegerField(default=0)
    chat_requests = models.IntegerField(default=0)
    agent_requests = models.IntegerField(default=0)
    cmdk_usages = models.IntegerField(default=0)
    subscription_included_reqs = models.IntegerField(default=0)
    api_key_reqs = models.IntegerField(default=0)
    usage_based_reqs = models.IntegerField(default=0)
    bugbot_usages = models.IntegerField(default=0)
    most_used_model = models.CharField(max_length=100, blank=True)
    apply_most_used_extension = models.CharField(max_length=50, blank=True)
    tab_most_used_extension = models.CharField(max_length=50, blank=True)
    client_version = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "member", "day"], name="uniq_daily_usage")
        ]
        indexes = [models.Index(fields=["organization", "day"])]


class UsageEvent(OrgOwned):
    """One billed request from /teams/filtered-usage-events.

    Cursor gives no event id: `fingerprint` hashes the event's content plus its ordinal
    among identical events in the fetched window, so an overlapping re-fetch never
    duplicates and two genuinely identical events are both kept.
    """

    # Cursor's billing kind of an errored request (docs/cursor-api.md §2.12): it is left out of
    # every spend figure, whatever `chargedCents` it carries.
    ERRORED_KIND = "Errored, Not Charged"

    organization = _fact_organization()
    member = models.ForeignKey(
        CursorMember, on_delete=models.CASCADE, related_name="usage_events", db_constraint=False
    )
    fingerprint = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    day = models.DateField()
    model = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=60, blank=True)
    max_mode = models.BooleanField(default=False)
    requests_costs = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    is_token_based_call = models.BooleanField(default=False)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_write_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    token_cents = models.DecimalField(**CENTS)
    charged_cents = models.DecimalField(**CENTS)
    cursor_token_fee = models.DecimalField(**CENTS)
    is_headless = models.BooleanField(default=False)
    is_chargeable = models.BooleanField(default=False)
    conversation_id = models.CharField(max_length=64, blank=True)

    class Meta:
        # The unique index leads with (organization, day): it also serves the day-range reads.
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "fingerprint"], name="uniq_usage_event_day_fingerprint"
            )
        ]
        indexes = [models.Index(fields=["organization", "member", "day"])]


class SpendSnapshot(OrgOwned):
    """A member's spend for one billing cycle; the last snapshot of each cycle is kept."""

    member = models.ForeignKey(CursorMember, on_delete=models.CASCADE, related_name="spend_snapshots")
    cycle_start = models.DateTimeField()
    spend_cents = models.DecimalField(**CENTS)  # on-demand (usage-based) spend
    overall_spend_cents = models.DecimalField(**CENTS)  # included + on-demand
    fast_premium_requests = models.IntegerField(default=0)
    hard_limit_override_dollars = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    monthly_limit_dollars = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    effective_per_user_limit_dollars = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True
    )
    captured_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "member", "cycle_start"], name="uniq_spend_snapshot"
            )
        ]
        indexes = [models.Index(fields=["organization", "cycle_start"])]


class TeamAnalytics(OrgOwned):
    """A row of an Analytics API team endpoint (Enterprise), long format.

    `metric` is the endpoint (dau, models, agent-edits, tabs, client-versions,
    top-file-extensions, mcp, commands, plans, ask-mode); `key` its dimension
    (model, version, extension, "server/tool", command; "" when none); `values` the numbers.
    """

    metric = models.CharField(max_length=40)
    day = models.DateField()
    key = models.CharField(max_length=200, blank=True, default="")
    values = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "metric", "day", "key"], name="uniq_team_analytics"
            )
        ]
        indexes = [models.Index(fields=["organization", "metric", "day"])]


class AiCommit(OrgOwned):
    """A commit from AI Code Tracking (Enterprise). Hashes can repeat after an amend."""

    commit_hash = models.CharField(max_length=64)
    organization = _fact_organization()
    member = models.ForeignKey(
        CursorMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    email = models.EmailField(max_length=254, blank=True)
    repo_name = models.CharField(max_length=300, blank=True)
    branch_name = models.CharField(max_length=300, blank=True)
    is_primary_branch = models.BooleanField(null=True)
    commit_source = models.CharField(max_length=10, blank=True)
    total_lines_added = models.IntegerField(default=0)
    total_lines_deleted = models.IntegerField(default=0)
    tab_lines_added = models.IntegerField(default=0)
    tab_lines_deleted = models.IntegerField(default=0)
    composer_lines_added = models.IntegerField(default=0)
    composer_lines_deleted = models.IntegerField(default=0)
    non_ai_lines_added = models.IntegerField(null=True, blank=True)
    non_ai_lines_deleted = models.IntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    commit_ts = models.DateTimeField(null=True, blank=True)
    ingested_at = models.DateTimeField()
    day = models.DateField(help_text="UTC day of commit_ts (or ingestion when unknown)")

    class Meta:
        # `day` is derived from commit_ts (or the ingestion time), both part of what Cursor
        # sends for this (hash, ingested_at), so it is stable across re-fetches.
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "commit_hash", "ingested_at"], name="uniq_ai_commit_day"
            )
        ]


class AiChange(OrgOwned):
    """An accepted AI change (TAB or COMPOSER) from AI Code Tracking (Enterprise)."""

    change_id = models.CharField(max_length=64)
    organization = _fact_organization()
    member = models.ForeignKey(
        CursorMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    email = models.EmailField(max_length=254, blank=True)
    source = models.CharField(max_length=10, blank=True)
    model = models.CharField(max_length=100, blank=True)
    total_lines_added = models.IntegerField(default=0)
    total_lines_deleted = models.IntegerField(default=0)
    created_at = models.DateTimeField()
    day = models.DateField()
    metadata = models.JSONField(default=list, blank=True)

    class Meta:
        # `day` is the UTC day of created_at, which Cursor never revises for a change id.
        constraints = [
            models.UniqueConstraint(fields=["organization", "day", "change_id"], name="uniq_ai_change_day")
        ]
