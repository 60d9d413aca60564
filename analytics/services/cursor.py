"""Writes of synced Cursor data into the analytics tables.

Every function takes the organization id explicitly and every row it writes carries it; every
query filters on it. Writes are batched upserts (analytics.bulk) keyed on the models' unique
constraints, so running the same sync twice, or finishing a sync a killed worker started,
leaves exactly the rows one clean run would.

Inputs are normalized Cursor records, read by attribute (the Cursor client's frozen
dataclasses; this layer does not import the client): emails are lowercase, days UTC dates,
money Decimal. Each function's docstring names what it reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from ..models import (
    AiChange,
    AiCommit,
    CursorMember,
    DailyUsage,
    MemberDailyRollup,
    SpendSnapshot,
    TeamAnalytics,
)
from .bulk import insert_new, upsert
from .directory import MEMBER_COLUMNS, MemberDirectory, clip

logger = logging.getLogger(__name__)


def upsert_members(organization_id: int, members: Iterable) -> int:
    """Store the /teams/members roster. People missing from it are flagged ``not_in_roster``.

    Removed members stay on Cursor's roster with isRemoved, so they keep their history here too.
    """
    now = timezone.now()
    rows = [
        (organization_id, m.email, m.user_id, m.name, m.role, m.is_removed, False, now, now)
        for m in members
        if m.email
    ]
    if not rows:
        # An empty roster is more likely a glitch than a team of nobody: change nothing.
        return 0
    stored = upsert(
        CursorMember,
        MEMBER_COLUMNS,
        rows,
        conflict=["organization_id", "email"],
        update=["cursor_user_id", "name", "role", "is_removed", "not_in_roster", "updated_at"],
    )
    roster = {r[1] for r in rows}
    (
        CursorMember.objects.filter(organization_id=organization_id, not_in_roster=False)
        .exclude(email__in=roster)
        .update(not_in_roster=True, updated_at=now)
    )
    return stored


DAILY_USAGE_COUNTERS = [
    "total_lines_added", "total_lines_deleted", "accepted_lines_added", "accepted_lines_deleted",
    "total_applies", "total_accepts", "total_rejects", "total_tabs_shown", "total_tabs_accepted",
    "composer_requests", "chat_requests", "agent_requests", "cmdk_usages",
    "subscription_included_reqs", "api_key_reqs", "usage_based_reqs", "bugbot_usages",
]  # fmt: skip
DAILY_TEXT = ["most_used_model", "apply_most_used_extension", "tab_most_used_extension", "client_version"]
DAILY_VALUES = ["is_active", *DAILY_USAGE_COUNTERS, *DAILY_TEXT]


def _skipped(on_skip: Callable[[int], None] | None, n: int, what: str) -> None:
    if n:
        logger.warning("cursor sync: skipped %d %s that cannot be placed", n, what)
        if on_skip is not None:
            on_skip(n)


def upsert_daily_usage(
    organization_id: int,
    rows: Iterable,
    directory: MemberDirectory,
    *,
    on_skip: Callable[[int], None] | None = None,
) -> int:
    """Store /teams/daily-usage-data rows; a re-fetched day overwrites its counters in place.

    A row without an email is placed by its Cursor user id; one matching nobody is skipped.
    """
    rows = list(rows)
    placed = []
    for r in rows:
        email = r.email or directory.email_for_user_id(r.user_id)
        if email:
            placed.append((email, r))
    _skipped(on_skip, len(rows) - len(placed), "daily usage rows")
    ids = directory.ensure({email for email, _ in placed})
    values = (
        (
            organization_id,
            ids[email],
            r.day,
            r.is_active,
            *(getattr(r, c) for c in DAILY_USAGE_COUNTERS),
            clip(r.most_used_model, 100),
            clip(r.apply_most_used_extension, 50),
            clip(r.tab_most_used_extension, 50),
            clip(r.client_version, 50),
        )
        for email, r in placed
    )
    return upsert(
        DailyUsage,
        ["organization_id", "member_id", "day", *DAILY_VALUES],
        values,
        conflict=["organization_id", "member_id", "day"],
        update=DAILY_VALUES,
    )


# --- Spend, analytics, AI code ---------------------------------------------------------------

SPEND_VALUES = [
    "spend_cents", "overall_spend_cents", "fast_premium_requests", "hard_limit_override_dollars",
    "monthly_limit_dollars", "effective_per_user_limit_dollars", "captured_at",
]  # fmt: skip


def upsert_spend(organization_id: int, report, directory: MemberDirectory, *, captured_at: datetime) -> int:
    """Snapshot each member's spend for the current cycle; the latest snapshot per cycle wins,
    and earlier cycles' rows stay, so spend history builds up cycle by cycle."""
    members = [m for m in report.members if m.email]
    ids = directory.ensure({m.email for m in members})
    rows = (
        (
            organization_id,
            ids[m.email],
            report.cycle_start,
            m.spend_cents,
            m.overall_spend_cents,
            m.fast_premium_requests,
            m.hard_limit_override_dollars,
            m.monthly_limit_dollars,
            m.effective_per_user_limit_dollars,
            captured_at,
        )  # fmt: skip
        for m in members
    )
    return upsert(
        SpendSnapshot,
        ["organization_id", "member_id", "cycle_start", *SPEND_VALUES],
        rows,
        conflict=["organization_id", "member_id", "cycle_start"],
        update=SPEND_VALUES,
    )


def upsert_team_analytics(
    organization_id: int,
    rows: Iterable,
    *,
    on_skip: Callable[[int], None] | None = None,
) -> int:
    """Store Analytics API team rows (long format); rows without a day cannot be placed."""
    rows = list(rows)
    values = [
        (organization_id, r.metric, r.day, clip(r.key, 200), _json_numbers(r.values))
        for r in rows
        if r.day is not None
    ]
    _skipped(on_skip, len(rows) - len(values), "analytics rows without a day")
    return upsert(
        TeamAnalytics,
        ["organization_id", "metric", "day", "key", "values"],
        values,
        conflict=["organization_id", "metric", "day", "key"],
        update=["values"],
    )


def _json_numbers(value):
    """Decimals (how the client parses numbers) as JSON numbers: ints stay ints."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    return value


AI_COMMIT_VALUES = [
    "member_id", "email", "repo_name", "branch_name", "is_primary_branch", "commit_source",
    "total_lines_added", "total_lines_deleted", "tab_lines_added", "tab_lines_deleted",
    "composer_lines_added", "composer_lines_deleted", "non_ai_lines_added", "non_ai_lines_deleted",
    "message", "commit_ts", "day",
]  # fmt: skip


# The unique keys upserts conflict on; they include `day`, the partition key (models/cursor.py).
AI_COMMIT_CONFLICT = ["organization_id", "day", "commit_hash", "ingested_at"]
AI_CHANGE_CONFLICT = ["organization_id", "day", "change_id"]


def upsert_ai_commits(organization_id: int, commits: Iterable, directory: MemberDirectory) -> int:
    """Store AI Code Tracking commits; an amended commit (same hash, new ingestion) is a new row."""
    commits = list(commits)
    ids = directory.ensure({c.email for c in commits})
    rows = (
        (
            organization_id,
            c.commit_hash,
            c.created_at,
            ids.get(c.email),
            c.email,
            clip(c.repo_name, 300),
            clip(c.branch_name, 300),
            c.is_primary_branch,
            clip(c.commit_source, 10),
            c.total_lines_added,
            c.total_lines_deleted,
            c.tab_lines_added,
            c.tab_lines_deleted,
            c.composer_lines_added,
            c.composer_lines_deleted,
            c.non_ai_lines_added,
            c.non_ai_lines_deleted,
            c.message or "",
            c.commit_ts,
            (c.commit_ts or c.created_at).date(),
        )  # fmt: skip
        for c in commits
        if c.commit_hash
    )
    # A backfill's commits are new: COPY them straight in (insert_new upserts instead as soon
    # as one is stored already, e.g. a re-fetched window).
    return insert_new(
        AiCommit,
        ["organization_id", "commit_hash", "ingested_at", *AI_COMMIT_VALUES],
        list(rows),
        conflict=AI_COMMIT_CONFLICT,
        update=AI_COMMIT_VALUES,
    )


AI_CHANGE_VALUES = [
    "member_id", "email", "source", "model", "total_lines_added", "total_lines_deleted",
    "created_at", "day", "metadata",
]  # fmt: skip


def upsert_ai_changes(organization_id: int, changes: Iterable, directory: MemberDirectory) -> int:
    changes = list(changes)
    ids = directory.ensure({c.email for c in changes})
    rows = (
        (
            organization_id,
            c.change_id,
            ids.get(c.email),
            c.email,
            clip(c.source, 10),
            clip(c.model, 100),
            c.total_lines_added,
            c.total_lines_deleted,
            c.created_at,
            c.created_at.date(),
            list(c.metadata or []),
        )  # fmt: skip
        for c in changes
        if c.change_id
    )
    # New changes are COPied straight in, stored ones upserted (see upsert_ai_commits).
    return insert_new(
        AiChange,
        ["organization_id", "change_id", *AI_CHANGE_VALUES],
        list(rows),
        conflict=AI_CHANGE_CONFLICT,
        update=AI_CHANGE_VALUES,
    )


# --- Member activity -------------------------------------------------------------------------


def refresh_member_activity(organization_id: int, start: date, end: date) -> int:
    """Widen members' first_seen / last_seen from their days in start..end.

    first_seen is the first day the member appears in Cursor's data at all: paginated daily
    usage lists every member with a zero row for each day they were on the team, so a seat
    that was never used still has a first day (and counts as idle from it). last_seen is the
    last active day (a daily row marked active or any usage event).

    Reads the per-member rollup, so call it after analytics.rollups.refresh_rollups for the
    same days. One UPDATE, portable between PostgreSQL and SQLite.
    """
    member_table = CursorMember._meta.db_table
    rollup_table = MemberDailyRollup._meta.db_table
    sql = f"""
        UPDATE {member_table} SET
            first_seen = CASE WHEN first_seen IS NULL OR activity.first_day < first_seen
                              THEN activity.first_day ELSE first_seen END,
            last_seen = CASE WHEN activity.last_day IS NOT NULL
                              AND (last_seen IS NULL OR activity.last_day > last_seen)
                             THEN activity.last_day ELSE last_seen END
        FROM (
            SELECT member_id, MIN(day) AS first_day,
                   MAX(CASE WHEN is_active THEN day END) AS last_day
            FROM {rollup_table}
            WHERE organization_id = %s AND day BETWEEN %s AND %s
            GROUP BY member_id
        ) AS activity
        WHERE {member_table}.id = activity.member_id AND {member_table}.organization_id = %s
    """  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization_id, start, end, organization_id])
        return cursor.rowcount
