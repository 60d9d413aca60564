"""How fresh each connected tool's figures are: data through, last successful sync, next sync.

One query for every tool of an organization (its connections, each annotated with the newest
day of its `ToolOrgDay` facts; the unique index on (organization, tool, day) answers it), so
every analytics page can say it next to the date range. The next sync is computed from the
beat schedule in settings (`CELERY_BEAT_SCHEDULE`); in the embedded mode (no REDIS_URL: tasks
run in-process and no beat runs) nothing is scheduled and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery

from analytics import freshness as rules
from analytics.models import ToolOrgDay

from .models import Connection, Provider

# The beat task that queues each tool's hourly sync, and the command that syncs it by hand.
SYNC_TASKS = {
    Provider.CURSOR: "integrations.tasks.enqueue_hourly_syncs",
    Provider.COPILOT: "integrations.tasks.enqueue_hourly_copilot_syncs",
    Provider.CLAUDE_CODE: "integrations.tasks.enqueue_hourly_claude_code_syncs",
}
SYNC_COMMANDS = {
    Provider.CURSOR: "python manage.py sync_cursor --org {slug}",
    Provider.COPILOT: "python manage.py sync_copilot --org {slug}",
    Provider.CLAUDE_CODE: "python manage.py sync_claude_code --org {slug}",
}
ORDER = (Provider.CURSOR, Provider.COPILOT, Provider.CLAUDE_CODE)
SEARCH_DAYS = 370  # a crontab that fires at least once a year is found


@dataclass(frozen=True)
class ToolFreshness:
    tool: str
    label: str
    data_through: date | None  # the last complete UTC day with data
    last_synced_at: datetime | None  # the last successful sync
    last_synced_ago: str  # "14 min ago", "never"
    next_sync_at: datetime | None  # None: nothing scheduled (embedded mode, paused key)
    next_sync_text: str  # the same in plain words: "Next sync 13:07 UTC (in 12 min)"
    next_sync_in: str  # "in 12 min"; "" when nothing is scheduled
    command: str  # the command that syncs the tool by hand
    provisional_from: date  # the first day a later sync may still revise
    paused: bool


@dataclass(frozen=True)
class Freshness:
    tools: tuple[ToolFreshness, ...]
    scheduled: bool  # a beat runs (REDIS_URL set); False in the embedded mode
    today: date
    # The organization's connections by provider (key column deferred), so the page's other
    # reads of them (the dashboard's sync state) need no query of their own.
    connections: dict = field(default_factory=dict, compare=False, repr=False)

    def provisional_by_tool(self) -> dict[str, date]:
        return {t.tool: t.provisional_from for t in self.tools}

    def provisional_from(self, tool: str) -> date:
        """A tool's first provisional day; the default rule for a tool that is not connected."""
        for entry in self.tools:
            if entry.tool == tool:
                return entry.provisional_from
        return rules.provisional_from(tool, self.today)

    def earliest_provisional(self) -> date:
        """For a chart that sums every tool: provisional from the earliest tool's window."""
        days = [t.provisional_from for t in self.tools] or [rules.provisional_from(rules.CURSOR, self.today)]
        return min(days)


def beat_scheduled() -> bool:
    """Whether a beat schedules syncs: not in the embedded mode, where tasks run eagerly."""
    return bool(settings.REDIS_URL) and not settings.CELERY_TASK_ALWAYS_EAGER


def tool_freshness(org, *, now: datetime) -> Freshness:
    """Every connected tool's freshness, in one query (scoped by the organization)."""
    now = now.astimezone(UTC)
    today = now.date()
    newest_day = (
        ToolOrgDay.objects.filter(organization=org, tool=OuterRef("provider"))
        .order_by("-day")
        .values("day")[:1]
    )
    connections = (
        Connection.objects.filter(organization=org)
        .defer("encrypted_api_key")
        .annotate(newest_day=Subquery(newest_day))
    )
    scheduled = beat_scheduled()
    by_tool = {c.provider: c for c in connections}
    entries = []
    for tool in ORDER:
        conn = by_tool.get(tool)
        if conn is None:
            continue
        last = conn.last_synced_at
        paused = conn.status == Connection.Status.KEY_REJECTED
        next_at = None if paused or not scheduled else next_run(SYNC_TASKS[tool], now)
        command = SYNC_COMMANDS[tool].format(slug=org.slug)
        source = (conn.config or {}).get("source", "") if isinstance(conn.config, dict) else ""
        entries.append(
            ToolFreshness(
                tool=tool,
                label=Provider(tool).label,
                data_through=rules.data_through(conn.newest_day, today),
                last_synced_at=last,
                last_synced_ago=ago(last, now),
                next_sync_at=next_at,
                next_sync_text=_next_text(command, next_at, now, paused=paused, scheduled=scheduled),
                next_sync_in=_in(next_at, now) if next_at else "",
                command=command,
                provisional_from=rules.provisional_from(
                    tool, today, last_sync_day=last.astimezone(UTC).date() if last else None, source=source
                ),
                paused=paused,
            )
        )
    return Freshness(tools=tuple(entries), scheduled=scheduled, today=today, connections=by_tool)


def ago(moment: datetime | None, now: datetime) -> str:
    """ "just now", "14 min ago", "3 h ago", "2 days ago"; "never" for None."""
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def _in(moment: datetime, now: datetime) -> str:
    minutes = max(0, int((moment - now).total_seconds() // 60))
    if minutes < 1:
        return "in under a minute"
    if minutes < 120:
        return f"in {minutes} min"
    return f"in {minutes // 60} h"


def _next_text(
    command: str, next_at: datetime | None, now: datetime, *, paused: bool, scheduled: bool
) -> str:
    if paused:
        return "Syncs paused: the key was rejected"
    if not scheduled:
        return f"No scheduled sync in this mode: run {command}"
    if next_at is None:
        return "No sync scheduled"
    return f"Next sync {next_at:%H:%M} UTC ({_in(next_at, now)})"


def next_run(task: str, now: datetime) -> datetime | None:
    """When the beat next runs `task` after `now` (UTC), from CELERY_BEAT_SCHEDULE; None if no
    entry runs it."""
    times = [
        _next_fire(entry["schedule"], now)
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry.get("task") == task
    ]
    times = [t for t in times if t is not None]
    return min(times) if times else None


def _next_fire(schedule, now: datetime) -> datetime | None:
    """The first moment strictly after `now` a crontab fires; for an interval, `now` plus it
    (beat counts intervals from its own start, which a page cannot know)."""
    if isinstance(schedule, int | float):
        return now + timedelta(seconds=schedule)
    if isinstance(schedule, timedelta):
        return now + schedule
    run_every = getattr(schedule, "run_every", None)
    if not hasattr(schedule, "minute") and isinstance(run_every, timedelta):
        return now + run_every
    if not all(
        hasattr(schedule, a) for a in ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
    ):
        return None
    minutes = sorted(schedule.minute)
    hour = now.replace(minute=0, second=0, microsecond=0)
    for _ in range(SEARCH_DAYS * 24):
        if (
            hour.hour in schedule.hour
            and hour.month in schedule.month_of_year
            and hour.day in schedule.day_of_month
            and hour.isoweekday() % 7 in schedule.day_of_week  # celery: 0 is Sunday
        ):
            for minute in minutes:
                moment = hour.replace(minute=minute)
                if moment > now:
                    return moment
        hour += timedelta(hours=1)
    return None
