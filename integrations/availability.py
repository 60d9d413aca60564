"""Which of a tool's figures the organization's plan provides.

Cursor's AI Code Tracking API and Analytics API are Enterprise only (docs/cursor-api.md
§1.2): a Team-plan key gets 401/403 for them, key validation records that in
`Connection.capabilities` and the sync in `stream_status` ("unavailable"). Pages and the API
read this to say "Not available on your plan" instead of showing an empty figure as 0.
"""

from dataclasses import dataclass

from .selectors import cursor_connection

# Cursor stream → the metric keys (analytics.metrics) it alone provides.
CURSOR_GATED = {
    "ai_code": (
        "ai_share",
        "ai_commits",
        "committed_lines",
        "tab_lines_committed",
        "agent_lines_committed",
        "non_ai_lines_committed",
        "agent_tab_lines",
    ),  # fmt: skip
    "analytics": ("analytics_value",),
}
PLAN_NAMES = {"ai_code": "AI Code Tracking", "analytics": "the Analytics API"}
NOT_ON_PLAN = "Not available on your plan"


@dataclass(frozen=True)
class Gap:
    stream: str
    reason: str  # a sentence for the page and the API

    @property
    def metrics(self) -> tuple[str, ...]:
        return CURSOR_GATED[self.stream]


_UNREAD = object()


def cursor_plan_gaps(org, connection=_UNREAD) -> dict[str, Gap]:
    """stream → Gap for each Cursor stream the connected key's plan does not include (one
    query, none when `connection`, the Cursor connection or None, is handed in, e.g. from
    `connection_status`). No connection, or a stream never refused: no gap."""
    conn = (
        cursor_connection(org, only=("id", "capabilities", "stream_status"))
        if connection is _UNREAD
        else connection
    )
    if conn is None:
        return {}
    caps, streams = conn.capabilities or {}, conn.stream_status or {}
    gaps = {}
    for stream in CURSOR_GATED:
        if caps.get(stream) is False or streams.get(stream) == "unavailable":
            reason = f"{NOT_ON_PLAN}: {PLAN_NAMES[stream]} needs Cursor's Enterprise plan."
            gaps[stream] = Gap(stream, reason)
    return gaps
