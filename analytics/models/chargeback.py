"""Chargeback snapshots: a closed period's spend and seats as allocated to teams, frozen.

Once a billing cycle or calendar month has closed, its allocation is stored here and read
back as is, so a later team change never rewrites it; an admin may re-run it explicitly
(audited). Team name, slug and cost centre are copied so the line survives a renamed or
deleted team. Money is exact: cents with six decimals, like the facts it sums.
"""

from django.db import models

from .base import OrgOwned


class ChargebackLine(OrgOwned):
    class Period(models.TextChoices):
        CYCLE = "cycle", "Billing cycle"
        MONTH = "month", "Calendar month"

    period = models.CharField(max_length=10, choices=Period.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    team = models.ForeignKey(
        "people.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team_slug = models.CharField(max_length=80, help_text="Empty: unassigned")
    team_name = models.CharField(max_length=120)
    cost_centre = models.CharField(max_length=80, blank=True)
    spend_cents = models.DecimalField(max_digits=18, decimal_places=6)
    seats = models.DecimalField(max_digits=12, decimal_places=4)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "period", "period_start", "team_slug"], name="uniq_chargeback_line"
            )
        ]
        indexes = [models.Index(fields=["organization", "period", "period_start"])]
        ordering = ["team_slug"]
