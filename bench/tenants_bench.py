#!/usr/bin/env python
"""Benchmark: many organizations doing hourly incremental Cursor syncs, and the pages meanwhile.

    python bench/tenants_bench.py                   # 100 organizations × 200 seats, 3 hours
    python bench/tenants_bench.py --quick           # 10 × 50, 2 hours: a minute or two
    python bench/tenants_bench.py --orgs 20 --seats 200 --hours 2 --workers 2

One Cursor simulator process serves every organization's team (it tells teams apart by API
key) on loopback, rate limits off. The benchmark database (DATABASE_URL, default
koalr_bench_scale) is dropped and migrated afresh unless --keep. Then:

1. every organization's first sync: a backfill of --history-days (the `backfill` queue);
2. --hours simulated hours: the clock (Django's and the simulator's) moves one hour, every
   organization gets an hourly incremental run (the `sync` queue: Cursor's revisable days
   again, two days back, plus today), worked by --workers worker processes, while a page
   process requests the dashboard (`/ai-analytics/`) of one organization after another with
   the cache emptied before every request (cold: the first view after a sync changed data).

Prints worker CPU seconds per organization-hour (the workers' own CPU: process time of every
thread, the after-sync alert evaluation included; the simulator's and PostgreSQL's are not
ours), database bytes per seat-day (pg_total_relation_size of every tenant table, partitions
summed, ÷ the seat-days stored: one daily-usage row per seat and day), the p50/p95 dashboard
time while the syncs run, which queue each run was routed to, and the machine's load.
Figures only; no asserts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koalr.settings")
os.environ.setdefault("DEBUG", "0")  # production-like: no query log in memory
os.environ.setdefault("TESTING", "1")  # development encryption key and plain static storage
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/koalr_bench_scale")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.pop("REDIS_URL", None)  # in-process: no broker, a local cache per process

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic for a bench

# The simulated clock every process reads through django.utils.timezone.now.
CLOCK = [datetime.now(UTC)]


def now() -> datetime:
    return CLOCK[0]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(p * len(ordered))) - 1)] if ordered else float("nan")


def load() -> str:
    return f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"


def reset_database(url: str, keep: bool) -> None:
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    name = info.pop("dbname")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not keep:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- the simulator (its own process: its CPU is Cursor's, not ours) ------------------------------


def serve_simulator(pipe, orgs: int, seats: int, days: int, start: datetime) -> None:
    from simulators.cursor import CursorSimulator

    sim = CursorSimulator(rate_limits=False, clock=lambda: start)
    teams = [sim.add_team(seats=seats, days=days, seed=1000 + i, now=start) for i in range(orgs)]
    pipe.send((sim.start(), [t.api_key for t in teams]))
    while (message := pipe.recv()) != "stop":
        kind, value = message
        if kind == "now":
            for team in teams:
                team.now = value
            pipe.send("ok")
        elif kind == "cpu":
            pipe.send(time.process_time())
    sim.stop()


# --- workers: like Celery prefork children, one run at a time ------------------------------------


def worker_loop(jobs, results) -> None:
    from django.db import connections

    from integrations.cursor.sync import run_sync

    connections.close_all()  # never share the parent's socket
    while (job := jobs.get()) is not None:
        run_id, clock = job
        CLOCK[0] = clock
        cpu, wall = time.process_time(), time.perf_counter()
        run = run_sync(run_id)
        results.put((run_id, run.status, time.process_time() - cpu, time.perf_counter() - wall))
    connections.close_all()


def work(pool_jobs, pool_results, run_ids: list[int], clock: datetime) -> list[tuple]:
    for run_id in run_ids:
        pool_jobs.put((run_id, clock))
    return [pool_results.get() for _ in run_ids]


# --- the page process: cold dashboard views while the syncs run ----------------------------------


def page_loop(org_ids: list[int], users: dict, control, out) -> None:
    from django.core.cache import cache
    from django.db import connections
    from django.test import Client

    from koalr.accounts.models import User

    connections.close_all()
    clients = {}
    busy: list[float] = []
    idle: list[float] = []
    times = busy
    errors = 0
    i = 0
    while True:
        if control.poll():
            message = control.recv()
            if message == "stop":
                break
            if message == "idle":  # the syncs are over: the same views on a quiet worker pool
                times = idle
            else:
                CLOCK[0] = message  # a new hour
            continue
        if not org_ids:
            time.sleep(0.1)
            continue
        org_id = org_ids[i % len(org_ids)]
        i += 1
        client = clients.get(org_id)
        if client is None:
            client = clients[org_id] = Client()
            client.force_login(User.objects.get(pk=users[org_id]))
            client.get("/ai-analytics/", secure=True)  # warm-up: templates, connection
        cache.clear()
        started = time.perf_counter()
        status = client.get("/ai-analytics/", secure=True).status_code
        times.append((time.perf_counter() - started) * 1000)
        errors += status != 200
    out.send((busy, idle, errors))
    connections.close_all()


# --- database size -------------------------------------------------------------------------------


def tenant_table_sizes() -> dict[str, int]:
    """Bytes (heap, indexes, TOAST) per tenant table, a partitioned table's partitions summed."""
    from django.apps import apps
    from django.db import connection

    tables = sorted(
        {
            m._meta.db_table
            for app in ("analytics", "people", "integrations", "alerts")
            for m in apps.get_app_config(app).get_models()
        }
    )
    sizes = {}
    with connection.cursor() as cursor:
        for table in tables:
            # pg_partition_tree lists nothing for a plain table, every partition for a parent.
            cursor.execute(
                "SELECT COALESCE((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree(%s::regclass)),"
                " pg_total_relation_size(%s::regclass))",
                [table, table],
            )
            sizes[table] = int(cursor.fetchone()[0])
    return sizes


def report_sizes(label: str, sizes: dict[str, int], seat_days: int) -> None:
    total = sum(sizes.values())
    per = total / max(seat_days, 1)
    print(f"\ndatabase, {label}: {total / 2**20:,.1f} MiB in tenant tables (beyond the empty schema) "
          f"for {seat_days:,} seat-days -> {per:,.0f} bytes per seat-day "
          f"({per * 1000 * 365 / 2**30:,.2f} GiB per 1,000 seats per year)")  # fmt: skip
    for table, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {table:<36} {size / 2**20:9.1f} MiB  {size / max(seat_days, 1):8.0f} B/seat-day")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--hours", type=int, default=3, help="simulated hours of hourly syncs")
    parser.add_argument("--history-days", type=int, default=7, help="days each first sync backfills")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (one per core)")
    parser.add_argument("--quick", action="store_true", help="10 organizations × 50 seats, 2 hours")
    parser.add_argument("--keep", action="store_true", help="reuse the benchmark database")
    parser.add_argument("--idle-seconds", type=float, default=20.0, help="dashboard views after the syncs")
    args = parser.parse_args()
    if args.quick:
        args.orgs, args.seats, args.hours, args.history_days = 10, 50, 2, 3

    start = datetime.now(UTC).replace(minute=5, second=0, microsecond=0)
    CLOCK[0] = start
    print(f"{args.orgs} organizations × {args.seats} seats, {args.history_days} days of history, "
          f"{args.hours} hourly rounds, {args.workers} workers; {load()}")  # fmt: skip

    # Fork the simulator before Django opens any database connection.
    ctx = multiprocessing.get_context("fork")
    sim_pipe, child_pipe = ctx.Pipe()
    simulator = ctx.Process(
        target=serve_simulator,
        args=(child_pipe, args.orgs, args.seats, args.history_days + 1, start),
        daemon=True,
    )
    simulator.start()
    base_url, api_keys = sim_pipe.recv()

    reset_database(os.environ["DATABASE_URL"], args.keep)
    patcher = mock.patch("django.utils.timezone.now", now)
    patcher.start()
    import django

    django.setup()
    import logging

    logging.getLogger("kombu").setLevel(logging.ERROR)  # eager Celery's "no hostname" notes
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - t:.1f} s")
    # What the empty schema takes (empty partitions and their indexes): not data, left out.
    empty = tenant_table_sizes()

    from analytics.models import DailyUsage, UsageEvent
    from integrations.cursor.ratelimit import NoRateLimit
    from integrations.cursor.sync import SyncOptions
    from integrations.models import Connection, SyncRun
    from integrations.queues import queue_for_run
    from koalr.accounts.models import Membership, Organization, User

    settings.CURSOR_SYNC_OPTIONS = SyncOptions(limiter=NoRateLimit())
    stamp = time.strftime("%H%M%S")
    org_ids, users, connections_by_org = [], {}, {}
    for i, key in enumerate(api_keys):
        org = Organization.objects.create(name=f"Tenant {i}", slug=f"tenant-{stamp}-{i}")
        user = User.objects.create_user(f"admin{i}-{stamp}@tenant.test", "bench-pass")
        Membership.objects.create(user=user, organization=org, role=Membership.Role.ADMIN)
        conn = Connection(organization=org, base_url=base_url, capabilities={"admin": True, "analytics": True, "ai_code": True})  # fmt: skip
        conn.set_api_key(key)
        conn.save()
        org_ids.append(org.pk)
        users[org.pk] = user.pk
        connections_by_org[org.pk] = conn

    def queue_runs(*, days: int | None) -> tuple[list[int], dict[str, int]]:
        ids, routed = [], {}
        end = now().date()
        for org_id in org_ids:
            run = SyncRun(
                organization_id=org_id,
                connection=connections_by_org[org_id],
                trigger=SyncRun.Trigger.CONNECT if days else SyncRun.Trigger.HOURLY,
            )
            if days:
                run.window_start, run.window_end = end - timedelta(days=days - 1), end
            run.save()
            queue = queue_for_run(run)
            routed[queue] = routed.get(queue, 0) + 1
            ids.append(run.pk)
        return ids, routed

    connections.close_all()
    jobs, results = ctx.Queue(), ctx.Queue()
    workers = [
        ctx.Process(target=worker_loop, args=(jobs, results), daemon=True) for _ in range(args.workers)
    ]
    for w in workers:
        w.start()

    # 1. First syncs: the backfill.
    ids, routed = queue_runs(days=args.history_days)
    t = time.perf_counter()
    done = work(jobs, results, ids, now())
    wall = time.perf_counter() - t
    cpu = sum(r[2] for r in done)
    seat_days = DailyUsage.objects.count()
    print(f"\nbackfill: {len(done)} runs routed {routed}, {wall:.1f} s wall, {cpu:.1f} worker CPU s, "
          f"{seat_days:,} seat-days, {UsageEvent.objects.count():,} usage events; "
          f"statuses {sorted({r[1] for r in done})}")  # fmt: skip

    # 2. Hourly rounds, with the page process timing the dashboard meanwhile.
    page_control, page_child = ctx.Pipe()
    page_out, page_out_child = ctx.Pipe()
    connections.close_all()
    pages = ctx.Process(target=page_loop, args=(org_ids, users, page_child, page_out_child), daemon=True)
    pages.start()
    sim_pipe.send(("cpu", None))
    sim_cpu_before = sim_pipe.recv()
    hourly_cpu, hourly_wall, round_walls = [], [], []
    statuses: set[str] = set()
    for hour in range(1, args.hours + 1):
        CLOCK[0] = start + timedelta(hours=hour)
        sim_pipe.send(("now", CLOCK[0]))
        sim_pipe.recv()
        page_control.send(CLOCK[0])
        ids, routed = queue_runs(days=None)
        t = time.perf_counter()
        done = work(jobs, results, ids, CLOCK[0])
        round_walls.append(time.perf_counter() - t)
        hourly_cpu += [r[2] for r in done]
        hourly_wall += [r[3] for r in done]
        statuses |= {r[1] for r in done}
        print(f"hour {hour}: {len(done)} runs routed {routed}, {round_walls[-1]:.1f} s wall, "
              f"{sum(r[2] for r in done):.1f} worker CPU s; {load()}")  # fmt: skip
    sim_pipe.send(("cpu", None))
    sim_cpu = sim_pipe.recv() - sim_cpu_before
    page_control.send("idle")
    time.sleep(args.idle_seconds)
    page_control.send("stop")
    page_times, idle_times, page_errors = page_out.recv()
    pages.join(timeout=30)
    for _ in workers:
        jobs.put(None)
    for w in workers:
        w.join(timeout=30)
    sim_pipe.send("stop")
    simulator.join(timeout=10)

    # 3. Figures.
    connection.ensure_connection()
    org_hours = args.orgs * args.hours
    per_org_hour = sum(hourly_cpu) / org_hours
    sizes = {table: size - empty.get(table, 0) for table, size in tenant_table_sizes().items()}
    seat_days = DailyUsage.objects.count()
    print(f"\nhourly runs: {org_hours} ({sorted(statuses)}), worker CPU per organization-hour "
          f"{per_org_hour:.3f} s (p50 {statistics.median(hourly_cpu):.3f}, p95 {percentile(hourly_cpu, 0.95):.3f}); "
          f"run wall p50 {statistics.median(hourly_wall):.2f} s, p95 {percentile(hourly_wall, 0.95):.2f} s")  # fmt: skip
    print(f"  -> one worker core keeps up with {3600 / per_org_hour:,.0f} organizations of {args.seats} seats "
          f"syncing hourly (at 100 % busy; plan for half that)")  # fmt: skip
    print(
        f"  the simulator (Cursor's side, not ours) used {sim_cpu / org_hours:.3f} CPU s per organization-hour"
    )
    print(f"  a round of {args.orgs} hourly syncs took {statistics.median(round_walls):.1f} s wall with "
          f"{args.workers} workers")  # fmt: skip
    report_sizes("as stored right after the syncs", sizes, seat_days)
    # Each hourly run rewrites the rows of the days it re-reads (daily usage, AI code, rollups):
    # dead versions autovacuum frees for reuse. Over a year of history those few days are
    # noise, so the live size is the one to plan with.
    with connection.cursor() as cursor:
        for table in sizes:
            cursor.execute(f'VACUUM FULL "{table}"')
    live = {table: size - empty.get(table, 0) for table, size in tenant_table_sizes().items()}
    report_sizes("live rows (after VACUUM FULL)", live, seat_days)
    for label, views in (("while syncs ran", page_times), ("with no sync running", idle_times)):
        print(f"\ndashboard {label} (cold cache, {len(views)} views): "
              f"p50 {statistics.median(views) if views else float('nan'):.0f} ms, "
              f"p95 {percentile(views, 0.95):.0f} ms")  # fmt: skip
    print(f"page errors: {page_errors}")
    print(load())
    patcher.stop()


if __name__ == "__main__":
    main()
