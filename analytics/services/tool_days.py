"""The tool-neutral facts (`ToolDay`) and their rollups per organization (`ToolOrgDay`) and
per team (`ToolTeamDay`), both built by one statement over the facts.

Each tool maps its own counters onto the neutral names once, here, as a table of SQL
expressions over that tool's per-member daily rollup. A neutral metric a tool does not
report stays NULL. Rebuilding a range deletes and re-inserts its rows in one transaction,
like the tool's own rollups, so it is idempotent. Every statement is scoped by
organization_id; the SQL is portable (PostgreSQL; SQLite in the embedded mode).
"""

from datetime import date

from django.db import connection, transaction
from django.db.models import Max, Min

from people.models import PersonEmail, TeamClosure, TeamMembership
from people.services import people_for_emails, people_for_github_logins

from ..models import (
    ClaudeCodeActorDay,
    ClaudeCodeModelDay,
    ClaudeCodeUser,
    CopilotSeat,
    CopilotUserDay,
    CursorMember,
    MemberDailyRollup,
    Tool,
    ToolDay,
    ToolOrgDay,
    ToolTeamDay,
)

# Neutral metric → expression over Cursor's MemberDailyRollup `r` (summed per person and day).
CURSOR_TO_TOOL_DAY = {
    "requests": "r.agent_requests + r.chat_requests + r.composer_requests + r.cmdk_usages",
    "accepted_suggestions": "r.accepts + r.tabs_accepted",
    "suggested_lines": "r.total_lines_added",
    "accepted_lines": "r.accepted_lines_added",
    "billed_requests": "r.usage_events",
    "request_units": "r.request_cost_units",
    "input_tokens": "r.input_tokens",
    "output_tokens": "r.output_tokens",
    "cache_read_tokens": "r.cache_read_tokens",
    "cache_write_tokens": "r.cache_write_tokens",
    "cost_cents": "r.spend_cents",
}
METRICS = list(CURSOR_TO_TOOL_DAY)


def link_cursor_members(organization_id: int) -> int:
    """Point every Cursor member without a person at the person with their email."""
    unlinked = dict(
        CursorMember.objects.filter(organization_id=organization_id, person__isnull=True).values_list(
            "email", "name"
        )
    )
    if not unlinked:
        return 0
    people = people_for_emails(organization_id, unlinked, names=unlinked)
    linked = 0
    for email, person_id in people.items():
        linked += CursorMember.objects.filter(
            organization_id=organization_id, email=email, person__isnull=True
        ).update(person_id=person_id)
    return linked


def _cursor_fact_sql() -> str:
    sums = ", ".join(f"SUM({expression})" for expression in CURSOR_TO_TOOL_DAY.values())
    return f"""
        INSERT INTO {ToolDay._meta.db_table}
            (organization_id, tool, person_id, day, active, {", ".join(METRICS)}, cost_is_estimate)
        SELECT %(org)s, %(tool)s, m.person_id, r.day, MAX(CASE WHEN r.is_active THEN 1 ELSE 0 END) = 1,
               {sums}, %(estimate)s
        FROM {MemberDailyRollup._meta.db_table} r
        JOIN {CursorMember._meta.db_table} m ON m.id = r.member_id AND m.organization_id = %(org)s
        WHERE r.organization_id = %(org)s AND r.day BETWEEN %(start)s AND %(end)s
          AND m.person_id IS NOT NULL
        GROUP BY m.person_id, r.day
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


def _rollup_sql(table: str, group: str, facts: str) -> str:
    """The one rollup statement: `facts` (rows of ToolDay aliased `t`, with a `team_id`
    column) summed per `group` and day into `table`."""
    sums = ", ".join(f"SUM(t.{metric})" for metric in METRICS)
    team_column = "team_id, " if group else ""
    return f"""
        INSERT INTO {table}
            (organization_id, tool, {team_column}day, active_people, people, {", ".join(METRICS)},
             cost_is_estimate)
        SELECT %(org)s, %(tool)s, {"t.team_id, " if group else ""}t.day,
               SUM(CASE WHEN t.active THEN 1 ELSE 0 END), COUNT(*), {sums},
               MAX(CASE WHEN t.cost_is_estimate THEN 1 ELSE 0 END) = 1
        FROM ({facts}) t
        GROUP BY {"t.team_id, " if group else ""}t.day
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


_FACTS = f"""
    SELECT f.* FROM {ToolDay._meta.db_table} f
    WHERE f.organization_id = %(org)s AND f.tool = %(tool)s AND f.day BETWEEN %(start)s AND %(end)s
"""
# The membership valid on the fact's day (inclusive dates; no end: still in the team).
_VALID = "m.person_id = f.person_id AND m.organization_id = %(org)s AND m.start <= f.day AND (m.end IS NULL OR m.end >= f.day)"
# Each fact once per team that contains it (directly or through a sub-team), de-duplicated so
# a person in two sub-teams counts once for their common parent.
_TEAM_FACTS = f"""
    SELECT f.*, x.team_id FROM {ToolDay._meta.db_table} f
    JOIN (
        SELECT DISTINCT c.ancestor_id AS team_id, f.id AS fact_id
        FROM {ToolDay._meta.db_table} f
        JOIN {TeamMembership._meta.db_table} m ON {_VALID}
        JOIN {TeamClosure._meta.db_table} c ON c.descendant_id = m.team_id AND c.organization_id = %(org)s
        WHERE f.organization_id = %(org)s AND f.tool = %(tool)s AND f.day BETWEEN %(start)s AND %(end)s
    ) x ON x.fact_id = f.id
"""
_NO_TEAM_FACTS = _FACTS + f"AND NOT EXISTS (SELECT 1 FROM {TeamMembership._meta.db_table} m WHERE {_VALID})"


def _org_rollup_sql() -> str:
    return _rollup_sql(ToolOrgDay._meta.db_table, "", _FACTS)


def _team_rollup_sqls() -> list[str]:
    table = ToolTeamDay._meta.db_table
    no_team = _NO_TEAM_FACTS.replace("SELECT f.*", "SELECT f.*, CAST(NULL AS BIGINT) AS team_id", 1)
    return [_rollup_sql(table, "team", _TEAM_FACTS), _rollup_sql(table, "team", no_team)]


def _rebuild_team_days(cursor, params: dict) -> None:
    ToolTeamDay.objects.filter(
        organization_id=params["org"], tool=params["tool"], day__range=(params["start"], params["end"])
    ).delete()
    for sql in _team_rollup_sqls():
        cursor.execute(sql, params)


def refresh_team_days(organization_id: int, start: date | None = None, end: date | None = None) -> None:
    """Rebuild ToolTeamDay of every tool for start..end (default: every day with facts).

    Call after teams, the tree or memberships changed; a sync calls it through
    `refresh_cursor_tool_days`.
    """
    spans = (
        ToolDay.objects.filter(organization_id=organization_id)
        .values("tool")
        .annotate(first=Min("day"), last=Max("day"))
        .order_by()
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for span in spans:
            lo = max(span["first"], start) if start else span["first"]
            hi = min(span["last"], end) if end else span["last"]
            if lo <= hi:
                _rebuild_team_days(
                    cursor, {"org": organization_id, "tool": span["tool"], "start": lo, "end": hi}
                )


def refresh_cursor_tool_days(organization_id: int, start: date, end: date) -> None:
    """Rebuild Cursor's ToolDay, ToolOrgDay and ToolTeamDay rows for start..end from its
    member rollup.

    Call after the Cursor rollups of the same days were refreshed.
    """
    if start > end:
        return
    link_cursor_members(organization_id)
    params = {"org": organization_id, "tool": Tool.CURSOR.value, "start": start, "end": end}
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (ToolDay, ToolOrgDay):
            model.objects.filter(
                organization_id=organization_id, tool=Tool.CURSOR, day__range=(start, end)
            ).delete()
        cursor.execute(_cursor_fact_sql(), {**params, "estimate": False})
        cursor.execute(_org_rollup_sql(), params)
        _rebuild_team_days(cursor, params)


# Neutral metric → expression over Copilot's CopilotUserDay `u` (docs/copilot-api.md §3.1), or
# None where Copilot reports nothing comparable: it stays NULL, never 0.
COPILOT_TO_TOOL_DAY = {
    "requests": "u.interactions",  # user_initiated_interaction_count: explicit prompts
    "accepted_suggestions": "u.acceptances",  # code_acceptance_activity_count
    "suggested_lines": "u.loc_suggested_to_add",  # loc_suggested_to_add_sum
    "accepted_lines": "u.loc_added",  # loc_added_sum: lines Copilot actually added
    "billed_requests": None,  # the daily report carries no billed request count
    "request_units": "u.ai_credits_used",  # AI credits, Copilot's own cost unit
    "input_tokens": None,  # tokens are reported for the CLI only: a partial figure would mislead
    "output_tokens": None,
    "cache_read_tokens": None,
    "cache_write_tokens": None,
    "cost_cents": "u.ai_credits_used",  # 1 AI credit = US$0.01 = 1 cent; "not a billed total"
}
# Active: any activity on the day (a listed user with all zeros was not using Copilot).
COPILOT_ACTIVE = (
    "u.interactions + u.generations + u.acceptances + u.loc_added > 0"
    " OR u.used_agent OR u.used_chat OR u.used_cli OR COALESCE(u.cli_requests, 0) > 0"
)
assert list(COPILOT_TO_TOOL_DAY) == METRICS  # the same neutral names, in the same order


def link_copilot_logins(organization_id: int, start: date, end: date) -> int:
    """Point each Copilot user-day of start..end (and each seat) at its person, matching
    logins with `people.services.people_for_github_logins` (login, then the seat's email).

    Re-run on every refresh, so a login an admin mapped by hand moves its rows. Returns how
    many logins were re-pointed.
    """
    days = CopilotUserDay.objects.filter(organization_id=organization_id, day__range=(start, end))
    current = {}
    for login, person_id in days.values_list("login", "person_id").distinct():
        current.setdefault(login, set()).add(person_id)
    seats = dict(
        CopilotSeat.objects.filter(organization_id=organization_id).values_list("login", "person_id")
    )
    emails = dict(
        CopilotSeat.objects.filter(organization_id=organization_id)
        .exclude(email="")
        .values_list("login", "email")
    )
    people = people_for_github_logins(organization_id, set(current) | set(seats), emails=emails)
    moved = 0
    for login, person_id in people.items():
        if login in current and current[login] != {person_id}:
            days.filter(login=login).update(person_id=person_id)
            moved += 1
        if login in seats and seats[login] != person_id:
            CopilotSeat.objects.filter(organization_id=organization_id, login=login).update(
                person_id=person_id
            )
    return moved


def _copilot_fact_sql() -> str:
    sums = ", ".join(f"SUM({e})" if e else "NULL" for e in COPILOT_TO_TOOL_DAY.values())
    return f"""
        INSERT INTO {ToolDay._meta.db_table}
            (organization_id, tool, person_id, day, active, {", ".join(METRICS)}, cost_is_estimate)
        SELECT %(org)s, %(tool)s, u.person_id, u.day,
               MAX(CASE WHEN {COPILOT_ACTIVE} THEN 1 ELSE 0 END) = 1, {sums}, %(estimate)s
        FROM {CopilotUserDay._meta.db_table} u
        WHERE u.organization_id = %(org)s AND u.day BETWEEN %(start)s AND %(end)s
          AND u.person_id IS NOT NULL
        GROUP BY u.person_id, u.day
    """


def refresh_copilot_tool_days(organization_id: int, start: date, end: date) -> None:
    """Rebuild Copilot's ToolDay and ToolOrgDay rows for start..end from its user-day rows.

    Days without a report have no user rows, hence no facts: "not reported", never zeros.
    Cost is GitHub's AI credits used, an estimate (`cost_is_estimate`).
    """
    if start > end:
        return
    link_copilot_logins(organization_id, start, end)
    params = {"org": organization_id, "tool": Tool.COPILOT.value, "start": start, "end": end}
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (ToolDay, ToolOrgDay):
            model.objects.filter(
                organization_id=organization_id, tool=Tool.COPILOT, day__range=(start, end)
            ).delete()
        cursor.execute(_copilot_fact_sql(), {**params, "estimate": True})
        cursor.execute(_org_rollup_sql(), params)
        _rebuild_team_days(cursor, params)


# Neutral metric → (expression over Claude Code's ClaudeCodeActorDay `a`, expression over its
# ClaudeCodeModelDay `m`) (docs/claude-code-api.md §3.2, §5.4–5.5); None where Claude Code reports
# nothing comparable: it stays NULL, never 0. Sessions, commits, PRs and rejected tool actions
# have no neutral name; the Tools page reads them from Claude Code's own tables.
CLAUDE_CODE_TO_TOOL_DAY = {
    "requests": (None, "m.requests"),  # Enterprise cost rows only; the Console report has none
    "accepted_suggestions": ("a.actions_accepted", None),  # tool actions accepted (edit, write…)
    "suggested_lines": (None, None),  # Claude Code reports only the lines it actually added
    "accepted_lines": ("a.lines_added", None),  # lines of code added by Claude Code
    "billed_requests": (None, None),
    "request_units": (None, None),
    "input_tokens": (None, "m.input_tokens"),
    "output_tokens": (None, "m.output_tokens"),
    "cache_read_tokens": (None, "m.cache_read_tokens"),
    "cache_write_tokens": (None, "m.cache_creation_tokens"),
    "cost_cents": (None, "m.cost_cents"),  # Console: estimated_cost; Enterprise: amount
}
CLAUDE_CODE_ACTIVE = (
    "COALESCE(a.sessions, 0) + a.lines_added + a.lines_removed + a.commits + a.pull_requests"
    " + a.actions_accepted + a.actions_rejected > 0"
)
assert list(CLAUDE_CODE_TO_TOOL_DAY) == METRICS


def _typed_null(metric: str) -> str:
    """A NULL PostgreSQL can sum (an untyped NULL in a UNION would be text)."""
    return "CAST(NULL AS DECIMAL)" if metric in ("cost_cents", "request_units") else "CAST(NULL AS BIGINT)"


def _claude_code_union(who: str) -> str:
    """Activity rows and model rows of start..end as one row set in the neutral names; `who`
    picks user actors with a person, or API-key actors."""

    def cols(side: int) -> str:
        return ", ".join(
            f"{pair[side] or _typed_null(metric)} AS {metric}"
            for metric, pair in CLAUDE_CODE_TO_TOOL_DAY.items()
        )

    return f"""
        SELECT a.person_id, a.day, CASE WHEN {CLAUDE_CODE_ACTIVE} THEN 1 ELSE 0 END AS act,
               {cols(0)}, 0 AS est
        FROM {ClaudeCodeActorDay._meta.db_table} a
        WHERE a.organization_id = %(org)s AND a.day BETWEEN %(start)s AND %(end)s AND {who.format(t="a")}
        UNION ALL
        SELECT m.person_id, m.day,
               CASE WHEN m.input_tokens + m.output_tokens + m.cache_read_tokens + m.cache_creation_tokens > 0
                         OR m.cost_cents > 0 THEN 1 ELSE 0 END,
               {cols(1)}, CASE WHEN m.cost_is_estimate THEN 1 ELSE 0 END
        FROM {ClaudeCodeModelDay._meta.db_table} m
        WHERE m.organization_id = %(org)s AND m.day BETWEEN %(start)s AND %(end)s AND {who.format(t="m")}
    """


PEOPLE = "{t}.actor_type = 'user_actor' AND {t}.person_id IS NOT NULL"
API_KEYS = "{t}.actor_type = 'api_actor'"


def _claude_code_fact_sql() -> str:
    sums = ", ".join(f"SUM({metric})" for metric in METRICS)
    return f"""
        INSERT INTO {ToolDay._meta.db_table}
            (organization_id, tool, person_id, day, active, {", ".join(METRICS)}, cost_is_estimate)
        SELECT %(org)s, %(tool)s, u.person_id, u.day, MAX(u.act) = 1, {sums}, MAX(u.est) = 1
        FROM ({_claude_code_union(PEOPLE)}) u
        GROUP BY u.person_id, u.day
    """


def _claude_code_org_sql() -> str:
    """ToolOrgDay for Claude Code: the people's facts plus API-key actors' usage and cost (an
    API key is automation: it counts in the organization's cost, tokens and lines, never in
    `people` or `active_people`)."""
    sums = ", ".join(f"SUM({metric})" for metric in METRICS)
    return f"""
        INSERT INTO {ToolOrgDay._meta.db_table}
            (organization_id, tool, day, active_people, people, {", ".join(METRICS)}, cost_is_estimate)
        SELECT %(org)s, %(tool)s, x.day, SUM(x.act), SUM(x.person), {sums}, MAX(x.est) = 1
        FROM (
            SELECT day, CASE WHEN active THEN 1 ELSE 0 END AS act, 1 AS person, {", ".join(METRICS)},
                   CASE WHEN cost_is_estimate THEN 1 ELSE 0 END AS est
            FROM {ToolDay._meta.db_table}
            WHERE organization_id = %(org)s AND tool = %(tool)s AND day BETWEEN %(start)s AND %(end)s
            UNION ALL
            SELECT k.day, 0, 0, {", ".join(f"k.{m}" for m in METRICS)}, k.est
            FROM ({_claude_code_union(API_KEYS)}) k
        ) x
        GROUP BY x.day
    """


def link_claude_code_actors(organization_id: int, start: date, end: date) -> int:
    """Point each user actor's rows of start..end at the person with their email
    (`people.services.people_for_emails`, named from the roster). API-key actors never get a
    person. Re-run on every refresh, so an alias added later moves the rows."""
    emails = set(
        ClaudeCodeActorDay.objects.filter(
            organization_id=organization_id, day__range=(start, end), actor_type="user_actor"
        ).values_list("email", flat=True)
    )
    model_keys = set(
        ClaudeCodeModelDay.objects.filter(
            organization_id=organization_id, day__range=(start, end), actor_type="user_actor"
        ).values_list("actor_key", flat=True)
    )
    emails |= {k.removeprefix("user:") for k in model_keys if "@" in k and not k.startswith("user:deleted:")}
    names = dict(
        ClaudeCodeUser.objects.filter(organization_id=organization_id)
        .exclude(name="")
        .values_list("email", "name")
    )
    people_for_emails(organization_id, emails, names=names)  # creates the people not known yet
    # Then one set-based UPDATE per table (a statement per email would cost minutes at 1,000 users).
    person_of = f"""(SELECT pe.person_id FROM {PersonEmail._meta.db_table} pe
                    WHERE pe.organization_id = %(org)s AND pe.email = {{email}})"""
    statements = [
        (ClaudeCodeActorDay, "t.email", "AND t.day BETWEEN %(start)s AND %(end)s AND t.actor_type = 'user_actor'"),
        (ClaudeCodeModelDay, "SUBSTR(t.actor_key, 6)",
         "AND t.day BETWEEN %(start)s AND %(end)s AND t.actor_type = 'user_actor'"),
        (ClaudeCodeUser, "t.email", ""),
    ]  # fmt: skip
    moved = 0
    params = {"org": organization_id, "start": start, "end": end}
    with connection.cursor() as cursor:
        for model, email, where in statements:
            table = model._meta.db_table
            # No alias on the target: SQLite's UPDATE takes none, so `t` is the table's own name.
            sql = (
                f"UPDATE {table} SET person_id = {person_of.format(email=email.replace('t.', table + '.'))} "
                f"WHERE {table}.organization_id = %(org)s {where.replace('t.', table + '.')}"
            )
            cursor.execute(sql, params)
            moved += cursor.rowcount
    return moved


def refresh_claude_code_tool_days(organization_id: int, start: date, end: date) -> None:
    """Rebuild Claude Code's ToolDay and ToolOrgDay rows for start..end from its raw tables.

    A person's day sums their local and remote rows and every model; `cost_is_estimate` is set
    when any of the day's cost is an estimate. API-key actors have no ToolDay row (they are not
    people) but are counted in ToolOrgDay's sums, so the organization's cost is whole.
    """
    if start > end:
        return
    link_claude_code_actors(organization_id, start, end)
    params = {"org": organization_id, "tool": Tool.CLAUDE_CODE.value, "start": start, "end": end}
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (ToolDay, ToolOrgDay):
            model.objects.filter(
                organization_id=organization_id, tool=Tool.CLAUDE_CODE, day__range=(start, end)
            ).delete()
        cursor.execute(_claude_code_fact_sql(), params)
        cursor.execute(_claude_code_org_sql(), params)
        _rebuild_team_days(cursor, params)
