"""Cursor's daily rollups the dashboard and API read; refreshed by each sync for the days it
touched (analytics.services.rollups)."""

from django.db import models

from .base import CENTS, OrgOwned
from .cursor import CursorMember


class RollupCounters(OrgOwned):
    """Counters shared by the rollups: from daily usage and from usage events."""

    # from /teams/daily-usage-data
    agent_requests = models.IntegerField(default=0)
    chat_requests = models.IntegerField(default=0)
    composer_requests = models.IntegerField(default=0)
    cmdk_usages = models.IntegerField(default=0)
    tabs_shown = models.IntegerField(default=0)
    tabs_accepted = models.IntegerField(default=0)
    accepts = models.IntegerField(default=0)
    rejects = models.IntegerField(default=0)
    applies = models.IntegerField(default=0)
    total_lines_added = models.IntegerField(default=0)
    total_lines_deleted = models.IntegerField(default=0)
    accepted_lines_added = models.IntegerField(default=0)
    accepted_lines_deleted = models.IntegerField(default=0)
    # from usage events
    usage_events = models.IntegerField(default=0)
    request_cost_units = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    cache_write_tokens = models.BigIntegerField(default=0)
    spend_cents = models.DecimalField(**CENTS)  # sum of events' chargedCents

    class Meta:
        abstract = True


class OrgDailyRollup(RollupCounters):
    """Per organization per day."""

    day = models.DateField()
    active_users = models.IntegerField(default=0)
    seats = models.IntegerField(default=0, help_text="Roster members not removed, as of the sync")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "day"], name="uniq_org_daily_rollup")]


# The member table's counters, also kept as running totals per member (MemberRunningTotal).
RUNNING_COUNTERS = (
    "agent_requests", "chat_requests", "composer_requests", "cmdk_usages", "tabs_shown",
    "tabs_accepted", "accepts", "rejects", "total_lines_added", "accepted_lines_added",
    "usage_events", "spend_cents",
)  # fmt: skip


class MemberDailyRollup(RollupCounters):
    """Per organization per member per day. A range's per-member sums are read from
    MemberRunningTotal, this table's running totals carried forward per day."""

    member = models.ForeignKey(CursorMember, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    is_active = models.BooleanField(default=False)
    top_model = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "member", "day"], name="uniq_member_daily_rollup")
        ]
        indexes = [models.Index(fields=["organization", "day"])]


class MemberRunningTotal(OrgOwned):
    """MemberDailyRollup's running totals carried forward: one row per member per day on
    which the organization has any member rollup row, from the member's first row on, with
    the member's totals (RUNNING_COUNTERS, active days, `last_active_day`) over every rollup
    row up to that day; `last_row_day` is the day of the latest of those rows.

    So the member table's two ends are each one day's rows, read by (organization, day) and
    stored together (a refresh writes them ordered by day): a range's sums are the rows of
    the latest day on or before its end minus those of the latest day before its start,
    joined by member. Rebuilt from a refresh's first day on by `refresh_rollups`.
    """

    member = models.ForeignKey(CursorMember, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_row_day = models.DateField()
    last_active_day = models.DateField(null=True)
    running_active_days = models.IntegerField(default=0)
    running_agent_requests = models.BigIntegerField(default=0)
    running_chat_requests = models.BigIntegerField(default=0)
    running_composer_requests = models.BigIntegerField(default=0)
    running_cmdk_usages = models.BigIntegerField(default=0)
    running_tabs_shown = models.BigIntegerField(default=0)
    running_tabs_accepted = models.BigIntegerField(default=0)
    running_accepts = models.BigIntegerField(default=0)
    running_rejects = models.BigIntegerField(default=0)
    running_total_lines_added = models.BigIntegerField(default=0)
    running_accepted_lines_added = models.BigIntegerField(default=0)
    running_usage_events = models.BigIntegerField(default=0)
    running_spend_cents = models.DecimalField(max_digits=20, decimal_places=6, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "member"], name="uniq_member_running_total"
            )
        ]


class ModelDailyRollup(OrgOwned):
    """Per organization per day per model per billing kind, from usage events."""

    day = models.DateField()
    model = models.CharField(max_length=100)
    kind = models.CharField(max_length=60, blank=True)
    usage_events = models.IntegerField(default=0)
    users = models.IntegerField(default=0, help_text="Distinct members that day for this model and kind")
    request_cost_units = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    cache_write_tokens = models.BigIntegerField(default=0)
    spend_cents = models.DecimalField(**CENTS)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "model", "kind"], name="uniq_model_daily_rollup"
            )
        ]
