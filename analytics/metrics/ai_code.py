"""AI Code Tracking (Cursor Enterprise): how much committed code came from AI, and the
Analytics API's team rows."""

from . import Metric, register
from .sources import AI_CODE_PLAN, ANALYTICS_PLAN, CURSOR_AI_CODE, CURSOR_ANALYTICS

AI_CODE = {"cursor": CURSOR_AI_CODE}
ROOT_ONLY = "Only the git repository at the workspace root is tracked (multi-root workspaces are not)"
AMENDS = "An amended commit can appear twice (hashes repeat)"


def _ai_code(key, name, definition, formula, unit="lines", caveats=()):
    return Metric(
        key=key,
        name=name,
        definition=definition,
        formula=formula,
        unit=unit,
        sources=AI_CODE,
        plans=AI_CODE_PLAN,
        caveats=(*caveats, ROOT_ONLY),
    )


register(
    _ai_code(
        "ai_share",
        "AI share of committed code",
        "The share of lines added in commits that were written with Tab or the agent",
        "(tabLinesAdded + composerLinesAdded) ÷ totalLinesAdded of the commits",
        unit="ratio",
        caveats=(AMENDS,),
    ),
    _ai_code(
        "ai_commits",
        "Commits",
        "Commits AI Code Tracking recorded",
        "count of commits",
        unit="count",
        caveats=(AMENDS,),
    ),  # fmt: skip
    _ai_code("committed_lines", "Committed lines", "Lines added in commits", "sum of totalLinesAdded"),
    _ai_code(
        "tab_lines_committed",
        "Tab lines committed",
        "Committed lines that came from accepted Tab completions",
        "sum of tabLinesAdded",
    ),
    _ai_code(
        "agent_lines_committed",
        "Agent lines committed",
        "Committed lines that came from accepted agent (Composer) diffs",
        "sum of composerLinesAdded",
    ),
    _ai_code(
        "non_ai_lines_committed",
        "Non-AI lines committed",
        "Committed lines written without AI",
        "sum of nonAiLinesAdded (max(0, total − AI))",
    ),
    _ai_code(
        "agent_tab_lines",
        "Agent and tab lines committed",
        "Committed lines by AI source per day: Tab, agent and non-AI",
        "per day: sums of tabLinesAdded, composerLinesAdded, nonAiLinesAdded",
    ),
    Metric(
        key="analytics_value",
        name="Analytics API figure",
        definition="A number from one of Cursor's Analytics API team rows (dau, models, agent-edits, tabs …)",
        formula="the row's value as Cursor sends it, keyed by its field name",
        unit="count",
        sources={"cursor": CURSOR_ANALYTICS},
        plans=ANALYTICS_PLAN,
        caveats=("Responses are cached by Cursor for 15 minutes and are per day only",),
    ),
)
