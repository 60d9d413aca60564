"""Fixtures for sync tests: the Cursor simulator over loopback, connections, fast clients."""

import pytest

from integrations import services, tasks
from integrations.cursor import sync
from integrations.cursor.ratelimit import NoRateLimit
from integrations.cursor.sync import SyncOptions
from integrations.models import Connection


@pytest.fixture
def simulator(cursor_sim):
    return cursor_sim


@pytest.fixture
def sync_waits():
    """Every wait a sync asked for, in seconds: tests never really sleep."""
    return []


@pytest.fixture
def sync_options(sync_waits) -> SyncOptions:
    """No real sleeping and no client-side throttling; every wait is still recorded."""
    return SyncOptions(sleep=sync_waits.append, limiter=NoRateLimit(), timeout=5.0)


@pytest.fixture(autouse=True)
def default_sync_options(settings, sync_options):
    """The options of every run a test works without passing its own (`run_sync(pk)`, the
    Celery task): the seam `options.configured_options()` reads. Tests that need others pass
    `options=` to `run_sync` / `run_new_sync`."""
    settings.CURSOR_SYNC_OPTIONS = sync_options


@pytest.fixture(autouse=True)
def no_eager_worker(monkeypatch):
    """A queued run stays queued: each test works its runs itself, in the foreground.

    The test settings run Celery tasks eagerly, so in a `transaction=True` test the task
    enqueued on commit would work the whole sync inside `trigger_sync`, and the run the test
    then hands to `run_sync` (from several threads, with options of its own) would already
    be finished.
    """
    monkeypatch.setattr(tasks.sync_connection, "apply_async", lambda *args, **kwargs: None)


@pytest.fixture
def make_team(make_sim_team):
    """Simulated teams without rate limits (the 429 tests use fault storms instead)."""

    def make(**kwargs):
        kwargs.setdefault("seats", 12)
        kwargs.setdefault("days", 40)
        team = make_sim_team(**kwargs)
        team.rate_limits = False
        return team

    return make


@pytest.fixture
def make_connection(simulator):
    def make(organization, team, **fields):
        conn = Connection(organization=organization, base_url=simulator.base_url, **fields)
        conn.set_api_key(team.api_key)
        conn.capabilities = fields.pop("capabilities", None) or {
            "admin": True,
            "analytics": team.plan == "enterprise",
            "ai_code": team.plan == "enterprise",
        }
        conn.save()
        return conn

    return make


def run_new_sync(connection, **kwargs):
    """Queue a run the way Sync now does and work it in the foreground, like a worker would."""
    run = services.trigger_sync(connection)
    return sync.run_sync(run.pk, **kwargs)
