"""The Tools page: people across tools and the seats held in two of them."""

from . import Metric, register
from .sources import (
    CLAUDE_CODE_REPORT,
    COPILOT_SEATS,
    COPILOT_USERS,
    CURSOR_DAILY_AND_EVENTS,
    CURSOR_MEMBERS,
    KOALR_SEAT_PRICE,
)

BOTH = {"cursor": CURSOR_DAILY_AND_EVENTS, "copilot": COPILOT_USERS}
CLAUDE = {"claude_code": CLAUDE_CODE_REPORT}

register(
    Metric(
        key="people_by_tool_count",
        name="People by number of tools",
        definition="People active in the range in one, two or all three AI tools",
        formula="distinct people grouped by how many tools they were active in",
        unit="people",
        sources={
            "cursor": CURSOR_DAILY_AND_EVENTS,
            "copilot": COPILOT_USERS,
            "claude_code": CLAUDE_CODE_REPORT,
        },
        caveats=("API keys are not people and are never counted",),
    ),
    Metric(
        key="seats_in_both",
        name="People holding a seat in both Cursor and Copilot",
        definition="People with a Cursor seat and a Copilot seat",
        formula="people matched (by GitHub login, then email) to a listed Cursor member and a Copilot seat",
        unit="people",
        sources={"cursor": CURSOR_MEMBERS, "copilot": COPILOT_SEATS},
    ),
    Metric(
        key="overlap_active_days",
        name="Active days in the tool (30 days)",
        definition="Days in the last 30 on which the person used the tool",
        formula="count of the person's active days in today − 29 … today",
        unit="days",
        sources=BOTH,
    ),
    Metric(
        key="overlap_saving",
        name="Monthly saving from dropping unused seats",
        definition="What dropping the seat each person did not use in the last 30 days saves a month",
        formula="sum of the dropped seats' monthly prices (neither used: both seats)",
        unit="cents",
        sources={"cursor": KOALR_SEAT_PRICE, "copilot": KOALR_SEAT_PRICE},
    ),
)
