"""The freshness line every analytics page shows next to its date range, and which days its
charts draw as provisional (the rule: analytics/freshness.py; the reads:
integrations/freshness.py, one query per request however often a page asks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from integrations.freshness import Freshness, tool_freshness
from integrations.models import Provider
from integrations.selectors import connection_status


@dataclass(frozen=True)
class ChartProvisional:
    """The first provisional day for a chart's traces: `by_name` for traces named after a
    tool (charts comparing tools), `default` for the rest."""

    default: date | None
    by_name: dict[str, date] = field(default_factory=dict)


def page_freshness(request) -> Freshness:
    """The organization's freshness, read once per request."""
    cached = getattr(request, "_koalr_freshness", None)
    if cached is None:
        cached = tool_freshness(request.organization, now=timezone.now())
        request._koalr_freshness = cached
    return cached


def page_connection_status(request) -> dict:
    """The Cursor connection's state (integrations.selectors.connection_status) from the
    connection the freshness read already loaded: no query of its own."""
    cursor = page_freshness(request).connections.get(Provider.CURSOR)
    return connection_status(request.organization, connection=cursor)


def chart_provisional(freshness: Freshness, tool: str | None = Provider.CURSOR) -> ChartProvisional:
    """Provisional days for a page's charts: one tool's window (`tool`), or, for charts that
    sum every tool (`tool=None`), the widest window of the connected tools. Traces named after
    a tool always use that tool's own window."""
    default = freshness.earliest_provisional() if tool is None else freshness.provisional_from(tool)
    by_name = {Provider(t).label: freshness.provisional_from(t) for t in Provider.values}
    return ChartProvisional(default=default, by_name=by_name)
