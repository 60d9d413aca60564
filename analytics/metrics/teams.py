"""The team lens: team structure figures and the comparison's per-team series."""

from . import Metric, register
from .sources import CURSOR_DAILY_AND_EVENTS, KOALR_DIRECTORY

DIRECTORY = {"cursor": KOALR_DIRECTORY, "copilot": KOALR_DIRECTORY, "claude_code": KOALR_DIRECTORY}

register(
    Metric(
        key="team_depth",
        name="Depth in the team tree",
        definition="How deep the team sits in the tree (0: a top-level team)",
        formula="number of ancestors",
        unit="count",
        sources=DIRECTORY,
    ),
    Metric(
        key="team_members",
        name="Team members",
        definition="People in the team or its sub-teams today",
        formula="distinct people with a membership valid today in the team's subtree",
        unit="people",
        sources=DIRECTORY,
    ),
    Metric(
        key="team_direct_members",
        name="Direct members",
        definition="People in the team itself today, sub-teams left out",
        formula="people with a membership valid today in the team",
        unit="people",
        sources=DIRECTORY,
    ),
    Metric(
        key="team_daily_active",
        name="Daily active people (team)",
        definition="People of the team active on each day of the range (the sparkline)",
        formula="per day: distinct people active that day who were in the team that day",
        unit="people",
        sources={"cursor": CURSOR_DAILY_AND_EVENTS},
    ),
    Metric(
        key="min_group_size",
        name="Minimum group size",
        definition="Teams smaller than this show no figures to who may not see their people (they would give them away)",
        formula="the TEAM_MIN_GROUP_SIZE setting",
        unit="people",
        sources=DIRECTORY,
    ),
    Metric(
        key="tier",
        name="Tier",
        definition="The team's adoption tier (analytics.selectors.teams.TIER_RULE)",
        formula="from the active share and its change, as the rule on the Team comparison page states",
        unit="text",
        sources={"cursor": CURSOR_DAILY_AND_EVENTS},
    ),
)
