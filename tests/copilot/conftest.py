"""The Copilot simulator over loopback at a fixed moment (never today's date)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

SIM_NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


@pytest.fixture
def copilot_sim():
    from simulators.copilot import CopilotSimulator

    sim = CopilotSimulator(clock=lambda: SIM_NOW)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def sim_org(copilot_sim):
    return copilot_sim.add_org("acme", seats=12, days=20, seed=3)
