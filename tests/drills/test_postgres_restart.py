"""Drill (finding 11): PostgreSQL restarts in the middle of a sync.

Runs on a cluster of its own (initdb on a spare port), never the shared one: the app's tables
are migrated there, a real Celery worker syncs against it, and the cluster is restarted while
the worker is inside a Cursor request. The run must be closed with a plain message once the
database is back (not left "running" with no message), and the next run must resume and end
with the same data as a clean run on the same cluster.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import psycopg
import pytest

from integrations.cursor.sync import messages

from .compare import assert_same_data, fingerprint
from .conftest import worker_env
from .procs import ROOT, CeleryWorker, PostgresCluster, postgres_bin_dir, say, wait_for

EVENTS = "/teams/filtered-usage-events"

# Runs inside `manage.py shell` against the drill's cluster: set up two organizations.
SETUP = """
import json, os
from integrations.models import Connection
from koalr.accounts.models import Organization
out = {}
for slug, key in (("clean", os.environ["CLEAN_KEY"]), ("drilled", os.environ["DRILLED_KEY"])):
    org = Organization.objects.create(name=slug, slug=slug)
    conn = Connection(organization=org, base_url=os.environ["SIM_URL"],
                      capabilities={"admin": True, "analytics": True, "ai_code": True})
    conn.set_api_key(key)
    conn.save()
    out[slug] = {"org": org.pk, "conn": conn.pk}
print("RESULT " + json.dumps(out))
"""
CLEAN_RUN = """
import os
from integrations import services
from integrations.cursor import sync
from integrations.models import Connection
conn = Connection.objects.get(pk=int(os.environ["CONN"]))
run = sync.run_sync(services.create_foreground_run(conn).pk)
print("RESULT " + run.status)
"""
TRIGGER = """
import os
from integrations import services
from integrations.models import Connection
print("RESULT %d" % services.trigger_sync(Connection.objects.get(pk=int(os.environ["CONN"]))).pk)
"""


def manage_shell(code: str, env: dict, **extra) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return next(line[7:] for line in done.stdout.splitlines() if line.startswith("RESULT "))


@pytest.fixture
def cluster():
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: initdb cannot run")
    c = PostgresCluster(bin_dir).start()
    yield c
    c.stop()
    say(f"stopped the PostgreSQL cluster on port {c.port}")


def run_row(url: str, run_id: int):
    with psycopg.connect(url, connect_timeout=2) as c:
        return c.execute(
            "SELECT status, message FROM integrations_syncrun WHERE id = %s", (run_id,)
        ).fetchone()


def test_postgres_restart_mid_sync_closes_the_run_plainly_and_the_next_resumes(
    cluster, redis_server, twin_teams, cursor_sim, tmp_path
):
    clean_team, drilled_team = twin_teams(seats=6, days=8, seed=93)
    env = worker_env(cluster.url(), redis_server.url)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    say(f"migrated the drill cluster in {time.monotonic() - started:.1f} s")
    ids = json.loads(
        manage_shell(
            SETUP,
            env,
            CLEAN_KEY=clean_team.api_key,
            DRILLED_KEY=drilled_team.api_key,
            SIM_URL=cursor_sim.base_url,
        )
    )
    assert manage_shell(CLEAN_RUN, env, CONN=str(ids["clean"]["conn"])) == "succeeded"

    pause = drilled_team.faults.pause_at(EVENTS, after=3)
    worker = CeleryWorker("pg", env, tmp_path).start()
    try:
        run_id = int(manage_shell(TRIGGER, env, CONN=str(ids["drilled"]["conn"])))
        assert pause.wait_reached(60), worker.log()[-3000:]
        assert run_row(cluster.url(), run_id)[0] == "running"
        cluster.restart()
        pause.release()
        restarted = time.monotonic()
        status, message = wait_for(
            lambda: (row := _try(run_row, cluster.url(), run_id)) and row[0] != "running" and row,
            90,
            f"run {run_id} to be closed after the restart",
        )
        say(
            f"run {run_id} closed {time.monotonic() - restarted:.1f} s after the restart: {status}: {message}"
        )
        assert status == "failed" and message == messages.DATABASE_LOST
        assert "Traceback" not in message

        again = int(manage_shell(TRIGGER, env, CONN=str(ids["drilled"]["conn"])))
        wait_for(lambda: run_row(cluster.url(), again)[0] not in ("queued", "running"), 90, f"run {again}")
        status, message = run_row(cluster.url(), again)
        say(f"next run {again}: {status}: {message}")
        assert status == "succeeded", message
    finally:
        worker.stop()
    with psycopg.connect(cluster.url()) as c, c.cursor() as cursor:
        clean = fingerprint(cursor, ids["clean"]["org"])
        drilled = fingerprint(cursor, ids["drilled"]["org"])
    assert_same_data(clean, drilled, "the organization whose database restarted")


def _try(fn, *args):
    try:
        return fn(*args)
    except psycopg.OperationalError:
        return None  # still restarting
