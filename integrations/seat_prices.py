"""Each tool's monthly seat price, for the Tools page, the spend review and the API alike."""

from analytics.models import Tool
from analytics.selectors.tools import SeatPrice

from .copilot import services as copilot

LOOK_UP = object()  # the default `connection`: read it here (pass None for "not connected")


def seat_prices(org, connection=LOOK_UP) -> dict[str, SeatPrice]:
    """Cursor's is the organization's (spend review); Copilot's the one an admin set, else
    GitHub's list price for the plan, marked as an estimate. `connection`: the Copilot
    connection (or None) when the caller has read it already."""
    if connection is LOOK_UP:
        connection = copilot.copilot_connection(org)
    cents, estimate = copilot.seat_price(connection)
    return {
        Tool.CURSOR: SeatPrice(org.seat_price_cents, False),
        Tool.COPILOT: SeatPrice(cents, estimate, "GitHub's list price, an estimate" if estimate else ""),
        # Claude Code through the Console is billed by usage; Enterprise seats are not priced here.
        Tool.CLAUDE_CODE: SeatPrice(0, False, "billed by usage"),
    }
