#!/usr/bin/env python
"""Benchmark: a full Cursor backfill from the simulator into PostgreSQL, end to end.

    python bench/sync_bench.py                 # 1,000 seats × 30 days, rate limits off
    python bench/sync_bench.py --rate-limits   # Cursor's real per-minute limits, client and server

Starts the simulator in-process on loopback, creates a fresh organization and connection in
the benchmark database (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/koalr_bench,
created and migrated if needed) and times `run_sync` — HTTP, parsing, fingerprinting, COPY
upserts and rollups. The simulator generates its data before the clock starts, so the figures
are ours, not the simulator's.

With --rate-limits it also prints the floor the limits impose: for each rate-limit bucket,
(requests it needed − the burst a fresh window admits) ÷ requests allowed per minute; the
floor is the slowest bucket, since buckets are independent and the sync runs them in parallel.
Prints figures only; no asserts.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koalr.settings")
os.environ.setdefault("DEBUG", "1")  # development defaults for SECRET_KEY / encryption keys
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/koalr_bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # one log line per HTTP call would dominate the output


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist yet."""
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    name = info.pop("dbname")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def serve_simulator(pipe, seats: int, days: int, seed: int, rate_limits: bool, window: float) -> None:
    """Child process: the simulated Cursor, so its CPU is not ours (as with the real Cursor)."""
    from simulators.cursor import CursorSimulator

    sim = CursorSimulator(rate_limits=rate_limits, rate_window_seconds=window)
    team = sim.add_team(seats=seats, days=days, seed=seed)
    started = time.perf_counter()
    team.warm()
    pipe.send((sim.start(), team.api_key, time.perf_counter() - started))
    while (message := pipe.recv()) != "stop":
        if message == "log":
            pipe.send(list(team.request_log))
    sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30, help="days to backfill")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate-limits", action="store_true", help="Cursor's real per-minute limits")
    parser.add_argument(
        "--window-seconds",
        type=float,
        default=60.0,
        help="length of a rate-limit window (60 = Cursor's; smaller runs a scaled-down check)",
    )
    parser.add_argument("--sequential", action="store_true", help="run the streams one after another")
    parser.add_argument(
        "--admin-only",
        action="store_true",
        help="skip the Enterprise streams (analytics, AI code), as for a team without that plan",
    )
    args = parser.parse_args()

    # Start the simulator before Django opens any database connection (fork safety). It keeps
    # one extra day of history so the backfill window is fully populated.
    parent_pipe, child_pipe = multiprocessing.Pipe()
    child = multiprocessing.get_context("fork").Process(
        target=serve_simulator,
        args=(child_pipe, args.seats, args.days + 1, args.seed, args.rate_limits, args.window_seconds),
        daemon=True,
    )
    child.start()
    base_url, api_key, warm_seconds = parent_pipe.recv()
    print(
        f"simulator: {args.seats:,} seats × {args.days} days generated in {warm_seconds:.1f} s, at {base_url}"
    )

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from analytics.models import DailyUsage, UsageEvent
    from integrations.cursor.ratelimit import DEFAULT_LIMITS, InProcessRateLimiter, NoRateLimit
    from integrations.cursor.sync import SyncOptions, run_sync, runner, windows
    from integrations.models import Connection, SyncRun
    from koalr.accounts.models import Organization

    # run_sync below is called without options, so it reads them from this setting.
    limiter = InProcessRateLimiter(window_seconds=args.window_seconds) if args.rate_limits else NoRateLimit()
    django.conf.settings.CURSOR_SYNC_OPTIONS = SyncOptions(
        limiter=limiter, parallel=False if args.sequential else None
    )

    stamp = time.strftime("%Y%m%d-%H%M%S")
    org = Organization.objects.create(name=f"Bench {stamp}", slug=f"bench-{stamp}-{os.getpid()}")
    conn = Connection(
        organization=org,
        base_url=base_url,
        capabilities={"admin": True, "analytics": not args.admin_only, "ai_code": not args.admin_only},
    )
    conn.set_api_key(api_key)
    conn.save()
    end = windows.today()
    run = SyncRun.objects.create(
        organization=org,
        connection=conn,
        trigger=SyncRun.Trigger.COMMAND,
        window_start=end - timedelta(days=args.days - 1),
        window_end=end,
    )

    stream_times: dict[str, list[float]] = {}
    derived_seconds = [0.0]

    def timed(fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                derived_seconds[0] += time.perf_counter() - t

        return wrapper

    runner.refresh_after_sync = timed(runner.refresh_after_sync)

    def on_progress(r):
        now = time.perf_counter()
        for stream, entry in r.progress.items():
            times = stream_times.setdefault(stream, [None, None])
            if entry["status"] == "running" and times[0] is None:
                times[0] = now
            if entry["status"] in ("done", "failed", "skipped", "unavailable") and times[1] is None:
                times[1] = now

    started = time.perf_counter()
    run = run_sync(run.pk, progress=on_progress)
    wall = time.perf_counter() - started

    events = UsageEvent.objects.filter(organization=org).count()
    daily = DailyUsage.objects.filter(organization=org).count()
    print(f"run: {run.status} — {run.message}")
    print(f"wall time: {wall:.2f} s")
    print(f"usage events stored: {events:,}  ->  {events / wall:,.0f} events/s end to end")
    print(f"daily usage rows stored: {daily:,}  ->  {daily / wall:,.0f} daily rows/s end to end")
    for stream, (s, e) in stream_times.items():
        if s is not None and e is not None:
            rows = run.progress[stream]["rows"]
            print(f"  {stream:<13} {e - s:7.2f} s  {rows:>9,} rows  ({rows / max(e - s, 1e-9):,.0f} rows/s)")

    parent_pipe.send("log")
    log = parent_pipe.recv()
    print(f"  rollups + first/last seen {derived_seconds[0]:.2f} s")
    by_bucket: Counter[str] = Counter()
    for _, family, path, status in log:
        if status == 200:
            bucket = f"ai_code:{path.rsplit('/', 1)[-1]}" if family == "ai_code" else family
            by_bucket[bucket] += 1
    throttled = sum(1 for *_, status in log if status == 429)
    print(f"requests: {sum(by_bucket.values()):,} answered 200, {throttled} answered 429")
    if args.rate_limits:
        minutes = args.window_seconds / 60.0
        floors = {}
        for bucket, n in sorted(by_bucket.items()):
            limit = DEFAULT_LIMITS[bucket.split(":")[0]]
            # A fresh window admits `limit` requests at once; each further `limit` costs a window.
            floors[bucket] = max(0, math.ceil(n / limit) - 1) * args.window_seconds
            plain = n / limit * minutes * 60
            print(
                f"  {bucket:<17} {n:5d} requests at {limit}/min: floor {floors[bucket]:7.1f} s (n/limit: {plain:7.1f} s)"
            )
        floor = max(floors.values())
        plain_floor = max(
            n / DEFAULT_LIMITS[b.split(":")[0]] * args.window_seconds for b, n in by_bucket.items()
        )
        print(f"floor (slowest bucket, burst-aware): {floor:.1f} s  ->  wall / floor = {wall / floor:.2f}")
        print(
            f"floor (requests ÷ allowed per minute): {plain_floor:.1f} s  ->  wall / floor = {wall / plain_floor:.2f}"
        )
    parent_pipe.send("stop")
    child.join(timeout=10)


if __name__ == "__main__":
    main()
