"""Team reads: the team comparison, a team's daily series, the people of a team filter.

They read the tool-neutral facts and their team rollup (`ToolDay`, `ToolTeamDay`), with the
membership valid on each day. A team's figures include its sub-teams; a person in two
sub-teams counts once for their common parent. "No team" (`NO_TEAM`) is whoever had no
valid membership that day. Every statement is scoped by organization_id, and the
comparison costs a constant handful of queries whatever the number of teams or people.
The SQL is portable (PostgreSQL; SQLite ≥ 3.30 for FILTER).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Q, Sum

from people.models import Team, TeamClosure, TeamMembership

from ..models import Tool, ToolDay, ToolPersonMonth, ToolTeamDay, ToolTeamPersonMonth
from .activity_months import Windows
from .fields import days_in
from .headline import previous_period

NO_TEAM = "none"
OTHER = "other"


def min_group_size() -> int:
    """Teams smaller than this show only merged into "Other" to who may not see individuals."""
    return int(getattr(settings, "TEAM_MIN_GROUP_SIZE", 3))


# The tier rule, stated once: the page prints TIER_RULE and `tier` applies it.
TIER_LEADING, TIER_ADOPTING = 0.75, 0.40
TIER_RULE = (
    f"Leading: at least {TIER_LEADING:.0%} of the team's seats were active in the range. "
    f"Adopting: at least {TIER_ADOPTING:.0%}. Lagging: fewer. No seats: no tier."
)


def tier(active_share: float | None) -> str:
    if active_share is None:
        return ""
    if active_share >= TIER_LEADING:
        return "leading"
    if active_share >= TIER_ADOPTING:
        return "adopting"
    return "lagging"


def _ratio(a, b):
    return float(a) / float(b) if b else None


_T = {
    "fact": ToolDay._meta.db_table,
    "membership": TeamMembership._meta.db_table,
    "closure": TeamClosure._meta.db_table,
}
_VALID = "m.person_id = f.person_id AND m.organization_id = %(org)s AND m.start <= f.day AND (m.end IS NULL OR m.end >= f.day)"


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _distinct_active(org_id: int, start: date, end: date, prev_start: date, tool: str, team_ids=None) -> dict:
    """Distinct active people per team (sub-teams included) in start..end and in
    prev_start..start-1; key None is "no team". With `team_ids`, one figure for their union
    under the key OTHER. Read from the per-month activity bitmasks of the teams
    (`ToolTeamPersonMonth`: the days a person was active while in the team)."""
    w = Windows()
    counts = (
        f"COUNT(DISTINCT CASE WHEN {w.test(start, end)} THEN t.person_id END), "
        f"COUNT(DISTINCT CASE WHEN {w.test(prev_start, start - timedelta(days=1))} THEN t.person_id END)"
    )
    union = team_ids is not None
    narrow = ""
    if union:
        ids = ", ".join(str(int(i)) for i in team_ids) or "NULL"
        narrow = f"AND t.team_id IN ({ids})"
    rows = _fetch(
        f"""
        SELECT {"" if union else "t.team_id, "}{counts}
        FROM {ToolTeamPersonMonth._meta.db_table} t
        WHERE t.organization_id = %(org)s AND t.tool = %(tool)s AND {w.month_range()} {narrow}
        {"" if union else "GROUP BY t.team_id"}
        """,  # nosec B608  # identifiers from model metadata, ids cast to int; every value is a bound parameter
        {"org": org_id, "tool": str(tool), **w.params},
    )
    if union:
        return {OTHER: tuple(rows[0])}
    out = {key: (cur, prev) for key, cur, prev in rows}
    out.setdefault(None, (0, 0))
    return out


def _seats(org_id: int, day: date, team_ids=None) -> dict:
    """People in each team (sub-teams included) on `day`; with `team_ids`, their union."""
    qs = TeamMembership.objects.filter(organization_id=org_id, start__lte=day).filter(
        Q(end__isnull=True) | Q(end__gte=day)
    )
    closure = TeamClosure.objects.filter(organization_id=org_id)
    if team_ids is not None:
        closure = closure.filter(ancestor_id__in=team_ids)
    descendants: dict[int, set[int]] = {}
    for ancestor, descendant in closure.values_list("ancestor_id", "descendant_id"):
        descendants.setdefault(descendant, set()).add(ancestor)
    people: dict = {}
    for person_id, team_id in qs.values_list("person_id", "team_id"):
        for ancestor in descendants.get(team_id, ()):
            people.setdefault(OTHER if team_ids is not None else ancestor, set()).add(person_id)
    return people


def _no_team_seats(org_id: int, start: date, end: date, tool: str) -> int:
    """People with a fact in the range but no team on its last day (from the per-month
    bitmasks of fact days, `ToolPersonMonth.fact_mask`)."""
    w = Windows()
    test = w.test(start, end, column="fact_mask")
    (row,) = _fetch(
        f"""
        SELECT COUNT(DISTINCT t.person_id) FROM {ToolPersonMonth._meta.db_table} t
        WHERE t.organization_id = %(org)s AND t.tool = %(tool)s AND {w.month_range()} AND {test}
          AND t.person_id NOT IN (
              SELECT m.person_id FROM {_T["membership"]} m
              WHERE m.organization_id = %(org)s AND m.start <= %(end)s AND (m.end IS NULL OR m.end >= %(end)s)
          )
        """,  # nosec B608  # identifiers from model metadata; every value is a bound parameter
        {"org": org_id, "tool": str(tool), "end": end, **w.params},
    )
    return row[0] or 0


SUMMED = (
    "active_people",
    "requests",
    "accepted_suggestions",
    "suggested_lines",
    "accepted_lines",
    "cost_cents",
)


def _period_sums(org_id: int, start: date, end: date, prev_start: date, tool: str) -> dict:
    """Per team key (None: no team): the rollup's sums for the range and the previous one."""
    aggregates = {}
    for field in SUMMED:
        aggregates[f"cur_{field}"] = Sum(field, filter=Q(day__gte=start))
        aggregates[f"prev_{field}"] = Sum(field, filter=Q(day__lt=start))
    rows = (
        ToolTeamDay.objects.filter(organization_id=org_id, tool=tool, day__range=(prev_start, end))
        .values("team_id")
        .annotate(**aggregates)
        .order_by()
    )
    return {row.pop("team_id"): row for row in rows}


def _union_sums(org_id: int, start: date, end: date, prev_start: date, tool: str, team_ids) -> dict:
    """The same sums for the union of several teams, each fact once (the "Other" row)."""
    ids = ", ".join(str(int(i)) for i in team_ids) or "NULL"
    columns = {
        "active_people": "CASE WHEN f.active THEN 1 ELSE 0 END",
        **{f: f"f.{f}" for f in SUMMED if f != "active_people"},
    }
    selects = ", ".join(
        f"SUM(CASE WHEN f.day >= %(start)s THEN {expr} END), SUM(CASE WHEN f.day < %(start)s THEN {expr} END)"
        for expr in columns.values()
    )
    (row,) = _fetch(
        f"""
        SELECT {selects} FROM {_T["fact"]} f
        WHERE f.organization_id = %(org)s AND f.tool = %(tool)s AND f.day BETWEEN %(prev)s AND %(end)s
          AND f.id IN (
              SELECT f.id FROM {_T["fact"]} f
              JOIN {_T["membership"]} m ON {_VALID}
              JOIN {_T["closure"]} c ON c.descendant_id = m.team_id AND c.organization_id = %(org)s
              WHERE f.organization_id = %(org)s AND f.tool = %(tool)s AND f.day BETWEEN %(prev)s AND %(end)s
                AND c.ancestor_id IN ({ids})
          )
        """,  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
        {"org": org_id, "tool": tool, "start": start, "end": end, "prev": prev_start},
    )
    out = {}
    for i, field in enumerate(columns):
        out[f"cur_{field}"], out[f"prev_{field}"] = row[2 * i], row[2 * i + 1]
    return out


def _sums_and_sparklines(
    org_id: int, start: date, end: date, prev_start: date, tool: str
) -> tuple[dict, dict]:
    """Per team key (None: no team): the rollup's sums for the range and the previous one
    (as `_period_sums`), and the daily active people of the range; one read of the rollup."""
    days = days_in(start, end)
    index = {d: i for i, d in enumerate(days)}
    sums: dict = {}
    lines: dict = {}
    rows = ToolTeamDay.objects.filter(
        organization_id=org_id, tool=tool, day__range=(prev_start, end)
    ).values_list("team_id", "day", *SUMMED)
    for team_id, day, *values in rows:
        prefix = "cur" if day >= start else "prev"
        target = sums.setdefault(team_id, {})
        for field, value in zip(SUMMED, values, strict=True):
            key = f"{prefix}_{field}"
            target[key] = (target.get(key) or 0) + (value or 0)
        if day >= start:
            lines.setdefault(team_id, [0] * len(days))[index[day]] = values[0]
    return sums, lines


@dataclass
class TeamRow:
    key: str  # the team's slug, NO_TEAM or OTHER
    name: str
    depth: int
    team_id: int | None
    cost_centre: str
    seats: int
    active: int
    active_share: float | None
    active_share_prev: float | None
    avg_dau: float
    requests_per_active: float | None
    acceptance_rate: float | None
    accepted_lines_per_active: float | None
    spend_cents: Decimal
    spend_prev_cents: Decimal
    spend_per_active_cents: Decimal | None
    sparkline: list[int]
    merged: list[str] | None = None  # the teams an "Other" row stands for

    @property
    def tier(self) -> str:
        return tier(self.active_share)

    @property
    def active_share_change(self):
        if self.active_share is None or self.active_share_prev is None:
            return None
        return self.active_share - self.active_share_prev

    @property
    def spend_change_pct(self):
        if not self.spend_prev_cents:
            return None
        return float(self.spend_cents - self.spend_prev_cents) / float(self.spend_prev_cents) * 100


def _row(
    key, name, depth, team_id, cost_centre, seats, active, sums, days, sparkline, merged=None
) -> TeamRow:
    def s(name, prefix="cur"):
        return sums.get(f"{prefix}_{name}") or 0

    cur_active, prev_active = active
    spend = Decimal(s("cost_cents"))
    return TeamRow(
        key=key,
        name=name,
        depth=depth,
        team_id=team_id,
        cost_centre=cost_centre,
        seats=seats,
        active=cur_active,
        active_share=_ratio(cur_active, seats),
        active_share_prev=_ratio(prev_active, seats),
        avg_dau=s("active_people") / days,
        requests_per_active=_ratio(s("requests"), cur_active),
        acceptance_rate=_ratio(s("accepted_lines"), s("suggested_lines")),
        accepted_lines_per_active=_ratio(s("accepted_lines"), cur_active),
        spend_cents=spend,
        spend_prev_cents=Decimal(s("cost_cents", "prev")),
        spend_per_active_cents=spend / cur_active if cur_active else None,
        sparkline=sparkline,
        merged=merged,
    )


def team_comparison(org, start: date, end: date, *, access=None, tool: str = Tool.CURSOR) -> list[TeamRow]:
    """One row per team (its sub-teams included), in tree order, then "No team".

    `access` (people.access.PersonAccess): a team (or "No team") smaller than
    `min_group_size()` people, which `access` may not see individually, is left out and
    merged with the others like it into one "Other" row. None: no merging (exports of
    admins). Seats are the team's people on the range's last day.
    """
    org_id = org.pk
    prev_start, _ = previous_period(start, end)
    days = (end - start).days + 1
    sums, lines = _sums_and_sparklines(org_id, start, end, prev_start, tool)
    active = _distinct_active(org_id, start, end, prev_start, tool)
    people_on_end = _seats(org_id, end)
    seats = {k: len(v) for k, v in people_on_end.items()}
    empty_line = [0] * days
    teams = list(Team.objects.filter(organization_id=org_id))
    depth = _depths(teams)
    rows = [
        _row(t.slug, t.name, depth[t.pk], t.pk, t.cost_centre, seats.get(t.pk, 0), active.get(t.pk, (0, 0)),
             sums.get(t.pk, {}), days, lines.get(t.pk, empty_line))
        for t in _tree_order(teams)
    ]  # fmt: skip
    rows.append(
        _row(NO_TEAM, "No team", 0, None, "", _no_team_seats(org_id, start, end, tool), active.get(None, (0, 0)),
             sums.get(None, {}), days, lines.get(None, empty_line))
    )  # fmt: skip
    if access is None:
        return rows
    limit = min_group_size()
    small = [
        r for r in rows if r.seats < limit and not access.may_see_team(r.team_id) and not access.everyone
    ]
    if not small:
        return rows
    kept = [r for r in rows if r not in small]
    small_ids = [r.team_id for r in small if r.team_id is not None]
    other_seats = len(set().union(*(people_on_end.get(i, set()) for i in small_ids)))
    other_active = _distinct_active(org_id, start, end, prev_start, tool, small_ids).get(OTHER, (0, 0))
    other_sums = _union_sums(org_id, start, end, prev_start, tool, small_ids) if small_ids else {}
    if any(r.key == NO_TEAM for r in small):  # "no team" people never overlap a team's
        no_team = next(r for r in small if r.key == NO_TEAM)
        other_seats += no_team.seats
        other_active = (
            other_active[0] + active.get(None, (0, 0))[0],
            other_active[1] + active.get(None, (0, 0))[1],
        )
        for key, value in sums.get(None, {}).items():
            other_sums[key] = (other_sums.get(key) or 0) + (value or 0)
    kept.append(
        _row(OTHER, "Other (small groups)", 0, None, "", other_seats, other_active, other_sums, days, empty_line,
             merged=[r.name for r in small])
    )  # fmt: skip
    return kept


def _depths(teams) -> dict[int, int]:
    parent = {t.pk: t.parent_id for t in teams}
    out = {}
    for t in teams:
        d, current, seen = 0, t.parent_id, {t.pk}
        while current is not None and current not in seen:
            seen.add(current)
            d, current = d + 1, parent.get(current)
        out[t.pk] = d
    return out


def _tree_order(teams) -> list[Team]:
    children: dict = {}
    for t in teams:
        children.setdefault(t.parent_id, []).append(t)
    out, stack = [], sorted(children.get(None, []), key=lambda t: t.name.lower(), reverse=True)
    seen = set()
    while stack:
        t = stack.pop()
        if t.pk in seen:
            continue
        seen.add(t.pk)
        out.append(t)
        stack.extend(sorted(children.get(t.pk, []), key=lambda c: c.name.lower(), reverse=True))
    return out
