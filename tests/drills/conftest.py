"""Fixtures for the fault drills: their own Redis, real Celery workers, twin simulated teams.

The workers are real `celery -A koalr worker` processes with the production settings module
(not the eager test settings), pointed at this session's test database and the drill's Redis.
The test process publishes to the same Redis, so "Sync now" goes through the real broker.
Every drill is `transaction=True`: the workers must see what the test commits.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from integrations.cursor.ratelimit import NoRateLimit
from integrations.cursor.sync import SyncOptions
from integrations.models import Connection
from koalr.celery import app as celery_app

from .compare import fingerprint
from .procs import CeleryWorker, RedisServer, say


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/drills/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.drills)


@pytest.fixture
def redis_server():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: the drills need their own Redis")
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """This process's Celery app publishing to the drill's Redis, as production does."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager

    def point_at(url):
        conf.broker_url, conf.task_always_eager = url, False
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    point_at(redis_server.url)
    yield redis_server
    conf.broker_url, conf.task_always_eager = saved
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def worker_env(database_url: str, redis_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="koalr.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=settings.SECRET_KEY,
        FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
        DEBUG="0",
        TESTING="1",
        CURSOR_RATE_LIMITS="false",
        CONN_MAX_AGE="0",
        # Seconds, not minutes, so the drills see a silent run go stale quickly.
        SYNC_HEARTBEAT_SECONDS="1",
        SYNC_STALE_AFTER_SECONDS="5",
        DB_IDLE_IN_TRANSACTION_TIMEOUT="5",
    )
    return env


def tests_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(transactional_db, broker, tmp_path):
    """start_worker(name) -> a running CeleryWorker on the test database and the drill's Redis.
    Stopped (its whole process group killed) before the test database is flushed."""
    started: list[CeleryWorker] = []
    log_dir = Path(tmp_path)

    def start(name="w1", *, database_url=None, redis_url=None):
        env = worker_env(database_url or tests_database_url(), redis_url or broker.url)
        worker = CeleryWorker(name, env, log_dir).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    say(f"stopped {len(started)} worker(s); logs in {log_dir}")


@pytest.fixture
def twin_teams(make_sim_team):
    """twin_teams(**kw) -> (clean, drilled): two simulated teams serving identical data."""

    def make(**kwargs):
        kwargs.setdefault("seats", 8)
        kwargs.setdefault("days", 12)
        kwargs.setdefault("seed", 90)
        now = datetime.now(UTC).replace(microsecond=0)
        teams = [make_sim_team(now=now, **kwargs) for _ in range(2)]
        for team in teams:
            team.rate_limits = False
        return teams

    return make


@pytest.fixture
def connect(cursor_sim):
    def make(organization, team):
        conn = Connection(organization=organization, base_url=cursor_sim.base_url)
        conn.set_api_key(team.api_key)
        conn.capabilities = {"admin": True, "analytics": True, "ai_code": True}
        conn.save()
        return conn

    return make


FAST = SyncOptions(limiter=NoRateLimit(), timeout=10.0)


def org_fingerprint(organization) -> dict:
    with connection.cursor() as cursor:
        return fingerprint(cursor, organization.pk)
