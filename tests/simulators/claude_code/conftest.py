"""Fixtures for the Claude Code simulator's own suite: one server for the session, fresh orgs per
test at a fixed moment (`sim_now`, from tests/simulators/cursor/conftest.py's SIMULATOR_TEST_NOW
rule), never at today's date."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from simulators.claude_code import ClaudeCodeSimulator
from tests.simulators.cursor.conftest import configured_now

VERSION = {"anthropic-version": "2023-06-01"}


@pytest.fixture
def sim_now():
    return configured_now()


@pytest.fixture(scope="session")
def cc_sim():
    sim = ClaudeCodeSimulator(default_orgs=False)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def make_org(cc_sim, sim_now):
    saved = (cc_sim.rate_limits, cc_sim.rate_window_seconds, cc_sim.limits, cc_sim.retry_after_header)
    created = []

    def make(kind="console", **options):
        options.setdefault("now", sim_now)
        org = cc_sim.add_org(kind, **options)
        created.append(org)
        return org

    yield make
    for org in created:
        cc_sim.remove_org(org)
    cc_sim.rate_limits, cc_sim.rate_window_seconds, limits, cc_sim.retry_after_header = saved
    cc_sim.reset_limits()
    cc_sim.set_limits(limits)


@pytest.fixture
def console(make_org):
    return make_org("console")


# Enterprise Analytics has no data before 2026-01-01 (docs/claude-code-api.md §5.3); its tests
# need a few weeks of it.
ENTERPRISE_TESTS_FROM = datetime(2026, 2, 1, tzinfo=UTC)


@pytest.fixture
def enterprise(make_org, sim_now):
    if sim_now < ENTERPRISE_TESTS_FROM:
        pytest.skip(f"Enterprise Analytics data starts 2026-01-01; sim_now {sim_now:%Y-%m-%d} is too early")
    return make_org("enterprise")


def client(sim, key: str | None) -> httpx.Client:
    headers = dict(VERSION)
    if key is not None:
        headers["x-api-key"] = key
    return httpx.Client(base_url=sim.url, headers=headers, timeout=30)


@pytest.fixture
def admin(cc_sim, console):
    with client(cc_sim, console.admin_key) as c:
        yield c


@pytest.fixture
def analytics(cc_sim, enterprise):
    with client(cc_sim, enterprise.enterprise_key) as c:
        yield c
