"""A finished sync evaluates budgets and anomalies (the hook in the sync runner)."""

import pytest

from alerts.models import Alert, Budget
from integrations import services, tasks
from integrations.cursor import sync
from integrations.cursor.ratelimit import NoRateLimit
from integrations.cursor.sync import SyncOptions
from integrations.models import Connection, SyncRun


@pytest.mark.django_db
def test_a_sync_evaluates_budgets_once_committed(org, make_sim_team, cursor_sim, settings, monkeypatch,
                                                 django_capture_on_commit_callbacks):  # fmt: skip
    settings.CURSOR_SYNC_OPTIONS = SyncOptions(sleep=lambda s: None, limiter=NoRateLimit(), timeout=5.0)
    monkeypatch.setattr(tasks.sync_connection, "delay", lambda run_id: None)
    team = make_sim_team(seats=6, days=20, seed=4)
    team.rate_limits = False
    conn = Connection(organization=org, base_url=cursor_sim.base_url, capabilities={"admin": True})
    conn.set_api_key(team.api_key)
    conn.save()
    budget = Budget.objects.create(organization=org, amount_cents=1, alert_on_projection=False)
    run = services.trigger_sync(conn)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        finished = sync.run_sync(run.pk)
    assert finished.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL), finished.message
    assert callbacks  # the evaluation waited for the commit
    rules = sorted(Alert.objects.filter(organization=org, budget=budget).values_list("rule", flat=True))
    assert rules == [f"budget:{budget.pk}:t{t}" for t in (100, 50, 80)]
