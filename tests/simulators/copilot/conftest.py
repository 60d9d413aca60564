"""The Copilot simulator's own suite runs at fixed moments, never at today's date.

`sim_now` is DEFAULT_SIM_NOW, or SIMULATOR_TEST_NOW when set (ISO 8601), like the Cursor
simulator's suite; tests that must hold on any date are parametrized over CALENDAR_EDGES.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from simulators.copilot import CopilotSimulator

from .helpers import github

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


@pytest.fixture
def copilot_sim(sim_now):
    """A fresh simulator per test (its orgs, tokens and rate-limit counts never leak)."""
    sim = CopilotSimulator(clock=lambda: sim_now)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def org(copilot_sim):
    return copilot_sim.add_org("acme", seats=40, days=45, seed=1)


@pytest.fixture
def client(copilot_sim, org):
    with github(copilot_sim, org.token) as c:
        yield c
