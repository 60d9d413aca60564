"""SyncOptions: production's defaults when nothing is passed, and the one settings seam."""

import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from integrations.cursor.sync import SyncOptions
from integrations.cursor.sync.options import configured_options
from integrations.models import SyncRun

from .conftest import run_new_sync


def test_default_options_leave_the_client_its_own_defaults():
    assert SyncOptions().client_options() == {"sleep": time.sleep}
    assert SyncOptions().parallel is None  # lanes decide from the database (lanes.parallel_streams)
    # timeout and max_retries reaching the client: test_faults' timeout test.


def test_without_the_setting_a_run_uses_the_defaults(settings):
    del settings.CURSOR_SYNC_OPTIONS  # set for every other test in this package
    assert configured_options() == SyncOptions()


def test_the_setting_must_hold_sync_options(settings):
    settings.CURSOR_SYNC_OPTIONS = {"timeout": 1}
    with pytest.raises(ImproperlyConfigured):
        configured_options()


def test_a_run_without_options_uses_the_setting(org, make_team, make_connection, settings, sync_options):
    team = make_team(seats=3, days=5, seed=81)
    team.faults.rate_limit_storm(7, path="/teams/filtered-usage-events")  # more than the client retries
    waits = []
    settings.CURSOR_SYNC_OPTIONS = SyncOptions(sleep=waits.append, limiter=sync_options.limiter, timeout=5.0)
    run = run_new_sync(make_connection(org, team))
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert waits, "the waits should have gone through the configured sleep"
