"""One team's reads for the team lens: its people, daily series, seats and headline, the
team choices, and the cached comparison keyed by a version of the directory and the rollups.

Every statement is scoped by organization; a team includes its sub-teams.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Q

from people import selectors as people_selectors
from people.models import Person, Team, TeamClosure, TeamMembership

from ..models import CursorMember, OrgDailyRollup, SpendSnapshot, Tool, ToolTeamDay
from .fields import days_in
from .headline import previous_period
from .teams import (
    _T,
    NO_TEAM,
    SUMMED,
    TeamRow,
    _distinct_active,
    _fetch,
    _no_team_seats,
    _period_sums,
    _ratio,
    min_group_size,
    team_comparison,
)

_UNKNOWN = object()  # "not looked up yet", as opposed to None ("no such team")


def team_person_ids(org, key: str, start: date, end: date) -> set[int] | None:
    """The people a team filter keeps: those in the team (or its sub-teams) at any time in
    start..end; for NO_TEAM, those with no team at any time in it. None: unknown key."""
    memberships = TeamMembership.objects.filter(organization=org, start__lte=end).filter(
        Q(end__isnull=True) | Q(end__gte=start)
    )
    if key == NO_TEAM:
        with_team = memberships.values("person_id")
        return set(
            Person.objects.filter(organization=org).exclude(pk__in=with_team).values_list("pk", flat=True)
        )
    # One query: the team's subtree by its slug, inside the memberships' query. Only an empty
    # answer asks whether the team exists at all (an unknown key is None, an empty team is {}).
    subtree = TeamClosure.objects.filter(
        organization=org, ancestor__organization=org, ancestor__slug=key
    ).values("descendant_id")
    people = set(memberships.filter(team_id__in=subtree).values_list("person_id", flat=True))
    if not people and not Team.objects.filter(organization=org, slug=key).exists():
        return None
    return people


def team_daily(org, key: str, start: date, end: date, *, tool: str = Tool.CURSOR) -> list[dict]:
    """One zero-filled row per day of the team's rollup (key: a slug or NO_TEAM)."""
    qs = ToolTeamDay.objects.filter(organization=org, tool=tool, day__range=(start, end))
    if key == NO_TEAM:
        qs = qs.filter(team__isnull=True)
    else:
        qs = qs.filter(team__slug=key, team__organization=org)
    stored = {r["day"]: r for r in qs.values("day", *SUMMED, "people")}
    zero = {f: 0 for f in (*SUMMED, "people")}
    return [{"day": d, **zero, **stored.get(d, {})} for d in days_in(start, end)]


def team_seats(org, key: str, start: date, end: date, *, tool: str = Tool.CURSOR, team=_UNKNOWN) -> int:
    """People in the team (sub-teams included) on `end`; for NO_TEAM, people with usage
    rows in the range and no team on `end`. 0 for an unknown slug. `team`: the Team of
    `key` (or None) when the caller has looked it up already."""
    if key == NO_TEAM:
        return _no_team_seats(org.pk, start, end, tool)
    if team is _UNKNOWN:
        team = Team.objects.filter(organization_id=org.pk, slug=key).first()
    if team is None:
        return 0
    (row,) = _fetch(
        f"""
        SELECT COUNT(DISTINCT m.person_id) FROM {_T["membership"]} m
        JOIN {_T["closure"]} c ON c.descendant_id = m.team_id AND c.organization_id = %(org)s
        WHERE m.organization_id = %(org)s AND m.start <= %(end)s AND (m.end IS NULL OR m.end >= %(end)s)
          AND c.ancestor_id = %(team)s
        """,  # nosec B608  # identifiers from model metadata; every value is a bound parameter
        {"org": org.pk, "end": end, "team": team.pk},
    )
    return row[0] or 0


def team_headline(org, key: str, start: date, end: date, *, tool: str = Tool.CURSOR) -> dict:
    """The dashboard's headline for one team (key: slug or NO_TEAM) from the team rollup,
    each figure against the previous period: avg_dau, active_users, active_share, seats,
    requests, acceptance_rate (accepted ÷ suggested lines), accepted_lines, spend_cents."""
    from .headline import _figure  # the dashboard's one definition of a figure and its change

    org_id = org.pk
    prev_start, prev_end = previous_period(start, end)
    days = (end - start).days + 1
    team = None if key == NO_TEAM else Team.objects.filter(organization_id=org_id, slug=key).first()
    team_id = team.pk if team else None
    sums = _period_sums(org_id, start, end, prev_start, tool).get(team_id, {})
    active = _distinct_active(org_id, start, end, prev_start, tool).get(team_id, (0, 0))
    seats = team_seats(org, key, start, end, tool=tool, team=team)

    def s(name, prefix):
        return sums.get(f"{prefix}_{name}") or 0

    return {
        "start": start,
        "end": end,
        "previous_start": prev_start,
        "previous_end": prev_end,
        "days": days,
        "seats": seats,
        "avg_dau": _figure(s("active_people", "cur") / days, s("active_people", "prev") / days),
        "active_users": _figure(active[0], active[1]),
        "active_share": _figure(_ratio(active[0], seats), _ratio(active[1], seats), rate=True),
        "requests": _figure(s("requests", "cur"), s("requests", "prev")),
        "acceptance_rate": _figure(
            _ratio(s("accepted_lines", "cur"), s("suggested_lines", "cur")),
            _ratio(s("accepted_lines", "prev"), s("suggested_lines", "prev")),
            rate=True,
        ),
        "accepted_lines": _figure(s("accepted_lines", "cur"), s("accepted_lines", "prev")),
        "spend_cents": _figure(Decimal(s("cost_cents", "cur")), Decimal(s("cost_cents", "prev"))),
    }


def team_choices(org) -> list[tuple[str, str]]:
    """(slug, indented name) of every team in tree order, for a team filter (cached)."""
    return people_selectors.team_choices(org.pk)


def team_data_version(org) -> str:
    """Changes whenever the comparison's inputs do: the facts and the team rollup are
    rebuilt by delete and insert (new ids) after each sync and each directory change; the
    team names come from the cached choices, forgotten on every tree write."""
    (row,) = _fetch(
        f"""
        SELECT (SELECT MAX(id) FROM {ToolTeamDay._meta.db_table} WHERE organization_id = %(org)s),
               (SELECT COUNT(*) FROM {ToolTeamDay._meta.db_table} WHERE organization_id = %(org)s),
               (SELECT MAX(id) FROM {_T["fact"]} WHERE organization_id = %(org)s)
        """,  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
        {"org": org.pk},
    )
    return "|".join(map(str, row)) + "|" + repr(people_selectors.team_choices(org.pk))


def dashboard_team_version(org) -> str:
    """`analytics.cache.data_version(org) + "|" + team_data_version(org)` in one query: what
    the team-filtered dashboard's cached reads are keyed by."""
    rollup, member, snapshot = (
        OrgDailyRollup._meta.db_table,
        CursorMember._meta.db_table,
        SpendSnapshot._meta.db_table,
    )
    team_day = ToolTeamDay._meta.db_table
    (row,) = _fetch(
        f"""
        SELECT (SELECT MAX(id) FROM {rollup} WHERE organization_id = %(org)s),
               (SELECT COUNT(*) FROM {rollup} WHERE organization_id = %(org)s),
               (SELECT MAX(updated_at) FROM {member} WHERE organization_id = %(org)s),
               (SELECT MAX(captured_at) FROM {snapshot} WHERE organization_id = %(org)s),
               (SELECT MAX(id) FROM {team_day} WHERE organization_id = %(org)s),
               (SELECT COUNT(*) FROM {team_day} WHERE organization_id = %(org)s),
               (SELECT MAX(id) FROM {_T["fact"]} WHERE organization_id = %(org)s)
        """,  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
        {"org": org.pk},
    )
    values = [str(v) for v in row]
    return (
        "|".join(values[:4]) + "|" + "|".join(values[4:]) + "|" + repr(people_selectors.team_choices(org.pk))
    )


COMPARISON_TIMEOUT = 60 * 60 * 2


def cached_team_comparison(
    org, start: date, end: date, *, access=None, tool: str = Tool.CURSOR
) -> list[TeamRow]:
    """`team_comparison`, memoised per data version, range and what `access` changes in it
    (whether it sees everyone, which teams it leads) and the minimum group size."""
    key_parts = (
        team_data_version(org),
        start,
        end,
        tool,
        None if access is None else (access.everyone, tuple(sorted(access.led_team_ids))),
        min_group_size(),
    )
    digest = hashlib.sha256(repr(key_parts).encode()).hexdigest()[:32]
    key = f"teams:{org.pk}:comparison:{digest}"
    rows = cache.get(key)
    if rows is None:
        rows = team_comparison(org, start, end, access=access, tool=tool)
        cache.set(key, rows, COMPARISON_TIMEOUT)
    return rows
