"""Reads for the integration pages and the progress endpoint.

Every query here is scoped by the organization passed in; nothing here returns the key
(the view-models carry `api_key_last4` at most).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Max, Min
from django.urls import reverse

from analytics.models import DailyUsage

from .cursor.sync.progress import STREAM_LABELS
from .key_check import ADMIN_PLAN_NOTE, ENTERPRISE_NOTE
from .models import AuditLogEntry, Connection, Provider, SyncRun

STATUS_BADGE = {
    Connection.Status.PENDING: "badge-warn",
    Connection.Status.SYNCING: "badge-warn",
    Connection.Status.HEALTHY: "badge-ok",
    Connection.Status.FAILING: "badge-error",
    Connection.Status.KEY_REJECTED: "badge-error",
}
RUN_BADGE = {
    SyncRun.Status.QUEUED: "badge-warn",
    SyncRun.Status.RUNNING: "badge-warn",
    SyncRun.Status.SUCCEEDED: "badge-ok",
    SyncRun.Status.PARTIAL: "badge-warn",
    SyncRun.Status.FAILED: "badge-error",
}
CAPABILITIES = [
    ("admin", "Admin API", ""),
    ("analytics", "Analytics API", "needs Enterprise"),
    ("ai_code", "AI Code Tracking", "needs Enterprise"),
]
RECENT_RUNS = 10


def cursor_connection(
    org_or_id, *, for_update: bool = False, only: Iterable[str] | None = None
) -> Connection | None:
    """The organization's Cursor connection (an organization has at most one), or None.

    The one place it is looked up. `org_or_id` is an Organization or its id. `for_update`
    locks the row until the surrounding transaction ends; `only` loads just those fields.
    """
    connections = Connection.objects.filter(organization=org_or_id, provider=Provider.CURSOR)
    if for_update:
        connections = connections.select_for_update()
    if only is not None:
        connections = connections.only(*only)
    return connections.first()


_LOOK_IT_UP = object()


def connection_status(org, *, connection=_LOOK_IT_UP) -> dict:
    """The Cursor connection's state for the dashboard's empty and partial states, and the
    latest sync run while one is under way (two queries at most). A page that has already
    read the organization's Cursor connection passes it (or None: not connected)."""
    if connection is _LOOK_IT_UP:
        connection = cursor_connection(
            org, only=("id", "status", "last_synced_at", "capabilities", "stream_status", "last_error")
        )
    conn = connection
    syncing = conn is not None and conn.status in (Connection.Status.PENDING, Connection.Status.SYNCING)
    run = None
    if syncing:
        run = SyncRun.objects.filter(organization=org, connection=conn).order_by("-created_at", "-pk").first()
    return {
        "connection": conn,
        "connected": conn is not None,
        "status": conn.status if conn else None,
        "syncing": syncing,
        "key_rejected": bool(conn and conn.status == Connection.Status.KEY_REJECTED),
        "failing": bool(conn and conn.status == Connection.Status.FAILING),
        "run": run,
        "percent": run.percent if run else 0,
    }


@dataclass(frozen=True)
class Coverage:
    first_day: date | None
    last_day: date | None

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1 if self.first_day and self.last_day else 0


def data_coverage(organization) -> Coverage:
    """First and last UTC day of daily usage stored for the organization."""
    agg = DailyUsage.objects.filter(organization=organization).aggregate(first=Min("day"), last=Max("day"))
    return Coverage(agg["first"], agg["last"])


@dataclass(frozen=True)
class StreamProgress:
    key: str
    label: str
    status: str
    rows: int
    done: int
    total: int
    note: str


def stream_progress(run: SyncRun | None) -> list[StreamProgress]:
    if run is None:
        return []
    order = {k: i for i, k in enumerate(STREAM_LABELS)}
    items = sorted(
        ((k, v) for k, v in (run.progress or {}).items() if isinstance(v, dict)),
        key=lambda kv: (order.get(kv[0], len(order)), kv[0]),
    )
    return [
        StreamProgress(
            key=k,
            label=STREAM_LABELS.get(k, k.replace("_", " ").capitalize()),
            status=str(v.get("status", "")),
            rows=int(v.get("rows") or 0),
            done=int(v.get("done") or 0),
            total=int(v.get("total") or 0),
            note=str(v.get("note") or ""),
        )
        for k, v in items
    ]


@dataclass(frozen=True)
class RunRow:
    run: SyncRun
    badge: str
    rows: int
    duration_seconds: int | None


def _run_row(run: SyncRun) -> RunRow:
    duration = None
    if run.started_at and run.finished_at:
        duration = max(0, int((run.finished_at - run.started_at).total_seconds()))
    return RunRow(run, RUN_BADGE.get(run.status, ""), sum(run.rows_stored.values()), duration)


@dataclass(frozen=True)
class Capability:
    key: str
    label: str
    available: bool
    missing_note: str


@dataclass(frozen=True)
class ConnectionPage:
    connection: Connection
    status_badge: str
    active_run: SyncRun | None
    percent: int
    streams: list[StreamProgress]
    coverage: Coverage
    capabilities: list[Capability]
    recent_runs: list[RunRow] = field(default_factory=list)

    @property
    def key_display(self) -> str:
        return f"••••{self.connection.api_key_last4}"

    @property
    def plan_note(self) -> str:
        """Why some streams are missing, in the words shown when the key was saved."""
        available = {c.key: c.available for c in self.capabilities}
        if not available.get("admin"):
            return ADMIN_PLAN_NOTE
        return "" if all(available.values()) else ENTERPRISE_NOTE

    @property
    def last_synced_at(self) -> datetime | None:
        return self.connection.last_synced_at


def capabilities_of(connection: Connection) -> list[Capability]:
    caps = connection.capabilities or {}
    return [Capability(k, label, bool(caps.get(k)), note) for k, label, note in CAPABILITIES]


def active_run(organization) -> SyncRun | None:
    return SyncRun.objects.filter(
        organization=organization, provider=Provider.CURSOR, status__in=SyncRun.ACTIVE_STATUSES
    ).first()


def connection_page(organization) -> ConnectionPage | None:
    """Everything the Cursor connection page shows, or None when Cursor is not connected."""
    connection = cursor_connection(organization)
    if connection is None:
        return None
    runs = list(SyncRun.objects.filter(organization=organization, provider=Provider.CURSOR)[:RECENT_RUNS])
    current = next((r for r in runs if r.is_active), None) or active_run(organization)
    return ConnectionPage(
        connection=connection,
        status_badge=STATUS_BADGE.get(connection.status, ""),
        active_run=current,
        percent=current.percent if current else 0,
        streams=stream_progress(current or (runs[0] if runs else None)),
        coverage=data_coverage(organization),
        capabilities=capabilities_of(connection),
        recent_runs=[_run_row(r) for r in runs],
    )


def progress_payload(organization) -> dict | None:
    """The JSON the connection page polls: the latest run and the connection's status."""
    connection = cursor_connection(organization)
    if connection is None:
        return None
    run = SyncRun.objects.filter(organization=organization, provider=Provider.CURSOR).first()
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
            "streams": [
                {
                    "key": s.key,
                    "label": s.label,
                    "status": s.status,
                    "rows": s.rows,
                    "done": s.done,
                    "total": s.total,
                    "note": s.note,
                }
                for s in stream_progress(run)
            ],
        }
    return payload


def audit_log(organization, limit: int = 200):
    return AuditLogEntry.objects.filter(organization=organization).select_related("actor")[:limit]


@dataclass(frozen=True)
class ProviderRow:
    key: str
    name: str
    available: bool
    connected: bool
    status: str = ""
    status_label: str = ""
    status_badge: str = ""
    detail_url: str = ""
    connect_url: str = ""


def _provider_row(key: str, name: str, connection: Connection | None) -> ProviderRow:
    return ProviderRow(
        key=key,
        name=name,
        available=True,
        connected=connection is not None,
        status=connection.status if connection else "",
        status_label=connection.get_status_display() if connection else "",
        status_badge=STATUS_BADGE.get(connection.status, "") if connection else "",
        detail_url=reverse(f"integrations:{key}_detail"),
        connect_url=reverse(f"integrations:{key}_connect"),
    )


def ai_tools(organization) -> list[ProviderRow]:
    """The "AI Tools" section of the integrations page: the tools one can connect, then what is
    coming. One query for every connection of the organization."""
    connections = {c.provider: c for c in Connection.objects.filter(organization=organization)}
    return [
        _provider_row("cursor", "Cursor", connections.get(Provider.CURSOR)),
        _provider_row("copilot", "GitHub Copilot", connections.get(Provider.COPILOT)),
        _provider_row("claude_code", "Claude Code", connections.get(Provider.CLAUDE_CODE)),
    ]
