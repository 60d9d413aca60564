"""What every synced-data model shares: the organization it belongs to, exact cents."""

from django.db import models

CENTS = {"max_digits": 16, "decimal_places": 6, "default": 0}


class OrgOwned(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True
