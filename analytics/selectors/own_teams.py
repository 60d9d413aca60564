"""My usage's comparison with one's own teams: for each team a person was in during the
range, the team's per-active-person averages (from the team rollup `ToolTeamDay`, sub-teams
included, membership valid on each day) next to the person's own figures (from `ToolDay`).

Aggregates only, never another person's figures; a team smaller than TEAM_MIN_GROUP_SIZE
shows no average to a viewer who may not see its people individually (its average would
give a teammate's figures away). Every statement is scoped by organization_id; the whole
comparison costs two queries whatever the number of teams (the teams, then one statement).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum

from people.models import TeamMembership

from ..models import Tool, ToolDay, ToolTeamDay, ToolTeamPersonMonth
from .activity_months import Windows
from .teams import _T, _fetch, min_group_size

METRICS = ("requests", "accepted_lines", "spend_cents", "active_days")


@dataclass
class OwnTeamRow:
    slug: str
    name: str
    seats: int  # people in the team (sub-teams included) on the range's last day
    active_people: int  # distinct people active in the range
    hidden: bool  # too small to show an average to this viewer
    average: dict  # metric → per active person (None: no one active, or hidden)


def own_team_comparison(
    org, person_id: int, start: date, end: date, *, may_see_team=None, tool: str = Tool.CURSOR
) -> dict:
    """{"own": {metric: figure}, "teams": [OwnTeamRow]} for the person's teams in start..end
    (by name). `may_see_team(team_id)`: whether the viewer may see the team's people
    individually (owners, admins, its leads); the small-group rule spares them."""
    teams = {}
    for team_id, slug, name in (
        TeamMembership.objects.filter(organization_id=org.pk, person_id=person_id, start__lte=end)
        .filter(Q(end__isnull=True) | Q(end__gte=start))
        .values_list("team_id", "team__slug", "team__name")
        .order_by("team__name", "team_id")
    ):
        teams.setdefault(team_id, (slug, name))
    own_query = ToolDay.objects.filter(
        organization_id=org.pk, tool=tool, person_id=person_id, day__range=(start, end)
    )
    if not teams:
        own = own_query.aggregate(
            requests=Sum("requests"),
            accepted_lines=Sum("accepted_lines"),
            spend_cents=Sum("cost_cents"),
            active_days=Count("id", filter=Q(active=True)),
        )
        return {"own": {k: v or 0 for k, v in own.items()}, "teams": []}

    ids = ", ".join(str(int(i)) for i in teams)
    w = Windows()
    test, months = w.test(start, end), w.month_range()
    params = {"org": org.pk, "tool": str(tool), "start": start, "end": end, "person": person_id, **w.params}
    big, dec = "CAST(NULL AS BIGINT)", "CAST(NULL AS DECIMAL)"
    # In one statement: the person's own sums; per team, the distinct active people in the
    # range (the days they were active while in the team, from the per-month bitmasks), the
    # seats on its last day and the team rollup's sums.
    own, active, seats, sums = {}, {}, {}, {}
    for kind, team_id, requests, lines, cents, days in _fetch(
        f"""
        SELECT 'own', {big}, SUM(f.requests), SUM(f.accepted_lines), SUM(f.cost_cents),
               SUM(CASE WHEN f.active THEN 1 ELSE 0 END)
        FROM {_T["fact"]} f
        WHERE f.organization_id = %(org)s AND f.tool = %(tool)s AND f.person_id = %(person)s
          AND f.day BETWEEN %(start)s AND %(end)s
        UNION ALL
        SELECT 'active', t.team_id, COUNT(DISTINCT t.person_id), {big}, {dec}, {big}
        FROM {ToolTeamPersonMonth._meta.db_table} t
        WHERE t.organization_id = %(org)s AND t.tool = %(tool)s AND {months} AND {test}
          AND t.team_id IN ({ids})
        GROUP BY t.team_id
        UNION ALL
        SELECT 'seats', c.ancestor_id, COUNT(DISTINCT m.person_id), {big}, {dec}, {big}
        FROM {_T["membership"]} m
        JOIN {_T["closure"]} c ON c.descendant_id = m.team_id AND c.organization_id = %(org)s
        WHERE m.organization_id = %(org)s AND m.start <= %(end)s AND (m.end IS NULL OR m.end >= %(end)s)
          AND c.ancestor_id IN ({ids})
        GROUP BY c.ancestor_id
        UNION ALL
        SELECT 'sums', d.team_id, SUM(d.requests), SUM(d.accepted_lines), SUM(d.cost_cents), SUM(d.active_people)
        FROM {ToolTeamDay._meta.db_table} d
        WHERE d.organization_id = %(org)s AND d.tool = %(tool)s AND d.day BETWEEN %(start)s AND %(end)s
          AND d.team_id IN ({ids})
        GROUP BY d.team_id
        """,  # nosec B608  # table names from model metadata, ids cast to int; every value is a bound parameter
        params,
    ):
        if kind == "own":
            own = {"requests": requests, "accepted_lines": lines, "spend_cents": cents, "active_days": days}
        elif kind == "active":
            active[team_id] = requests
        elif kind == "seats":
            seats[team_id] = requests
        else:
            sums[team_id] = {
                "requests": requests,
                "accepted_lines": lines,
                "spend_cents": cents,
                "active_days": days,
            }
    own = {k: v or 0 for k, v in own.items()}
    limit = min_group_size()
    rows = []
    for team_id, (slug, name) in teams.items():
        people = active.get(team_id, 0)
        size = seats.get(team_id, 0)
        hidden = size < limit and not (may_see_team and may_see_team(team_id))
        total = sums.get(team_id, {})
        average = {m: None for m in METRICS}
        if people and not hidden:
            average = {m: Decimal(total.get(m) or 0) / people for m in METRICS}
        rows.append(OwnTeamRow(slug, name, size, 0 if hidden else people, hidden, average))
    return {"own": own, "teams": rows}
