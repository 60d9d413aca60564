"""The organization's directory of humans, independent of any AI tool.

A Person is one human in one organization; each tool's identities (a Cursor member, later a
Copilot seat or a Claude Code actor) point at a Person. Emails are aliases, stored
lowercase and unique per organization, so "Dana@Acme.com" and "dana@acme.com" are one
person. Every row has `organization` and every query filters on it.

Teams form a tree of any depth (`parent`); `TeamClosure` holds every (ancestor, descendant)
pair, itself included, so "this team and its sub-teams" is one join. A `TeamMembership` is
dated (start, optional end, both inclusive UTC days) so a past period is attributed to the
team a person was in then.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Person(models.Model):
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    primary_email = models.EmailField(max_length=254, help_text="Lowercase; also one of the aliases")
    github_login = models.CharField(max_length=100, blank=True)
    left_on = models.DateField(null=True, blank=True, help_text="Set when the person left; empty: active")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "primary_email"])]
        ordering = ["primary_email"]

    def __str__(self):
        return self.name or self.primary_email

    @property
    def display_name(self):
        return self.name or self.primary_email

    @property
    def is_active(self):
        return self.left_on is None


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


class Team(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", "Koalr"
        CURSOR = "cursor", "From Cursor"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    cost_centre = models.CharField(max_length=80, blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A Koalr user of the organization: sees per-person figures of this team",
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    external_id = models.CharField(
        max_length=80, blank=True, help_text="The source's id of a synced team (a Cursor billing group id)"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "slug"], name="uniq_team_slug")]
        ordering = ["name"]

    def __str__(self):
        return self.name


class TeamClosure(models.Model):
    """Every (ancestor, descendant) pair of the team tree, a team being its own ancestor at
    depth 0. Rebuilt from `Team.parent` whenever the tree changes (teams are few)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    ancestor = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    descendant = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    depth = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ancestor", "descendant"], name="uniq_team_closure"),
        ]
        indexes = [models.Index(fields=["organization", "descendant"])]


class TeamMembership(models.Model):
    """A person in a team from `start` to `end` (inclusive UTC days; no end: still in it)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="team_memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="team_membership_end_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "person"]),
            models.Index(fields=["organization", "team"]),
        ]
        ordering = ["start", "pk"]

    def __str__(self):
        return f"{self.person} in {self.team} from {self.start}"

    def valid_on(self, day) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class DirectoryAuditEntry(models.Model):
    """Who changed the directory, when, and how (merges, imports, team edits, re-runs)."""

    class Action(models.TextChoices):
        TEAM_CREATED = "team_created", "Team created"
        TEAM_CHANGED = "team_changed", "Team changed"
        TEAM_DELETED = "team_deleted", "Team deleted"
        MEMBERSHIP_CHANGED = "membership_changed", "Team membership changed"
        PEOPLE_MERGED = "people_merged", "People merged"
        PERSON_CHANGED = "person_changed", "Person changed"
        TEAMS_IMPORTED = "teams_imported", "Teams imported from CSV"
        CHARGEBACK_RERUN = "chargeback_rerun", "Chargeback re-run"

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=30, choices=Action.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "created_at"])]

    def __str__(self):
        return f"{self.get_action_display()}: {self.detail}"
