"""Reads for the Claude Code connection pages and their progress endpoint. Every query is scoped
by the organization passed in; nothing here returns the key (its last four characters at most)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max, Min

from analytics.models import ClaudeCodeFetchedDay
from analytics.selectors.claude_code import roster_gap as usage_roster_gap
from integrations.models import Connection, Provider, SyncRun
from integrations.selectors import STATUS_BADGE, Coverage, RunRow, StreamProgress, _run_row

from .client import CONSOLE
from .progress import STREAM_LABELS, STREAMS
from .services import SOURCE_LABELS, claude_code_connection

RECENT_RUNS = 10


def coverage(organization) -> Coverage:
    """First and last UTC day fetched from Anthropic."""
    agg = ClaudeCodeFetchedDay.objects.filter(
        organization=organization, stream__in=("usage", "activity")
    ).aggregate(first=Min("day"), last=Max("day"))
    return Coverage(agg["first"], agg["last"])


def stream_progress(run: SyncRun | None) -> list[StreamProgress]:
    if run is None:
        return []
    progress = run.progress or {}
    return [
        StreamProgress(
            key=key,
            label=STREAM_LABELS[key],
            status=str(progress[key].get("status", "")),
            rows=int(progress[key].get("rows") or 0),
            done=int(progress[key].get("done") or 0),
            total=int(progress[key].get("total") or 0),
            note=str(progress[key].get("note") or ""),
        )
        for key in STREAMS
        if isinstance(progress.get(key), dict)
    ]


@dataclass(frozen=True)
class RosterGap:
    """The Console report's known gap (docs/claude-code-api.md §3.4): members who never appear."""

    members: int
    never_in_usage: int


@dataclass(frozen=True)
class ClaudeCodePage:
    connection: Connection
    status_badge: str
    active_run: SyncRun | None
    percent: int
    streams: list[StreamProgress]
    coverage: Coverage
    gap: RosterGap | None
    recent_runs: list[RunRow] = field(default_factory=list)

    @property
    def key_display(self) -> str:
        return f"••••{self.connection.api_key_last4}"

    @property
    def source(self) -> str:
        return (self.connection.config or {}).get("source", CONSOLE)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, "")


def roster_gap(organization) -> RosterGap | None:
    """The roster's size and its members never seen in the usage: one query of anti-joins,
    the same read as the Tools page's (analytics.selectors.claude_code.roster_gap)."""
    gap = usage_roster_gap(organization)
    return None if gap is None else RosterGap(gap["members"], gap["never_in_usage"])


def _runs(organization):
    return SyncRun.objects.filter(organization=organization, provider=Provider.CLAUDE_CODE)


def connection_page(organization) -> ClaudeCodePage | None:
    connection = claude_code_connection(organization)
    if connection is None:
        return None
    runs = list(_runs(organization)[:RECENT_RUNS])
    current = (
        next((r for r in runs if r.is_active), None)
        or _runs(organization).filter(status__in=SyncRun.ACTIVE_STATUSES).first()
    )
    is_console = (connection.config or {}).get("source", CONSOLE) == CONSOLE
    return ClaudeCodePage(
        connection=connection,
        status_badge=STATUS_BADGE.get(connection.status, ""),
        active_run=current,
        percent=current.percent if current else 0,
        streams=stream_progress(current or (runs[0] if runs else None)),
        coverage=coverage(organization),
        gap=roster_gap(organization) if is_console else None,
        recent_runs=[_run_row(r) for r in runs],
    )


def progress_payload(organization) -> dict | None:
    connection = claude_code_connection(organization)
    if connection is None:
        return None
    run = _runs(organization).first()
    payload = {
        "connection": {
            "status": connection.status,
            "status_label": connection.get_status_display(),
            "last_error": connection.last_error,
            "last_synced_at": connection.last_synced_at.isoformat() if connection.last_synced_at else None,
        },
        "run": None,
    }
    if run is not None:
        payload["run"] = {
            "id": run.pk,
            "status": run.status,
            "status_label": run.get_status_display(),
            "trigger": run.trigger,
            "active": run.is_active,
            "percent": run.percent,
            "message": run.message,
            "streams": [s.__dict__ for s in stream_progress(run)],
        }
    return payload
