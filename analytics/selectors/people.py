"""The directory as the People page and `/api/v1/orgs/{org}/people` show it: each person with
their tools, current teams and last activity, and the identities that need an admin.

Every query filters by organization. A page of people costs a fixed number of queries
(people, their emails, teams, tools, last activity) whatever the directory's size.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, Max, OuterRef, Q

from people.models import Person, PersonEmail, Team, TeamMembership

from ..models import ClaudeCodeUser, CopilotSeat, CursorMember, Tool, ToolDay

TOOL_LABELS = dict(Tool.choices)


def people_queryset(org, *, search: str = "", view: str = "all"):
    """People of `org`, optionally narrowed: `search` (name or any alias, case-insensitive);
    `view` "unmatched" (in no team today), "logins" (known only by a GitHub login from Copilot,
    no email yet: an admin merges each into the right person), "left", "active"."""
    qs = Person.objects.filter(organization=org)
    search = (search or "").strip()
    if search:
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(
                pk__in=PersonEmail.objects.filter(organization=org, email__icontains=search.lower()).values(
                    "person_id"
                )
            )
        )
    if view == "unmatched":
        qs = qs.filter(left_on__isnull=True).exclude(
            Exists(TeamMembership.objects.filter(organization=org, person=OuterRef("pk"), end__isnull=True))
        )
    elif view == "logins":
        qs = qs.filter(primary_email="").exclude(github_login="")
    elif view == "left":
        qs = qs.filter(left_on__isnull=False)
    elif view == "active":
        qs = qs.filter(left_on__isnull=True)
    return qs.order_by("primary_email", "pk")


def describe_people(org, people: list[Person], *, today: date) -> list[dict]:
    """Rows for `people` (one page): aliases, tools, current teams, last active day."""
    ids = [p.pk for p in people]
    emails: dict[int, list[str]] = {}
    for person_id, email in PersonEmail.objects.filter(organization=org, person_id__in=ids).values_list(
        "person_id", "email"
    ):
        emails.setdefault(person_id, []).append(email)
    teams: dict[int, list[Team]] = {}
    memberships = (
        TeamMembership.objects.filter(organization=org, person_id__in=ids, start__lte=today)
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .select_related("team")
        .order_by("team__name")
    )
    for m in memberships:
        teams.setdefault(m.person_id, []).append(m.team)
    tools: dict[int, set[str]] = {}
    # A tool identity counts even before any activity (a seat never used is still a seat).
    for model, tool in (
        (CursorMember, Tool.CURSOR),
        (CopilotSeat, Tool.COPILOT),
        (ClaudeCodeUser, Tool.CLAUDE_CODE),
    ):
        for person_id in model.objects.filter(organization=org, person_id__in=ids).values_list(
            "person_id", flat=True
        ):
            tools.setdefault(person_id, set()).add(TOOL_LABELS[tool])
    last = dict(
        ToolDay.objects.filter(organization=org, person_id__in=ids, active=True)
        .values("person_id")
        .annotate(last=Max("day"))
        .values_list("person_id", "last")
    )
    for person_id, tool in (
        ToolDay.objects.filter(organization=org, person_id__in=ids)
        .values_list("person_id", "tool")
        .distinct()
    ):
        tools.setdefault(person_id, set()).add(TOOL_LABELS.get(tool, tool))
    return [
        {
            "person": p,
            "emails": sorted(emails.get(p.pk, [])),
            "teams": teams.get(p.pk, []),
            "tools": sorted(tools.get(p.pk, set())),
            "last_active": last.get(p.pk),
        }
        for p in people
    ]


def directory_counts(org) -> dict:
    people = Person.objects.filter(organization=org)
    return {
        **people.aggregate(total=Count("pk"), left=Count("pk", filter=Q(left_on__isnull=False))),
        "unmatched": people_queryset(org, view="unmatched").count(),
        "logins": people_queryset(org, view="logins").count(),
        "unlinked_identities": CursorMember.objects.filter(organization=org, person__isnull=True).count(),
    }


def team_tree(org, *, today: date) -> list[dict]:
    """Every team of `org` in tree order (parents first, children by name), with its depth,
    direct members today and members including sub-teams today."""
    teams = list(Team.objects.filter(organization=org).select_related("lead", "parent"))
    children: dict[int | None, list[Team]] = {}
    for team in teams:
        children.setdefault(team.parent_id, []).append(team)
    current = TeamMembership.objects.filter(organization=org, start__lte=today).filter(
        Q(end__isnull=True) | Q(end__gte=today)
    )
    direct: dict[int, set[int]] = {}
    for team_id, person_id in current.values_list("team_id", "person_id"):
        direct.setdefault(team_id, set()).add(person_id)
    out: list[dict] = []

    def walk(parent_id, depth, ancestors):
        for team in sorted(children.get(parent_id, []), key=lambda t: t.name.lower()):
            if team.pk in ancestors:  # never loops, even on a corrupted tree
                continue
            row = {"team": team, "depth": depth, "direct": len(direct.get(team.pk, ())), "people_ids": set()}
            out.append(row)
            before = len(out)
            walk(team.pk, depth + 1, ancestors | {team.pk})
            row["people_ids"] = set(direct.get(team.pk, ())).union(*(r["people_ids"] for r in out[before:]))
            row["members"] = len(row["people_ids"])

    walk(None, 0, frozenset())
    return out
