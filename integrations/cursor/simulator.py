"""Cursor API simulator (docstring to come)."""

from integrations.cursor.sim.faults import Faults
from integrations.cursor.sim.server import DEFAULT_LIMITS, CursorSimulator
from integrations.cursor.sim.team import SimTeam, generate_api_key

__all__ = ["DEFAULT_LIMITS", "CursorSimulator", "Faults", "SimTeam", "generate_api_key"]
