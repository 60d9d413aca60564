"""Reads for the Copilot connection pages and their progress endpoint. Every query is scoped by
the organization passed in; nothing here returns the token (its last four characters at most)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max, Min

from analytics.models import CopilotReportDay
from integrations.models import Connection, Provider, SyncRun
from integrations.selectors import STATUS_BADGE, Coverage, RunRow, StreamProgress, _run_row

from .progress import STREAM_LABELS, STREAMS
from .services import copilot_connection

RECENT_RUNS = 10


def coverage(organization) -> Coverage:
    """First and last UTC day with a per-user report stored."""
    agg = CopilotReportDay.objects.filter(
        organization=organization, report="users", status="reported"
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
class CopilotPage:
    connection: Connection
    status_badge: str
    active_run: SyncRun | None
    percent: int
    streams: list[StreamProgress]
    coverage: Coverage
    recent_runs: list[RunRow] = field(default_factory=list)

    @property
    def token_display(self) -> str:
        return f"••••{self.connection.api_key_last4}"

    @property
    def scope_label(self) -> str:
        config = self.connection.config or {}
        kind = "Organization" if config.get("scope") == "org" else "Enterprise"
        return f"{kind} {config.get('slug', '')}"

    @property
    def seat_count(self):
        return (self.connection.capabilities or {}).get("seat_count")


def _runs(organization):
    return SyncRun.objects.filter(organization=organization, provider=Provider.COPILOT)


def connection_page(organization) -> CopilotPage | None:
    connection = copilot_connection(organization)
    if connection is None:
        return None
    runs = list(_runs(organization)[:RECENT_RUNS])
    current = (
        next((r for r in runs if r.is_active), None)
        or _runs(organization).filter(status__in=SyncRun.ACTIVE_STATUSES).first()
    )
    return CopilotPage(
        connection=connection,
        status_badge=STATUS_BADGE.get(connection.status, ""),
        active_run=current,
        percent=current.percent if current else 0,
        streams=stream_progress(current or (runs[0] if runs else None)),
        coverage=coverage(organization),
        recent_runs=[_run_row(r) for r in runs],
    )


def progress_payload(organization) -> dict | None:
    connection = copilot_connection(organization)
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
