#!/usr/bin/env python
"""Benchmark: a full GitHub Copilot backfill from the Copilot simulator into PostgreSQL.

    python bench/copilot_sync_bench.py                # 1,000 seats × 90 days, rate limits off
    python bench/copilot_sync_bench.py --rate-limits  # GitHub's limits, simulator and client

Starts the Copilot simulator in a child process (its CPU is not ours, as with the real GitHub)
on loopback, creates a fresh organization and Copilot connection in the benchmark database
(DATABASE_URL, default postgres://postgres@127.0.0.1:5432/koalr_bench, created and migrated if
needed) and times `run_copilot_sync`: HTTP on two hosts, NDJSON parsing, COPY upserts, identity
matching and the ToolDay refresh.

It prints the rows stored per second and the floor GitHub's limits set on the wall time
(docs/copilot-api.md §1.3): the hourly primary budget (5,000 requests) and the secondary one
(900 requests a minute per endpoint); a fresh window admits its budget at once, each further
budget costs a window. Prints figures only; no asserts.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koalr.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/koalr_bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")

PRIMARY_PER_HOUR = 5000
SECONDARY_PER_MINUTE = 900
NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a fixed moment: the run never depends on today


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    name = info.pop("dbname")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def serve_simulator(pipe, seats: int, days: int, rate_limits: bool) -> None:
    from simulators.copilot import CopilotSimulator

    sim = CopilotSimulator(clock=lambda: NOW, rate_limits=rate_limits)
    sim.request_log = __import__("collections").deque(maxlen=1_000_000)
    org = sim.add_org("bench", seats=seats, days=days, seed=1)
    started = time.perf_counter()
    lines = sum(len(org.user_records(day)) for day in org.report_days())  # warms the generator
    pipe.send((sim.start(), org.token, time.perf_counter() - started, lines))
    while (message := pipe.recv()) != "stop":
        if message == "log":
            pipe.send([(path, status) for _t, _kind, path, status in sim.request_log])
    sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90, help="days to backfill")
    parser.add_argument("--rate-limits", action="store_true", help="GitHub's limits on both sides")
    args = parser.parse_args()

    parent, child_end = multiprocessing.Pipe()
    child = multiprocessing.get_context("fork").Process(
        target=serve_simulator, args=(child_end, args.seats, args.days + 2, args.rate_limits), daemon=True
    )
    child.start()
    base_url, token, warm, lines = parent.recv()
    print(
        f"simulator: {args.seats:,} seats × {args.days} days ({lines:,} user-day lines) generated in {warm:.1f} s"
    )

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from analytics.models import CopilotUserDay, Tool, ToolDay
    from integrations.copilot import services
    from integrations.copilot.limits import CopilotRateLimiter
    from integrations.copilot.options import CopilotSyncOptions
    from integrations.copilot.sync import run_copilot_sync
    from integrations.models import Connection, Provider
    from integrations.ratelimit import NoRateLimit
    from koalr.accounts.models import Organization

    settings.COPILOT_BACKFILL_DAYS = args.days
    limiter = CopilotRateLimiter() if args.rate_limits else NoRateLimit()
    options = CopilotSyncOptions(limiter=limiter, timeout=60.0)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    org = Organization.objects.create(name=f"Copilot bench {stamp}", slug=f"cbench-{stamp}-{os.getpid()}")
    conn = Connection(
        organization=org,
        provider=Provider.COPILOT,
        base_url=base_url,
        config={"scope": "org", "slug": "bench"},
    )
    conn.set_api_key(token)
    conn.save()
    run = services.create_foreground_run(conn)

    stream_times: dict[str, list] = {}

    def on_progress(r):
        now = time.perf_counter()
        for stream, entry in r.progress.items():
            times = stream_times.setdefault(stream, [None, None])
            if entry["status"] == "running" and times[0] is None:
                times[0] = now
            if entry["status"] in ("done", "failed", "skipped", "unavailable") and times[1] is None:
                times[1] = now

    started = time.perf_counter()
    run = run_copilot_sync(run.pk, options=options, today_=NOW.date(), progress=on_progress)
    wall = time.perf_counter() - started

    user_days = CopilotUserDay.objects.filter(organization=org).count()
    facts = ToolDay.objects.filter(organization=org, tool=Tool.COPILOT).count()
    total_rows = sum(run.rows_stored.values())
    print(f"run: {run.status} — {run.message}")
    print(f"wall time: {wall:.2f} s")
    print(
        f"user-day rows: {user_days:,} -> {user_days / wall:,.0f} rows/s end to end; ToolDay facts: {facts:,}"
    )
    print(f"all rows stored: {total_rows:,} -> {total_rows / wall:,.0f} rows/s")
    for stream, (s, e) in stream_times.items():
        if s is not None and e is not None:
            rows = run.progress[stream]["rows"]
            print(f"  {stream:<13} {e - s:7.2f} s  {rows:>9,} rows")

    parent.send("log")
    log = parent.recv()
    parent.send("stop")
    by_endpoint: Counter[str] = Counter()
    for path, _status in log:
        endpoint = path.split("?")[0]
        by_endpoint[endpoint] += 1
    total = sum(by_endpoint.values())
    print(f"API requests: {total:,} ({sum(1 for _, s in log if s in (403, 429))} rate-limited)")
    floors = {"primary (5,000/h)": max(0, math.ceil(total / PRIMARY_PER_HOUR) - 1) * 3600.0}
    for endpoint, n in by_endpoint.most_common():
        print(f"  {n:6,}  {endpoint}")
        floors[endpoint] = max(0, math.ceil(n / SECONDARY_PER_MINUTE) - 1) * 60.0
    floor_name, floor = max(floors.items(), key=lambda kv: kv[1])
    print(f"floor set by GitHub's limits: {floor:.0f} s ({floor_name}); wall time {wall:.1f} s")


if __name__ == "__main__":
    main()
