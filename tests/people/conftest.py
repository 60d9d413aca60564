"""A seeded organization with a two-level team tree and the five personas of the privacy rule."""

from datetime import date

import pytest

from koalr.accounts.models import Membership
from people.models import Person
from people.teams import add_membership, create_team
from tests.factories import MembershipFactory
from tests.fixtures.analytics_data import seed_usage

END = date(2026, 3, 31)  # a fixed day: nothing here depends on today's date
START = date(2026, 3, 2)  # 30 days of usage


def person(org, email):
    return Person.objects.get(organization=org, emails__email=email)


@pytest.fixture
def lead_user(org):
    return MembershipFactory(organization=org, role=Membership.Role.MEMBER, user__email="lead@acme.test").user


@pytest.fixture
def tree(org, other_org, lead_user):
    """Acme: 8 Cursor people dev0..dev7 (dev7 idle); Engineering ⊃ {Platform, Apps}; Sales.

    Platform (led by lead_user): dev0, dev1. Apps: dev2, dev3, and dev1 too (in two
    sub-teams). Sales: dev4. dev5..dev7: no team. Globex seeded too, so a leak shows.
    """
    seed_usage(org, members=8, days=30, end=END, seed=21)
    seed_usage(other_org, members=3, days=30, end=END, seed=22)
    eng = create_team(org.pk, name="Engineering", cost_centre="CC-100")
    platform = create_team(org.pk, name="Platform", parent=eng, lead=lead_user)
    apps = create_team(org.pk, name="Apps", parent=eng, cost_centre="CC-110")
    sales = create_team(org.pk, name="Sales", cost_centre="CC-200")
    for team, emails in (
        (platform, ["dev0", "dev1"]),
        (apps, ["dev2", "dev3", "dev1"]),
        (sales, ["dev4"]),
    ):
        for e in emails:
            add_membership(person(org, f"{e}@acme.test"), team, start=date(2026, 1, 1))
    from analytics.services.tool_days import refresh_team_days

    refresh_team_days(org.pk)
    return {"eng": eng, "platform": platform, "apps": apps, "sales": sales}
