"""Directory writes that change who is in which team, followed by the rebuild of the team
rollups they invalidate (people/ may not import analytics, so the pair lives here).

Pages, the API and the `import_teams` command call these rather than `people.teams` /
`people.imports` directly when memberships or the tree change.
"""

from datetime import date

from django.db import transaction

from people import imports

from .tool_days import refresh_team_days


@transaction.atomic
def apply_team_import(plan: imports.ImportPlan, *, today: date, actor=None) -> dict:
    """Apply a checked CSV import and rebuild the team rollups, all or nothing."""
    counts = imports.apply(plan, today=today, actor=actor)
    refresh_team_days(plan.organization_id)
    return counts


@transaction.atomic
def after_directory_change(organization_id: int) -> None:
    """Rebuild the team rollups after teams, the tree or memberships changed."""
    refresh_team_days(organization_id)
