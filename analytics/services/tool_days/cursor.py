"""Cursor onto ToolDay: read from Cursor's per-member daily rollup."""

from datetime import date

from django.db import connection, transaction

from people.services import people_for_emails

from ...models import CursorMember, MemberDailyRollup, Tool, ToolDay, ToolOrgDay
from .base import METRICS, org_rollup_sql, rebuild_team_days

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
assert list(CURSOR_TO_TOOL_DAY) == METRICS  # the same neutral names, in the same order  # nosec B101  # an import-time check that the mapping names the neutral metrics in order


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
        cursor.execute(org_rollup_sql(), params)
        rebuild_team_days(cursor, params)
