"""GitHub Copilot onto ToolDay: read from its per-user daily report rows."""

from datetime import date

from django.db import connection, transaction

from people.services import people_for_github_logins

from ...models import CopilotSeat, CopilotUserDay, Tool, ToolDay, ToolOrgDay
from ..tool_totals import rebuild_copilot_day_totals
from .base import METRICS, org_rollup_sql, rebuild_team_days

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
assert list(COPILOT_TO_TOOL_DAY) == METRICS  # the same neutral names, in the same order  # nosec B101  # an import-time check that the mapping names the neutral metrics in order


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
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter


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
        cursor.execute(org_rollup_sql(), params)
        rebuild_team_days(cursor, params)
        rebuild_copilot_day_totals(cursor, organization_id, start, end)  # the Tools page's acceptance
