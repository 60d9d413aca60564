"""What only Claude Code reports (sessions, commits, pull requests, tool actions), its API
keys' cost and the Console roster's known gap (docs/claude-code-api.md)."""

from . import Metric, register
from .sources import CLAUDE_CODE_COST, CLAUDE_CODE_REPORT, CLAUDE_CODE_USERS, CLAUDE_ESTIMATE

CLAUDE = {"claude_code": CLAUDE_CODE_REPORT}

register(
    Metric(
        key="cc_sessions",
        name="Claude Code sessions",
        definition="Claude Code sessions, people and API keys alike",
        formula="sum of core_metrics.num_sessions",
        unit="count",
        sources=CLAUDE,
        caveats=("Remote sessions are counted too (shown apart)",),
    ),
    Metric(
        key="cc_remote_sessions",
        name="Remote sessions",
        definition="Claude Code sessions run remotely",
        formula="sum of sessions of remote rows",
        unit="count",
        sources=CLAUDE,
    ),
    Metric(
        key="cc_commits",
        name="Commits by Claude Code",
        definition="Commits Claude Code made",
        formula="sum of core_metrics.commits_by_claude_code",
        unit="count",
        sources=CLAUDE,
    ),
    Metric(
        key="cc_pull_requests",
        name="Pull requests by Claude Code",
        definition="Pull requests Claude Code opened",
        formula="sum of core_metrics.pull_requests_by_claude_code",
        unit="count",
        sources=CLAUDE,
    ),
    Metric(
        key="cc_actions_accepted",
        name="Tool actions accepted",
        definition="Claude Code tool actions (edits, writes …) a person accepted",
        formula="sum of tool_actions.*.accepted over every tool",
        unit="count",
        sources=CLAUDE,
    ),
    Metric(
        key="cc_actions_rejected",
        name="Tool actions rejected",
        definition="Claude Code tool actions a person rejected",
        formula="sum of tool_actions.*.rejected over every tool",
        unit="count",
        sources=CLAUDE,
    ),
    Metric(
        key="cc_lines_added",
        name="Lines added by Claude Code",
        definition="Lines Claude Code added",
        formula="sum of lines_of_code.added",
        unit="lines",
        sources=CLAUDE,
    ),
    Metric(
        key="cc_lines_removed",
        name="Lines removed by Claude Code",
        definition="Lines Claude Code removed",
        formula="sum of lines_of_code.removed",
        unit="lines",
        sources=CLAUDE,
    ),
    Metric(
        key="cc_api_key_cost",
        name="Cost of API-key usage",
        definition="The part of Claude Code's cost spent by API keys (automation, not people)",
        formula="sum of the estimated cost of API-key rows",
        unit="cents",
        sources={"claude_code": CLAUDE_CODE_COST},
        caveats=(CLAUDE_ESTIMATE,),
    ),
    Metric(
        key="cc_roster_never_in_usage",
        name="Members never seen in usage",
        definition="Members of the Anthropic organization who never appear in Claude Code's usage",
        formula="roster members whose email is in no usage row",
        unit="people",
        sources={"claude_code": CLAUDE_CODE_USERS},
        caveats=("Subscription-seat users may be missing from the Console report (a known gap)",),
    ),
)
