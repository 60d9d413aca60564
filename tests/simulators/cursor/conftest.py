"""The simulator's own suite runs at fixed moments, never at today's date.

`sim_now` (tests/fixtures/cursor_sim.py) is the moment each team of a test is created at, so it is
the team's "now" for every date the simulator computes. Here it is DEFAULT_SIM_NOW, or the moment
in SIMULATOR_TEST_NOW when set (ISO 8601, e.g. `SIMULATOR_TEST_NOW=2028-02-29T12:00:00Z`) to run
the whole suite at another date without touching the machine clock. Tests that must hold on any
date are also parametrized over CALENDAR_EDGES in test_simulator.py.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

DEFAULT_SIM_NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)


def configured_now() -> datetime:
    value = os.environ.get("SIMULATOR_TEST_NOW")
    if not value:
        return DEFAULT_SIM_NOW
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@pytest.fixture
def sim_now():
    return configured_now()


def pytest_report_header(config):
    return f"simulator tests run at {configured_now().isoformat()} (sim_now)"
