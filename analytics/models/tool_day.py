"""The tool-neutral facts every cross-tool page reads: one row per person, tool and UTC day.

Each tool's adapter maps its own vocabulary onto these neutral names (the mapping table is
`analytics.services.tool_days.CURSOR_TO_TOOL_DAY` and docs/architecture.md). A metric a tool
does not report is NULL, never 0, so a page can say "not reported" instead of "zero".
"""

from django.db import models
from django.db.models import Q

from .base import OrgOwned


class Tool(models.TextChoices):
    CURSOR = "cursor", "Cursor"
    COPILOT = "copilot", "GitHub Copilot"
    CLAUDE_CODE = "claude_code", "Claude Code"


class ToolCounters(OrgOwned):
    """The neutral metrics, shared by the per-person facts and their rollups."""

    tool = models.CharField(max_length=20, choices=Tool.choices)
    day = models.DateField()
    requests = models.IntegerField(null=True, help_text="AI requests a person made (chat, agent, edit…)")
    accepted_suggestions = models.IntegerField(null=True, help_text="Suggestions accepted (tab and edits)")
    suggested_lines = models.IntegerField(null=True, help_text="Lines the tool proposed or added")
    accepted_lines = models.IntegerField(null=True, help_text="Lines accepted from AI suggestions")
    billed_requests = models.IntegerField(null=True, help_text="Requests the tool bills or meters")
    request_units = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    input_tokens = models.BigIntegerField(null=True)
    output_tokens = models.BigIntegerField(null=True)
    cache_read_tokens = models.BigIntegerField(null=True)
    cache_write_tokens = models.BigIntegerField(null=True)
    cost_cents = models.DecimalField(max_digits=16, decimal_places=6, null=True)
    cost_is_estimate = models.BooleanField(default=False)

    class Meta:
        abstract = True


class ToolDay(ToolCounters):
    """One person's use of one tool on one UTC day."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "tool", "person", "day"], name="uniq_tool_day_person"
            )
        ]
        indexes = [models.Index(fields=["organization", "tool", "day"])]


class ToolOrgDay(ToolCounters):
    """ToolDay summed per organization, tool and day: what an organization-wide chart reads.

    Built by the same statement as the per-team rollup `ToolTeamDay` (grouped by team there).
    """

    active_people = models.IntegerField(default=0)
    people = models.IntegerField(default=0, help_text="People with a fact row that day")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "tool", "day"], name="uniq_tool_org_day")
        ]


class ToolTeamDay(ToolCounters):
    """ToolDay summed per team (its sub-teams included), tool and day, counting each person in
    the teams whose membership was valid on that day; `team` NULL is "no team" that day.

    A person in two sub-teams of one team counts once for that team. Rebuilt after each sync
    and whenever teams or memberships change (`refresh_team_days`).
    """

    team = models.ForeignKey("people.Team", null=True, on_delete=models.CASCADE, related_name="+")
    active_people = models.IntegerField(default=0)
    people = models.IntegerField(default=0, help_text="People with a fact row that day")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "tool", "team", "day"],
                condition=Q(team__isnull=False),
                name="uniq_tool_team_day",
            ),
            models.UniqueConstraint(
                fields=["organization", "tool", "day"],
                condition=Q(team__isnull=True),
                name="uniq_tool_no_team_day",
            ),
        ]
        indexes = [models.Index(fields=["organization", "tool", "day"], name="tool_team_day_org_day")]
