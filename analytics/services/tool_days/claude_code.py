"""Claude Code onto ToolDay: read from its actor-day and model-day rows. API-key actors are
not people: no ToolDay row, but their usage counts in the organization's ToolOrgDay."""

from datetime import date

from django.db import connection, transaction

from people.models import PersonEmail
from people.services import people_for_emails

from ...models import ClaudeCodeActorDay, ClaudeCodeModelDay, ClaudeCodeUser, Tool, ToolDay, ToolOrgDay
from ..tool_totals import rebuild_claude_code_day_totals
from .base import METRICS, rebuild_team_days

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
assert list(CLAUDE_CODE_TO_TOOL_DAY) == METRICS  # nosec B101  # an import-time check that the mapping names the neutral metrics in order


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
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


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
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


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
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


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
                    WHERE pe.organization_id = %(org)s AND pe.email = {{email}})"""  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
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
                f"WHERE {table}.organization_id = %(org)s {where.replace('t.', table + '.')}"  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
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
        rebuild_team_days(cursor, params)
        rebuild_claude_code_day_totals(cursor, organization_id, start, end)  # the Tools page's own sums
