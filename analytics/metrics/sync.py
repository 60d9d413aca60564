"""Sync runs: how far a run got and what it stored."""

from . import TOOLS, Metric, register

EVERY_TOOL = dict.fromkeys(TOOLS, "Koalr's sync runs (no upstream endpoint)")

register(
    Metric(
        key="sync_percent",
        name="Sync progress",
        definition="How far the sync run has got",
        formula="units done ÷ units planned × 100",
        unit="percent",
        sources=EVERY_TOOL,
    ),
    Metric(
        key="sync_rows_stored",
        name="Rows stored",
        definition="Rows the sync run stored, per stream",
        formula="count of rows upserted per stream",
        unit="count",
        sources=EVERY_TOOL,
    ),
)
