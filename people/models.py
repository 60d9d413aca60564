"""The organization's directory of humans, independent of any AI tool.

A Person is one human in one organization; each tool's identities (a Cursor member, later a
Copilot seat or a Claude Code actor) point at a Person. Emails are aliases, stored
lowercase and unique per organization, so "Dana@Acme.com" and "dana@acme.com" are one
person. Every row has `organization` and every query filters on it.
"""

from django.db import models


class Person(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    primary_email = models.EmailField(max_length=254, help_text="Lowercase; also one of the aliases")
    github_login = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "primary_email"])]
        ordering = ["primary_email"]

    def __str__(self):
        return self.name or self.primary_email

    @property
    def display_name(self):
        return self.name or self.primary_email


class PersonEmail(models.Model):
    """One email address (alias) of a person, lowercase."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(max_length=254)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="uniq_person_email"),
        ]

    def __str__(self):
        return self.email
