"""The rollups are rebuilt as soon as their inputs are stored, while slower streams still run."""

from analytics.models import MemberDailyRollup, UsageEvent
from integrations.cursor.sync import runner
from integrations.models import SyncRun

from .conftest import run_new_sync


def _spy(monkeypatch, name, calls, org, run_progress):
    real = getattr(runner, name)

    def spy(*args, **kwargs):
        calls.append((name, dict(run_progress())))
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, name, spy)


def test_rollups_are_rebuilt_before_the_ai_code_streams_and_not_again(
    org, make_team, make_connection, monkeypatch
):
    team = make_team(seats=8, days=12)
    conn = make_connection(org, team)
    calls = []

    def progress():
        run = SyncRun.objects.filter(organization=org).latest("pk")
        return {stream: entry["status"] for stream, entry in run.progress.items()}

    for name in ("rebuild_after_sync", "refresh_after_sync", "warm_after_sync"):
        _spy(monkeypatch, name, calls, org, progress)
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    # One rebuild, while AI code tracking had not finished; at the end only the cache is warmed.
    assert [name for name, _ in calls] == ["rebuild_after_sync", "warm_after_sync"]
    at_rebuild = calls[0][1]
    assert at_rebuild["usage_events"] == "done" and at_rebuild["daily_usage"] == "done"
    assert at_rebuild["ai_code"] != "done"
    # …and the rollups it built hold every stored event.
    rolled = sum(MemberDailyRollup.objects.filter(organization=org).values_list("usage_events", flat=True))
    assert rolled == UsageEvent.objects.filter(organization=org).count() > 0


def test_a_failed_input_stream_leaves_the_rebuild_to_the_end(org, make_team, make_connection, monkeypatch):
    team = make_team(seats=6, days=12)
    team.faults.fail_next(100, status=500, path="/teams/filtered-usage-events")  # beyond every retry
    conn = make_connection(org, team)
    calls = []
    for name in ("rebuild_after_sync", "refresh_after_sync", "warm_after_sync"):
        _spy(monkeypatch, name, calls, org, lambda: {})
    run = run_new_sync(conn)
    assert run.status == SyncRun.Status.FAILED
    assert [name for name, _ in calls] == ["refresh_after_sync"]  # the batches stored so far
