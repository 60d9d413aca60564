"""The demo organization's teams: two levels, so the team pages are full on first run.

Created once (a second run leaves teams an admin may have edited alone): Engineering
(Platform, Product apps, Data) and Go-to-market (Sales, Support). The synced people are
spread over the five sub-teams in email order, about one in ten left in no team so "No
team" shows too; memberships start on the first day of usage, so all history is
attributed. The demo member leads Platform, to show the team lead's view.
"""

from django.db.models import Min

from analytics.models import ToolDay
from analytics.services.teams import after_directory_change
from people.models import Person, Team, TeamMembership
from people.teams import create_team

TREE = {"Engineering": ["Platform", "Product apps", "Data"], "Go-to-market": ["Sales", "Support"]}
COST_CENTRES = {"Engineering": "CC-100", "Go-to-market": "CC-200", "Data": "CC-150"}


def ensure_demo_teams(org, *, owner, lead) -> int:
    """Create the demo's teams when the organization has none; returns the teams created."""
    # Teams synced from Cursor's billing groups do not count: the demo team tree is still made.
    if Team.objects.filter(organization=org).exclude(source=Team.Source.CURSOR).exists():
        return 0
    first_day = ToolDay.objects.filter(organization=org).aggregate(d=Min("day"))["d"]
    if first_day is None:
        return 0
    leaves = []
    for parent_name, children in TREE.items():
        parent = create_team(
            org.pk, name=parent_name, cost_centre=COST_CENTRES.get(parent_name, ""), actor=owner
        )
        for name in children:
            leaves.append(
                create_team(
                    org.pk,
                    name=name,
                    parent=parent,
                    cost_centre=COST_CENTRES.get(name, ""),
                    lead=lead if name == "Platform" else None,
                    actor=owner,
                )
            )
    people = list(Person.objects.filter(organization=org).order_by("primary_email"))
    TeamMembership.objects.bulk_create(
        TeamMembership(organization=org, person=p, team=leaves[i % len(leaves)], start=first_day)
        for i, p in enumerate(people)
        if i % 10 != 9 and p.primary_email != getattr(lead, "email", None)
    )
    after_directory_change(org.pk)
    return len(TREE) + len(leaves)
