"""`{% metric_info key %}`: the info control that explains a figure from the metric registry.

Renders nothing for an empty or unknown key (a figure without an entry shows no control; the
registry's own test fails on a missing entry, so a page never errors over one). Otherwise a
disclosure button (`aria-expanded`, `aria-controls`, "About <name>") and its panel: the plain
definition, formula, unit, source per tool, plans and caveats. static/js/metric_info.js opens
and closes it (click, tap, Enter, Space; Escape and a click outside close it); without
JavaScript the panel stays hidden and the button does nothing, like any disclosure.
"""

import itertools
import logging
import re

from django import template

from analytics import metrics

register = template.Library()
logger = logging.getLogger(__name__)

TOOL_LABELS = {"cursor": "Cursor", "copilot": "GitHub Copilot", "claude_code": "Claude Code"}
UNIT_WORDS = {
    "people": "people",
    "count": "a count",
    "percent": "percent",
    "ratio": "a ratio",
    "cents": "US dollars (stored as cents)",
    "dollars": "US dollars",
    "lines": "lines of code",
    "tokens": "tokens",
    "days": "days",
    "date": "a UTC day",
    "text": "text",
}
_fallback_ids = itertools.count(1)


def _next_id(context, key: str) -> str:
    """An element id unique on the page: one counter per request (the same metric can head
    several columns or cards)."""
    request = context.get("request")
    if request is not None:
        n = getattr(request, "_metric_info_seq", 0) + 1
        request._metric_info_seq = n
    else:
        n = next(_fallback_ids)
    return f"mi-{n}-" + re.sub(r"[^a-z0-9_-]", "-", key.lower())


@register.inclusion_tag("analytics/_metric_info.html", takes_context=True)
def metric_info(context, key):
    if not key:
        return {"entry": None}
    try:
        entry = metrics.metric(str(key))
    except KeyError:
        logger.warning("metric_info: no registry entry for %r", key)
        return {"entry": None}
    return {
        "entry": entry,
        "panel_id": _next_id(context, entry.key),
        "unit": UNIT_WORDS.get(entry.unit, entry.unit),
        "sources": [(TOOL_LABELS.get(t, t), endpoint) for t, endpoint in entry.sources.items()],
        "not_reported": [label for tool, label in TOOL_LABELS.items() if tool not in entry.sources],
        "plans": [(TOOL_LABELS.get(t, t), plans) for t, plans in entry.plans.items()],
    }


@register.inclusion_tag("analytics/_metric_info.html", takes_context=True)
def figure_info(context, template_name, figure):
    """The info control of a figure a template writes out itself, by the template and the
    figure's `data-stat`/`data-field` name (web/pages/figures.py maps them to the registry)."""
    from web.pages.figures import TEMPLATE_FIGURES

    return metric_info(context, TEMPLATE_FIGURES.get(template_name, {}).get(figure, ""))


@register.inclusion_tag("analytics/_metric_info.html", takes_context=True)
def column_info(context, table, header):
    """The info control of a hand-written table's column, by the table's name and the column's
    header (web/pages/figures.py: TEMPLATE_TABLES)."""
    from web.pages.figures import TEMPLATE_TABLES

    return metric_info(context, TEMPLATE_TABLES.get(table, {}).get(header, ""))
