"""The rollups behind the pages' cold reads give exactly what counting the facts gives: the
per-month activity bitmasks (distinct active people over any window, per organization and per
team) and the member rollup's running totals (a range's per-member sums)."""

import random
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Count, Max, Q, Sum

from analytics.models import (
    CursorMember,
    DailyUsage,
    MemberDailyRollup,
    MemberRunningTotal,
    Tool,
    ToolDay,
    ToolPersonMonth,
)
from analytics.selectors.activity import distinct_active, distinct_active_by_tool
from analytics.selectors.activity_months import Windows
from analytics.selectors.members import member_usage
from analytics.selectors.teams import _distinct_active as team_distinct_active
from analytics.services import refresh_after_sync
from analytics.services.tool_days import refresh_team_days
from people.models import Person, TeamClosure, TeamMembership
from people.teams import add_membership, create_team
from tests.fixtures.analytics_data import DailyUsageFactory, seed_usage

pytestmark = pytest.mark.django_db

END = date(2026, 3, 31)
START = END - timedelta(days=89)  # three calendar months and a bit: windows cross months


def windows(rng, n=25):
    """Random windows inside (and a little around) the data, plus month-edge cases."""
    out = [
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 1, 31), date(2026, 3, 1)),
        (date(2026, 3, 31), date(2026, 3, 31)),
        (START - timedelta(days=40), START),
    ]
    for _ in range(n):
        a = START - timedelta(days=10) + timedelta(days=rng.randrange(100))
        out.append((a, a + timedelta(days=rng.randrange(70))))
    return out


def naive_distinct(org, a, b, tool=Tool.CURSOR) -> int:
    return (
        ToolDay.objects.filter(organization=org, tool=tool, active=True, day__range=(a, b))
        .values("person_id")
        .distinct()
        .count()
    )


def naive_team_distinct(org, a, b, tool=Tool.CURSOR) -> dict:
    """Per team (sub-teams included; None: no team), people active in a..b while in it, from
    the facts joined to the membership valid on each day (the rule, written plainly)."""
    out: dict = {}
    closure = {}
    for ancestor, descendant in TeamClosure.objects.filter(organization=org).values_list(
        "ancestor_id", "descendant_id"
    ):
        closure.setdefault(descendant, set()).add(ancestor)
    memberships = list(TeamMembership.objects.filter(organization=org))
    for person_id, day in ToolDay.objects.filter(
        organization=org, tool=tool, active=True, day__range=(a, b)
    ).values_list("person_id", "day"):
        valid = [
            m
            for m in memberships
            if m.person_id == person_id and m.start <= day and (m.end is None or m.end >= day)
        ]
        teams = {t for m in valid for t in closure.get(m.team_id, ())} or {None}
        for team in teams:
            out.setdefault(team, set()).add(person_id)
    return {k: len(v) for k, v in out.items()}


@pytest.fixture
def data(org, other_org):
    seed_usage(org, members=9, days=90, end=END, seed=3)
    seed_usage(other_org, members=4, days=90, end=END, seed=4)
    eng = create_team(org.pk, name="Engineering")
    platform = create_team(org.pk, name="Platform", parent=eng)
    apps = create_team(org.pk, name="Apps", parent=eng)
    people = list(Person.objects.filter(organization=org).order_by("pk"))
    add_membership(people[0], platform, start=START)
    add_membership(people[0], apps, start=START)  # in two sub-teams: once for Engineering
    add_membership(people[1], platform, start=START, end=date(2026, 2, 10))
    add_membership(people[1], apps, start=date(2026, 2, 20))  # moved, with a gap in no team
    add_membership(people[2], apps, start=date(2026, 3, 5))
    add_membership(people[3], platform, start=START)
    refresh_team_days(org.pk)
    return org


def test_distinct_active_matches_counting_the_facts(data):
    rng = random.Random(7)
    named = {f"w{i}": w for i, w in enumerate(windows(rng))}
    counts = distinct_active(data, named, tool=Tool.CURSOR)
    assert counts == {name: naive_distinct(data, a, b) for name, (a, b) in named.items()}
    assert any(counts.values())  # the data has activity: the comparison is not of zeros


def test_distinct_active_by_tool_and_other_organizations(data, other_org):
    a, b = date(2026, 2, 3), date(2026, 3, 17)
    assert distinct_active_by_tool(data, a, b, [Tool.CURSOR]) == {"cursor": naive_distinct(data, a, b)}
    assert distinct_active_by_tool(other_org, a, b, [Tool.CURSOR]) == {
        "cursor": naive_distinct(other_org, a, b)
    }


def test_team_distinct_active_matches_the_membership_valid_each_day(data):
    rng = random.Random(11)
    for a, b in windows(rng, n=10):
        prev_start = a - (b - a) - timedelta(days=1)
        got = team_distinct_active(data.pk, a, b, prev_start, Tool.CURSOR)
        cur = naive_team_distinct(data, a, b)
        prev = naive_team_distinct(data, prev_start, a - timedelta(days=1))
        keys = set(cur) | set(prev) | {None}
        expected = {k: (cur.get(k, 0), prev.get(k, 0)) for k in keys}
        assert {k: tuple(v) for k, v in got.items() if any(v)} == {
            k: v for k, v in expected.items() if any(v)
        }


def test_a_refresh_rebuilds_the_months_it_touched(data):
    member = CursorMember.objects.filter(organization=data).order_by("pk").first()
    person = Person.objects.get(pk=member.person_id)
    day = date(2026, 2, 14)
    DailyUsageFactory(organization=data, member=member, day=day - timedelta(days=400), is_active=True)
    refresh_after_sync(data.pk, Tool.CURSOR, day - timedelta(days=400), day - timedelta(days=400))
    old = (day - timedelta(days=400)).replace(day=1)
    row = ToolPersonMonth.objects.get(organization=data, tool=Tool.CURSOR, person=person, month=old)
    assert row.active_mask == 1 << ((day - timedelta(days=400)).day - 1)
    assert distinct_active(data, {"r": (old, old + timedelta(days=27))}, tool=Tool.CURSOR) == {"r": 1}


def test_window_masks_cover_exactly_the_days_asked():
    w = Windows()
    sql = w.test(date(2026, 1, 30), date(2026, 3, 2))
    assert "t.month >" in sql  # February is whole
    masks = sorted(v for v in w.params.values() if isinstance(v, int))
    assert masks == sorted([(1 << 29) | (1 << 30), 0b11])


def naive_member_sums(org, start, end) -> dict:
    rows = (
        MemberDailyRollup.objects.filter(organization=org, day__range=(start, end))
        .values("member_id")
        .annotate(
            active_days=Count("id", filter=Q(is_active=True)),
            last=Max("day", filter=Q(is_active=True)),
            agent=Sum("agent_requests"),
            tabs=Sum("tabs_accepted"),
            spend=Sum("spend_cents"),
            events=Sum("usage_events"),
        )
    )
    return {r["member_id"]: r for r in rows}


@pytest.mark.parametrize("refresh_from", [None, date(2026, 3, 1), date(2026, 2, 10)])
def test_member_table_sums_match_the_daily_rollup(data, refresh_from):
    if refresh_from:  # an incremental sync of a few days (later days keep their rows)
        DailyUsage.objects.filter(organization=data, day=refresh_from).update(
            agent_requests=77, is_active=True
        )
        refresh_after_sync(data.pk, Tool.CURSOR, refresh_from, refresh_from + timedelta(days=2))
    rng = random.Random(5)
    for start, end in windows(rng, n=8):
        if start > end:
            continue
        expected = naive_member_sums(data, start, end)
        for row in member_usage(data, start, end):
            e = expected.get(row["member_id"])
            if e is None:
                assert (row["active_days"], row["agent_requests"], row["usage_events"]) == (0, 0, 0)
                continue
            assert row["active_days"] == e["active_days"]
            assert row["agent_requests"] == e["agent"]
            assert row["tabs_accepted"] == e["tabs"]
            assert row["usage_events"] == e["events"]
            assert row["spend_cents"] == e["spend"]


def test_running_totals_are_per_organization(data, other_org):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM analytics_memberrunningtotal t JOIN analytics_cursormember m ON m.id = t.member_id"
            " WHERE m.organization_id <> t.organization_id"
        )
        assert cursor.fetchone()[0] == 0
    top = MemberRunningTotal.objects.filter(organization=other_org).order_by("-day", "member_id").first()
    total = MemberDailyRollup.objects.filter(organization=other_org, member=top.member_id).aggregate(
        s=Sum("agent_requests")
    )["s"]
    assert top.running_agent_requests == total > 0
