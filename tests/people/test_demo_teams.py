"""The demo's teams: two levels, people spread over them, the rollups built, created once."""

from datetime import date

import pytest

from analytics.models import ToolTeamDay
from devtools.demo_teams import ensure_demo_teams
from people.models import Team, TeamMembership
from tests.fixtures.analytics_data import seed_usage

pytestmark = pytest.mark.django_db


def test_demo_teams_fill_the_team_pages_once(org, owner, member_user):
    seed_usage(org, members=20, days=10, end=date(2026, 3, 31), seed=3)
    assert ensure_demo_teams(org, owner=owner, lead=member_user) == 7
    assert Team.objects.filter(organization=org, parent__isnull=True).count() == 2
    assert Team.objects.get(organization=org, slug="platform").lead == member_user
    placed = TeamMembership.objects.filter(organization=org).values("person").distinct().count()
    assert placed == 18  # every tenth person stays in no team
    assert ToolTeamDay.objects.filter(organization=org, team__slug="engineering").exists()
    assert ToolTeamDay.objects.filter(organization=org, team__isnull=True).exists()
    assert ensure_demo_teams(org, owner=owner, lead=member_user) == 0
