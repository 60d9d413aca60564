"""Who was active when, per month: the rollups the distinct-active figures read.

Distinct people over a window (WAU, MAU, "active users in the range", a team's active
people, people in two tools) cannot be summed from daily counts, and counting them from the
per-day facts reads every person-day of the window. These rows hold, per person and calendar
month, a bitmask of the days: bit d-1 is set when the person was active on day d of the
month (`active_mask`), or had any fact row that day (`fact_mask`). A window then reads one row
per person and month (about 30 times fewer rows than `ToolDay`): a person counts in [a, b]
when a month row of the window has a bit of the window's days set (`analytics.selectors.
activity_months`). Rebuilt from `ToolDay` for the months a refresh touched
(`analytics.services.activity_months`).
"""

from django.db import models
from django.db.models import Q

from .base import OrgOwned
from .tool_day import Tool


class ToolPersonMonth(OrgOwned):
    """One person's days of one tool in one calendar month (`month`: its first day)."""

    tool = models.CharField(max_length=20, choices=Tool.choices)
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    active_mask = models.IntegerField(default=0, help_text="Bit d-1: active on day d of the month")
    fact_mask = models.IntegerField(default=0, help_text="Bit d-1: a ToolDay row on day d")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "tool", "month", "person"], name="uniq_tool_person_month"
            )
        ]


class ToolTeamPersonMonth(OrgOwned):
    """The days of one month a person was active in one tool while in a team (its sub-teams
    included; the membership valid on each day); `team` NULL: active while in no team."""

    tool = models.CharField(max_length=20, choices=Tool.choices)
    team = models.ForeignKey("people.Team", null=True, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    active_mask = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "tool", "month", "team", "person"],
                condition=Q(team__isnull=False),
                name="uniq_tool_team_person_month",
            ),
            models.UniqueConstraint(
                fields=["organization", "tool", "month", "person"],
                condition=Q(team__isnull=True),
                name="uniq_tool_no_team_person_month",
            ),
        ]
