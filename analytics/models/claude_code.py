"""Synced Claude Code data in Anthropic's own vocabulary (reference: docs/claude-code-api.md).

Two sources feed the same tables (`source`): a Claude Console organization's Claude Code usage
report (§3) and Claude Enterprise's analytics (§5). Invariants:
- every row has an `organization` FK and every query filters on it;
- unique constraints make re-syncs idempotent; a day is stored whole, replacing what was there,
  so a revised day (Anthropic revises recent days) is picked up and never doubled;
- an actor is a user (`user:<email>`, lowercase) or an API key (`api:<key name>`); API-key actors
  never get a `person` (they are automation, not people);
- `is_remote` keeps local and remote sessions of one actor and day apart, as the report does.
"""

from django.db import models
from django.db.models import Q

from .base import CENTS, OrgOwned


class ClaudeCodeSource(models.TextChoices):
    CONSOLE = "console", "Claude Console"
    ENTERPRISE = "enterprise", "Claude Enterprise"


class ClaudeCodeActor(models.TextChoices):
    USER = "user_actor", "User"
    API_KEY = "api_actor", "API key"


class ClaudeCodeUser(OrgOwned):
    """A member of the Anthropic organization as the Admin users list last showed it (§4.1)."""

    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_id = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=40, blank=True)
    added_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="uniq_claude_code_user_email")
        ]
        ordering = ["email"]

    def __str__(self):
        return self.email


class ClaudeCodeActorDay(OrgOwned):
    """One actor's Claude Code activity on one UTC day (per `is_remote` and terminal)."""

    source = models.CharField(max_length=12, choices=ClaudeCodeSource.choices)
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    day = models.DateField()
    actor_type = models.CharField(max_length=12, choices=ClaudeCodeActor.choices)
    actor_key = models.CharField(max_length=300, help_text="user:<email> or api:<key name>")
    email = models.EmailField(max_length=254, blank=True)
    api_key_name = models.CharField(max_length=200, blank=True)
    is_remote = models.BooleanField(default=False)
    terminal_type = models.CharField(max_length=100, blank=True)
    customer_type = models.CharField(max_length=20, blank=True, help_text="api | subscription")
    subscription_type = models.CharField(max_length=20, blank=True, help_text="enterprise | team | empty")
    sessions = models.IntegerField(null=True, help_text="num_sessions; null where not reported")
    lines_added = models.IntegerField(default=0)
    lines_removed = models.IntegerField(default=0)
    commits = models.IntegerField(default=0, help_text="commits_by_claude_code")
    pull_requests = models.IntegerField(default=0, help_text="pull_requests_by_claude_code")
    # {"edit_tool": {"accepted": 25, "rejected": 3}, …}: an open map, new tools kept as they come.
    tool_actions = models.JSONField(default=dict, blank=True)
    actions_accepted = models.IntegerField(default=0, help_text="Sum of tool_actions' accepted")
    actions_rejected = models.IntegerField(default=0, help_text="Sum of tool_actions' rejected")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "actor_key", "is_remote", "terminal_type"],
                name="uniq_claude_code_actor_day",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "day"]),
            # The roster gap's anti-join: is a roster email in the usage at all?
            models.Index(fields=["organization", "actor_type", "email"], name="claude_actor_day_email"),
            # The Tools page's API-key names: the few rows of API-key actors, by day.
            models.Index(
                fields=["organization", "day"],
                condition=Q(actor_type="api_actor"),
                name="claude_actor_day_api_keys",
            ),
        ]

    @property
    def actor_label(self) -> str:
        return f"API key: {self.api_key_name}" if self.actor_type == ClaudeCodeActor.API_KEY else self.email


class ClaudeCodeModelDay(OrgOwned):
    """One actor's tokens and cost for one model on one UTC day."""

    source = models.CharField(max_length=12, choices=ClaudeCodeSource.choices)
    person = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    day = models.DateField()
    actor_type = models.CharField(max_length=12, choices=ClaudeCodeActor.choices)
    actor_key = models.CharField(max_length=300)
    is_remote = models.BooleanField(default=False)
    terminal_type = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=200)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cache_read_tokens = models.BigIntegerField(default=0)
    cache_creation_tokens = models.BigIntegerField(default=0)
    requests = models.IntegerField(null=True, help_text="Enterprise only")
    cost_cents = models.DecimalField(**CENTS)
    cost_is_estimate = models.BooleanField(
        default=True, help_text="Console: estimated_cost. Enterprise: until the 30-day revision window ends"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "actor_key", "is_remote", "terminal_type", "model"],
                name="uniq_claude_code_model_day",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "day"]),
            models.Index(fields=["organization", "actor_type", "actor_key"], name="claude_model_day_actor"),
            models.Index(
                fields=["organization", "day"],
                condition=Q(actor_type="api_actor"),
                name="claude_model_day_api_keys",
            ),
        ]


class ClaudeCodeDayTotals(OrgOwned):
    """The organization's Claude Code rows of one day summed, people and API keys alike: what
    the Tools page's Claude Code figures and acceptance read, a row per day rather than per
    actor and day. `actor_rows` / `cost_rows`: how many activity / cost rows the day has (a
    range without either has no Claude Code data). Rebuilt with the day's facts
    (analytics.services.tool_totals)."""

    day = models.DateField()
    actor_rows = models.IntegerField(default=0)
    sessions = models.BigIntegerField(default=0, help_text="num_sessions, unreported ones as 0")
    remote_sessions = models.BigIntegerField(default=0)
    commits = models.BigIntegerField(default=0)
    pull_requests = models.BigIntegerField(default=0)
    actions_accepted = models.BigIntegerField(default=0)
    actions_rejected = models.BigIntegerField(default=0)
    lines_added = models.BigIntegerField(default=0)
    lines_removed = models.BigIntegerField(default=0)
    cost_rows = models.IntegerField(default=0)
    api_key_cents = models.DecimalField(**CENTS, help_text="The cost of API-key actors (automation)")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="uniq_claude_code_day_totals")
        ]


class ClaudeCodeFetchedDay(OrgOwned):
    """When a stream's day was last fetched whole: a day fetched before it settled (Anthropic
    revises recent days) is fetched again by later syncs."""

    stream = models.CharField(max_length=20)  # "usage" (Console), "activity" / "costs" (Enterprise)
    day = models.DateField()
    fetched_at = models.DateTimeField()
    rows = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "stream", "day"], name="uniq_claude_code_fetched_day"
            )
        ]
