"""Backfills go to the `backfill` queue, hourly syncs to `sync`: a big first sync never delays
everyone's hourly one. Checked where the message is published (apply_async's queue) and where
Celery's router sends each task by name."""

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest

from integrations import tasks
from integrations.claude_code import services as claude_code_services
from integrations.copilot import services as copilot_services
from integrations.cursor.sync import dispatch
from integrations.models import Connection, Provider, SyncRun
from integrations.queues import BACKFILL_QUEUE, SYNC_QUEUE, queue_for_run
from koalr.celery import app as celery_app

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def clock():
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


@pytest.fixture
def published(monkeypatch):
    """(task name, args, queue) of every sync task handed to the broker."""
    sent = []
    for task in (tasks.sync_connection, tasks.sync_copilot_connection, tasks.sync_claude_code_connection):
        monkeypatch.setattr(
            task,
            "apply_async",
            lambda args=(), kwargs=None, name=task.name, **options: sent.append(
                (name, args, options.get("queue"))
            ),
        )
    return sent


def connect(organization, provider, config=None) -> Connection:
    conn = Connection(organization=organization, provider=provider, config=config or {})
    conn.set_api_key("k" * 40)
    conn.save()
    return conn


def finish(run: SyncRun, window_end: date) -> None:
    run.status, run.window_start, run.window_end = SyncRun.Status.SUCCEEDED, window_end, window_end
    run.finished_at = NOW
    run.save()


@pytest.mark.django_db
def test_a_cursor_first_sync_is_a_backfill_and_the_hourly_ones_are_not(
    org, published, django_capture_on_commit_callbacks
):
    conn = connect(org, Provider.CURSOR)
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = dispatch.queue_run(conn, trigger=SyncRun.Trigger.CONNECT)
    assert published[-1] == ("integrations.tasks.sync_connection", (first.pk,), BACKFILL_QUEUE)

    finish(first, TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        hourly, _ = dispatch.queue_run(conn, trigger=SyncRun.Trigger.HOURLY)
    assert published[-1] == ("integrations.tasks.sync_connection", (hourly.pk,), SYNC_QUEUE)

    # Sync now over 90 days is a backfill too, even for a connection that synced before.
    finish(hourly, TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        wide, _ = dispatch.queue_run(conn, trigger=SyncRun.Trigger.MANUAL, days=90)
    assert published[-1][2] == BACKFILL_QUEUE
    finish(wide, TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.queue_run(conn, trigger=SyncRun.Trigger.MANUAL, days=3)
    assert published[-1][2] == SYNC_QUEUE
    assert len(published) == 4


@pytest.mark.django_db
def test_a_connection_back_after_weeks_catches_up_on_the_backfill_queue(org):
    conn = connect(org, Provider.CURSOR)
    old = SyncRun.objects.create(organization=org, connection=conn, trigger=SyncRun.Trigger.HOURLY)
    finish(old, TODAY - timedelta(days=30))
    run = SyncRun.objects.create(organization=org, connection=conn, trigger=SyncRun.Trigger.HOURLY)
    assert queue_for_run(run) == BACKFILL_QUEUE
    finish(old, TODAY - timedelta(days=2))
    assert queue_for_run(run) == SYNC_QUEUE
    # Another tool's history says nothing about this one's.
    assert queue_for_run(SyncRun(organization=org, provider=Provider.COPILOT)) == BACKFILL_QUEUE


@pytest.mark.django_db
@pytest.mark.parametrize(
    "provider, service, task, config",
    [
        (Provider.COPILOT, copilot_services, "integrations.tasks.sync_copilot_connection", {"scope": "org", "slug": "acme"}),
        (Provider.CLAUDE_CODE, claude_code_services, "integrations.tasks.sync_claude_code_connection",
         {"source": "console"}),
    ],
)  # fmt: skip
def test_copilot_and_claude_code_route_the_same_way(
    org, published, django_capture_on_commit_callbacks, provider, service, task, config
):
    conn = connect(org, provider, config)
    with django_capture_on_commit_callbacks(execute=True):
        first = service.trigger_sync(conn, trigger=SyncRun.Trigger.CONNECT)
    assert published[-1] == (task, (first.pk,), BACKFILL_QUEUE)
    finish(first, TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        hourly = service.trigger_sync(conn, trigger=SyncRun.Trigger.HOURLY)
    assert published[-1] == (task, (hourly.pk,), SYNC_QUEUE)


def test_the_router_sends_each_task_to_its_queue():
    route = celery_app.amqp.router.route

    def queue(name, **options):
        return route(options, name)["queue"].name

    assert queue("integrations.tasks.sync_connection") == SYNC_QUEUE
    assert queue("integrations.tasks.sync_copilot_connection") == SYNC_QUEUE
    assert queue("integrations.tasks.sync_claude_code_connection") == SYNC_QUEUE
    # The queue dispatch picks for a run wins over the task's route.
    assert queue("integrations.tasks.sync_connection", queue=BACKFILL_QUEUE) == BACKFILL_QUEUE
    assert queue("alerts.tasks.deliver") == "alerts"
    assert queue("alerts.tasks.send_weekly_digests") == "alerts"
    assert queue("integrations.tasks.enqueue_hourly_syncs") == "default"
    assert queue("analytics.tasks.create_partitions_ahead") == "default"
