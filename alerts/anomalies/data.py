"""What the anomaly rules read: thresholds from settings, and the evaluated days' figures
with their 14-day baselines, loaded in a constant number of queries. Every query filters by
organization."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Min, Sum

from analytics.models import Tool, ToolDay, ToolOrgDay, ToolTeamDay, UsageEvent
from people.models import Person, Team, TeamClosure, TeamMembership

BASELINE_DAYS = 14


@dataclass(frozen=True)
class Thresholds:
    z: float
    min_ratio: float
    spend_floor_cents: int
    requests_floor: int
    share_percent: float
    share_min_people: int
    team_share_percent: float
    org_jump_ratio: float
    org_jump_floor_cents: int
    expensive_models: tuple[str, ...]

    @classmethod
    def from_settings(cls) -> "Thresholds":
        return cls(
            z=settings.ALERTS_Z_THRESHOLD,
            min_ratio=settings.ALERTS_MIN_RATIO,
            spend_floor_cents=settings.ALERTS_SPEND_FLOOR_CENTS,
            requests_floor=settings.ALERTS_REQUESTS_FLOOR,
            share_percent=settings.ALERTS_PERSON_SHARE_PERCENT,
            share_min_people=settings.ALERTS_SHARE_MIN_PEOPLE,
            team_share_percent=getattr(
                settings, "ALERTS_TEAM_SHARE_PERCENT", settings.ALERTS_PERSON_SHARE_PERCENT
            ),
            org_jump_ratio=settings.ALERTS_ORG_JUMP_RATIO,
            org_jump_floor_cents=settings.ALERTS_ORG_JUMP_FLOOR_CENTS,
            expensive_models=tuple(settings.ALERTS_EXPENSIVE_MODELS),
        )


class Data:
    """Everything the rules read for the evaluated days and their baselines (a constant
    number of queries: the facts, the rollups, and the team tree with its memberships)."""

    def __init__(self, org, days: list[date]):
        self.first, self.last = days[0] - timedelta(days=BASELINE_DAYS), days[-1]
        org_id = org.pk
        self.person_spend = defaultdict(dict)  # person → day → cents
        self.person_requests = defaultdict(dict)
        for row in ToolDay.objects.filter(
            organization_id=org_id, tool=Tool.CURSOR, day__range=(self.first, self.last)
        ).values("person_id", "day", "cost_cents", "requests"):
            self.person_spend[row["person_id"]][row["day"]] = float(row["cost_cents"] or 0)
            self.person_requests[row["person_id"]][row["day"]] = float(row["requests"] or 0)
        self.model_spend = defaultdict(dict)  # (person, model) → day → cents
        for row in (
            UsageEvent.objects.filter(
                organization_id=org_id, day__range=(self.first, self.last), member__person__isnull=False
            )
            .exclude(kind=UsageEvent.ERRORED_KIND)  # not charged: left out of every spend figure
            .values("member__person_id", "model", "day")
            .annotate(cents=Sum("charged_cents"), events=Count("id"))
        ):
            key = (row["member__person_id"], row["model"] or "unknown")
            self.model_spend[key][row["day"]] = float(row["cents"] or 0)
        self.org_spend = {
            row["day"]: float(row["cost_cents"] or 0)
            for row in ToolOrgDay.objects.filter(
                organization_id=org_id,
                tool=Tool.CURSOR,
                day__range=(self.first - timedelta(days=7), self.last),
            ).values("day", "cost_cents")
        }
        first_org_day = ToolOrgDay.objects.filter(organization_id=org_id, tool=Tool.CURSOR).aggregate(
            first=Min("day")
        )["first"]
        self.history_from = first_org_day
        used = {key for key, by_day in self.model_spend.items() if any(d in by_day for d in days)}
        self.first_use = {}
        if used:
            rows = (
                UsageEvent.objects.filter(
                    organization_id=org_id,
                    member__person_id__in={p for p, _ in used},
                    model__in={m for _, m in used},
                )
                .values("member__person_id", "model")
                .annotate(first=Min("day"))
            )
            self.first_use = {(r["member__person_id"], r["model"]): r["first"] for r in rows}
        self._load_teams(org_id, days)
        ids = set(self.person_spend) | {p for p, _ in self.model_spend}
        self.names = {p.pk: p.display_name for p in Person.objects.filter(organization_id=org_id, pk__in=ids)}

    def has_baseline(self, day: date) -> bool:
        """Stored history covers the 14 days before `day` (else there is no "usual")."""
        return self.history_from is not None and self.history_from <= day - timedelta(days=BASELINE_DAYS)

    def _load_teams(self, org_id: int, days: list[date]) -> None:
        """Each team's spend on the evaluated days (its rollup, sub-teams included) and the
        memberships valid on any of them, so a person counts for a team only on the days
        they were in it (or in one of its sub-teams)."""
        self.team_spend = defaultdict(dict)  # team → day → cents
        for row in ToolTeamDay.objects.filter(
            organization_id=org_id, tool=Tool.CURSOR, team__isnull=False, day__range=(days[0], days[-1])
        ).values("team_id", "day", "cost_cents"):
            self.team_spend[row["team_id"]][row["day"]] = float(row["cost_cents"] or 0)
        self.team_names = {}
        self.subteams = defaultdict(set)  # team → itself and its sub-teams
        self.team_memberships = []  # (team, person, start, end or None)
        if not self.team_spend:
            return
        self.team_names = dict(Team.objects.filter(organization_id=org_id).values_list("pk", "name"))
        for ancestor, descendant in TeamClosure.objects.filter(organization_id=org_id).values_list(
            "ancestor_id", "descendant_id"
        ):
            self.subteams[ancestor].add(descendant)
        self.team_memberships = list(
            TeamMembership.objects.filter(organization_id=org_id, start__lte=days[-1])
            .exclude(end__lt=days[0])
            .values_list("team_id", "person_id", "start", "end")
        )

    def team_people(self, team_id: int, day: date) -> set[int]:
        """The people in `team_id` or a sub-team of it on `day`."""
        teams = self.subteams.get(team_id, {team_id})
        return {
            person
            for team, person, start, end in self.team_memberships
            if team in teams and start <= day and (end is None or day <= end)
        }
