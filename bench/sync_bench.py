#!/usr/bin/env python
"""Benchmark: a full Cursor backfill from the simulator into PostgreSQL, end to end.

    python bench/sync_bench.py                   # 1,000 seats × 30 days, rate limits off
    python bench/sync_bench.py --days 15,30      # two backfills: peak RSS must not grow with days
    python bench/sync_bench.py --profile         # + the costliest functions of every sync thread
    python bench/sync_bench.py --rate-limits     # Cursor's real per-minute limits, client and server

Three kinds of process, so each figure belongs to one of them:

- the simulated Cursor runs in its own process (as the real Cursor would); its CPU seconds
  during the sync are read from /proc/<pid>/stat and printed, so the sync's figures are ours;
- each backfill runs in a fresh child process (fork of a parent that never imports Django):
  its CPU seconds (getrusage) and its peak RSS (VmHWM of /proc/self/status) are the worker's;
- the limit of the database (raw COPY and COPY+upsert of usage-event-shaped rows through
  ``analytics.services.bulk``) is measured in another child on the same database in the same
  run, and the end-to-end rate is printed as a fraction of it.

The benchmark database (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/koalr_bench)
is created and migrated if needed. Earlier benchmark organizations are removed first when the
database holds nothing else and no sync is running there (``--keep`` leaves them), so every run
starts from the same state.

With --rate-limits it prints the floor the limits impose: per rate-limit bucket, requests ÷
requests allowed per minute (and the burst-aware form: a fresh window admits `limit` at once);
the floor is the slowest bucket, since buckets are independent and lanes run them in parallel.
Prints figures only; no asserts.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import resource
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

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# part of a sync -> the table its rows land in (for per-part row counts)
PART_TABLES = {
    "members": "CursorMember",
    "daily_usage": "DailyUsage",
    "usage_events": "UsageEvent",
    "spend": "SpendSnapshot",
    "analytics": "TeamAnalytics",
    "ai_code_commits": "AiCommit",
    "ai_code_changes": "AiChange",
}


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)


def peak_rss_mb() -> float:
    """VmHWM of this process: its peak resident set size."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return sum(values) - values[3] - values[4], sum(values)  # idle and iowait are not busy


def postgres_cpu_seconds() -> float:
    """CPU seconds of every PostgreSQL process (the postmaster's reaped children included):
    the server's work for every database on it, so other users of the server count too."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if stat[stat.index("(") + 1 :].startswith("postgres"):
            fields = stat.rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / CLOCK_TICKS


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist yet."""
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    name = info.pop("dbname")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# -- the simulated Cursor ---------------------------------------------------------------------


def serve_simulator(pipe, seats: int, days: int, seed: int, rate_limits: bool, window: float) -> None:
    """Child process: the simulated Cursor, so its CPU is not ours (as with the real Cursor)."""
    from simulators.cursor import CursorSimulator

    sim = CursorSimulator(rate_limits=rate_limits, rate_window_seconds=window)
    team = sim.add_team(seats=seats, days=days, seed=seed)
    started = time.perf_counter()
    team.warm(ai_code=True)
    pipe.send((sim.start(), team.api_key, time.perf_counter() - started))
    while (message := pipe.recv()) != "stop":
        if message == "log":
            pipe.send(list(team.request_log))
            team.request_log.clear()
        elif message == "reset":
            sim.reset_rate_limit_buckets()
            pipe.send("ok")
    sim.stop()


# -- children that use Django -----------------------------------------------------------------


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare_database(pipe, keep: bool) -> None:
    """Migrate; remove earlier benchmark organizations if the database holds nothing else."""
    setup_django()
    from django.db import connection

    from analytics.models import AiChange, AiCommit, UsageEvent
    from integrations.models import SyncRun
    from koalr.accounts.models import Organization

    removed = 0
    orgs = Organization.objects.all()
    busy = SyncRun.objects.filter(status__in=SyncRun.ACTIVE_STATUSES).exists()  # another bench's
    if not keep and not busy and orgs.exists() and not orgs.exclude(slug__startswith="bench-").exists():
        removed = orgs.count()
        with connection.cursor() as cursor:
            # The fact tables have no database foreign key (analytics migration 0012), so
            # CASCADE does not reach them: they are named.
            tables = ", ".join(m._meta.db_table for m in (Organization, UsageEvent, AiCommit, AiChange))
            cursor.execute(f"TRUNCATE {tables} CASCADE")  # nosec B608  # model metadata
    pipe.send(removed)


def sync_child(pipe, args, days: int, base_url: str, api_key: str, sim_pid: int) -> None:
    """One backfill of ``days`` days in this fresh process; sends its figures to the parent."""
    setup_django()
    import django

    from analytics import models as analytics_models
    from analytics.services import EventWriter
    from integrations.cursor.ratelimit import InProcessRateLimiter, NoRateLimit
    from integrations.cursor.sync import SyncOptions, run_sync, runner, windows
    from integrations.cursor.sync.streams import StreamRunner
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
        window_start=end - timedelta(days=days - 1),
        window_end=end,
    )

    # A worker runs with DEBUG off: Django's debug cursor would keep the last 9,000 queries.
    django.conf.settings.DEBUG = False
    # And freezes what it loaded at start out of the garbage collector's walks (koalr/celery.py).
    from koalr.celery import freeze_startup_objects

    freeze_startup_objects()
    part_times: dict[str, tuple[float, float, float]] = {}  # part -> (start, end, CPU s of its thread)
    run_part = StreamRunner.run_part

    def timed_part(self, part):
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return run_part(self, part)
        finally:
            part_times[part] = (started, time.perf_counter(), time.thread_time() - cpu)

    StreamRunner.run_part = timed_part
    derived = [0.0, 0.0]  # wall, CPU seconds of the rebuild (rollups, first/last seen, ToolDay)

    def timed(fn):
        def wrapper(*a, **kw):
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                derived[0] += time.perf_counter() - started
                derived[1] += time.thread_time() - cpu

        return wrapper

    # The rebuild overlaps the slowest streams where the runner can (lanes.py); older versions
    # of the runner only had refresh_after_sync.
    for name in ("rebuild_after_sync", "refresh_after_sync"):
        if hasattr(runner, name):
            setattr(runner, name, timed(getattr(runner, name)))
    writer_cpu = [0.0]
    drain = getattr(EventWriter, "_drain", None)

    if drain is not None:

        def timed_drain(self):
            cpu = time.thread_time()
            try:
                return drain(self)
            finally:
                writer_cpu[0] += time.thread_time() - cpu

        EventWriter._drain = timed_drain

    if args.profile:
        import yappi

        yappi.set_clock_type("cpu")
        yappi.start()
    pg_cpu, machine = postgres_cpu_seconds(), machine_jiffies()
    sim_cpu, cpu, started = cpu_seconds_of(sim_pid), own_cpu_seconds(), time.perf_counter()
    started_mono = time.monotonic()  # the simulator's request log is on this (system-wide) clock
    run = run_sync(run.pk)
    wall = time.perf_counter() - started
    ended_mono = time.monotonic()
    cpu, sim_cpu = own_cpu_seconds() - cpu, cpu_seconds_of(sim_pid) - sim_cpu
    pg_cpu = postgres_cpu_seconds() - pg_cpu
    busy, total = (now - before for now, before in zip(machine_jiffies(), machine, strict=True))
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    rss = peak_rss_mb()
    profile = profile_report(args.profile_lines) if args.profile else ""

    rows = {
        part: getattr(analytics_models, model).objects.filter(organization=org).count()
        for part, model in PART_TABLES.items()
    }
    rows["groups"] = run.progress["groups"]["rows"]
    pipe.send(
        {
            "status": str(run.status),
            "message": str(run.message),
            "wall": wall,
            "span": (started_mono, ended_mono),
            "cpu": cpu,
            "sim_cpu": sim_cpu,
            "pg_cpu": pg_cpu,
            "busy_cores": busy / max(total, 1) * (os.cpu_count() or 1),
            "load": load,
            "rss_mb": rss,
            "rows": rows,
            "parts": {p: (e - s, c) for p, (s, e, c) in part_times.items()},
            "derived": derived,
            "writer_cpu": writer_cpu[0],
            "profile": profile,
        }
    )


def profile_report(lines: int) -> str:
    """The functions with the most own CPU time, per thread (yappi, CPU clock)."""
    import io

    import yappi

    yappi.stop()
    out = io.StringIO()
    threads = sorted(yappi.get_thread_stats(), key=lambda t: -t.ttot)
    for t in threads:
        if t.ttot < 0.5:
            continue
        out.write(f"\n-- thread {t.name} (id {t.id}): {t.ttot:.1f} CPU s --\n")
        stats = yappi.get_func_stats(ctx_id=t.id)
        stats.sort("tsub", "desc")
        for s in list(stats)[:lines]:
            where = f"{Path(s.module).name}:{s.lineno}"
            out.write(f"  own {s.tsub:7.2f}  total {s.ttot:7.2f}  calls {s.ncall:>9,}  {s.name} ({where})\n")
    return out.getvalue()


def limit_child(pipe, n: int, seats: int) -> None:
    """The database's limit on the same database, now: usage-event-shaped rows (a) COPYed raw
    into a staging table of the same shape, (b) COPY+upserted through analytics.services.bulk
    (the sync's own path), each as rows per second."""
    setup_django()
    import random
    from datetime import UTC, datetime
    from decimal import Decimal

    from django.db import connection, transaction

    from analytics.models import CursorMember, UsageEvent
    from analytics.services import bulk, usage_events
    from analytics.services.usage_events import EVENT_COLUMNS

    conflict = getattr(usage_events, "USAGE_EVENT_CONFLICT", ("organization_id", "fingerprint"))
    from koalr.accounts.models import Organization

    stamp = time.strftime("%Y%m%d-%H%M%S")
    org = Organization.objects.create(name=f"Bench limit {stamp}", slug=f"bench-limit-{stamp}-{os.getpid()}")
    members = CursorMember.objects.bulk_create(
        CursorMember(organization=org, email=f"dev{i}@bench.example") for i in range(seats)
    )
    rng = random.Random(1)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        ts = start + timedelta(seconds=i * 5)
        rows.append(
            (
                org.id, members[i % seats].id, f"{rng.getrandbits(256):064x}", ts, ts.date(),
                "claude-4-sonnet", "Usage-based", False, Decimal("1.25"), True, 1200 + i % 900,
                300 + i % 200, 0, 5000, Decimal("2.345678"), Decimal("2.845678"), Decimal("0.5"),
                False, True, f"conv-{i % 5000}",
            )
        )  # fmt: skip
    results = {}
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in EVENT_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE _bench_copy ON COMMIT DROP AS SELECT {cols} "  # nosec B608  # model metadata
            f"FROM {UsageEvent._meta.db_table} WITH NO DATA"
        )
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY _bench_copy ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        results["raw COPY (text)"] = n / (time.perf_counter() - started)
        if hasattr(bulk, "copy_rows"):  # binary where the types allow
            cursor.execute("TRUNCATE _bench_copy")
            started = time.perf_counter()
            bulk.copy_rows(cursor, "_bench_copy", EVENT_COLUMNS, rows, types_of=UsageEvent._meta.db_table)
            results["raw COPY (bulk.copy_rows)"] = n / (time.perf_counter() - started)
    started = time.perf_counter()
    bulk.upsert(UsageEvent, EVENT_COLUMNS, rows, conflict=conflict)
    results["COPY+upsert (bulk.upsert)"] = n / (time.perf_counter() - started)
    UsageEvent.objects.filter(organization=org)._raw_delete(UsageEvent.objects.db)
    org.delete()
    pipe.send(results)


def in_child(target, *args):
    """Run ``target(pipe, *args)`` in a fresh forked process and return what it sends."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=target, args=(child, *args))
    process.start()
    child.close()
    try:
        result = parent.recv()
    except EOFError:
        process.join()
        raise SystemExit(f"{target.__name__} died (exit code {process.exitcode})") from None
    process.join()
    return result


# -- the report -------------------------------------------------------------------------------


def print_sync(days: int, r: dict, limit: float | None) -> None:
    total = sum(r["rows"].values())
    wall = r["wall"]
    print(f"\n== backfill of {days} days: {r['status']} — {r['message']}")
    print(f"wall time {wall:.2f} s")
    print("  part              wall s       rows     rows/s   CPU s of its thread")
    order = list(PART_TABLES) + ["groups"]
    for part, (seconds, cpu) in sorted(r["parts"].items(), key=lambda kv: order.index(kv[0])):
        n = r["rows"].get(part, 0)
        print(f"  {part:<16} {seconds:7.2f} {n:>10,} {n / max(seconds, 1e-9):>10,.0f}   {cpu:6.1f}")
    print(f"  usage events writer thread: {r['writer_cpu']:.1f} CPU s")
    print(f"  rollups + first/last seen + ToolDay: {r['derived'][0]:.2f} s ({r['derived'][1]:.1f} CPU s)")
    line = f"all streams end to end: {total:,} rows in {wall:.2f} s -> {total / wall:,.0f} rows/s"
    if limit:
        line += f" = {total / wall / limit:.2f} × the COPY+upsert limit"
    print(line)
    print(f"usage events: {r['rows']['usage_events'] / wall:,.0f} events/s end to end")
    print(
        f"CPU seconds: ours (sync process) {r['cpu']:.1f}, the simulator's {r['sim_cpu']:.1f}; "
        f"ours per 100k rows {r['cpu'] / max(total, 1) * 1e5:.2f}"
    )
    print(
        f"machine during the sync: {r['busy_cores']:.2f} of {os.cpu_count()} cores busy; PostgreSQL "
        f"(the whole server, other databases too) {r['pg_cpu']:.1f} CPU s; load average after: {r['load']}"
    )
    print(f"worker peak RSS (VmHWM of the sync process): {r['rss_mb']:.0f} MB")
    if r["profile"]:
        print("profile (yappi, CPU clock, own time per function, per thread):" + r["profile"])


def bucket_of(family: str, path: str) -> str:
    return f"ai_code:{path.rsplit('/', 1)[-1]}" if family == "ai_code" else family


def max_in_window(times: list[float], window: float) -> int:
    """The most timestamps inside any half-open window of ``window`` seconds."""
    times, best, j = sorted(times), 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def print_floor(log: list, wall: float, window: float, span: tuple[float, float] | None = None) -> None:
    """The floor the limits impose, the run's ratio to it, and where the time above it went."""
    from integrations.cursor.ratelimit import DEFAULT_LIMITS

    by_bucket: dict[str, list[float]] = {}
    for at, family, path, status in log:
        if status == 200:
            by_bucket.setdefault(bucket_of(family, path), []).append(at)
    throttled = Counter(bucket_of(f, path) for _, f, path, status in log if status == 429)
    print(
        f"requests: {sum(map(len, by_bucket.values())):,} answered 200, "
        f"{sum(throttled.values())} answered 429 (the simulator's count)"
        + (f": {dict(throttled)}" if throttled else "")
    )
    floors, plain = {}, {}
    for bucket, times in sorted(by_bucket.items()):
        n, limit = len(times), DEFAULT_LIMITS[bucket.split(":")[0]]
        # A fresh window admits `limit` requests at once; each further `limit` costs a window.
        floors[bucket] = max(0, math.ceil(n / limit) - 1) * window
        plain[bucket] = n / limit * window
        print(
            f"  {bucket:<17} {n:5d} requests at {limit}/window: "
            f"floor {floors[bucket]:7.1f} s (requests ÷ limit: {plain[bucket]:7.1f} s); "
            f"most in any window {max_in_window(times, window)}"
        )
    floor, plain_floor = max(floors.values()), max(plain.values())
    print(
        f"floor, requests ÷ limit (slowest bucket): {plain_floor:.1f} s -> wall / floor = {wall / plain_floor:.3f}"
    )
    if not floor:
        return
    print(f"floor, burst-aware (slowest bucket): {floor:.1f} s -> wall / floor = {wall / floor:.3f}")
    if span is None:
        return
    # Where the wall time above the floor went, for the slowest bucket. Its last request can
    # come no earlier than `windows` windows after its request number `anchor` (each window
    # admits `limit` more), so wall = lane start + first burst up to the anchor + those windows
    # + the tail after the last answer. Times are the simulator's answer times.
    slowest = max(floors, key=lambda b: (floors[b], plain[b]))
    times = sorted(by_bucket[slowest])
    limit = DEFAULT_LIMITS[slowest.split(":")[0]]
    windows = math.ceil(len(times) / limit) - 1
    anchor = len(times) - 1 - windows * limit
    started, ended = span
    parts = {
        "before its first request": times[0] - started,
        f"its first {anchor} requests (the first burst up to #{anchor + 1})": times[anchor] - times[0],
        f"above {windows} × {window:g} s between #{anchor + 1} and the last": times[-1]
        - times[anchor]
        - windows * window,
        "after its last answer (the tail)": ended - times[-1],
    }
    print(f"time above the burst-aware floor ({wall - floor:.1f} s), slowest bucket {slowest}:")
    for name, seconds in parts.items():
        print(f"  {name:<58} {seconds:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--days", default="30", help="days to backfill; a comma list runs one backfill each")
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
    parser.add_argument("--profile", action="store_true", help="profile every thread of the sync (yappi)")
    parser.add_argument("--profile-lines", type=int, default=25)
    parser.add_argument("--limit-rows", type=int, default=200_000, help="rows of the COPY limit check")
    parser.add_argument("--keep", action="store_true", help="keep earlier benchmark organizations")
    args = parser.parse_args()
    day_counts = [int(d) for d in args.days.split(",")]

    # The simulator keeps one extra day of history so the backfill window is fully populated.
    sim_pipe, child_pipe = multiprocessing.Pipe()
    sim = multiprocessing.get_context("fork").Process(
        target=serve_simulator,
        args=(child_pipe, args.seats, max(day_counts) + 1, args.seed, args.rate_limits, args.window_seconds),
        daemon=True,
    )
    sim.start()
    base_url, api_key, warm_seconds = sim_pipe.recv()
    print(
        f"simulator (pid {sim.pid}): {args.seats:,} seats × {max(day_counts) + 1} days generated "
        f"in {warm_seconds:.1f} s, at {base_url}"
    )
    with open("/proc/loadavg") as f:
        print(f"machine: {os.cpu_count()} cores, load average {' '.join(f.read().split()[:3])}")

    ensure_database(os.environ["DATABASE_URL"])
    removed = in_child(prepare_database, args.keep)
    if removed:
        print(f"removed {removed} earlier benchmark organizations")
    limits = in_child(limit_child, args.limit_rows, args.seats)
    print(f"database limit, {args.limit_rows:,} usage-event-shaped rows:")
    for name, rate in limits.items():
        print(f"  {name:<27} {rate:>9,.0f} rows/s")
    limit = limits["COPY+upsert (bulk.upsert)"]

    for days in day_counts:
        sim_pipe.send("reset")
        sim_pipe.recv()
        result = in_child(sync_child, args, days, base_url, api_key, sim.pid)
        print_sync(days, result, limit)
        sim_pipe.send("log")
        log = sim_pipe.recv()
        if args.rate_limits:
            print_floor(log, result["wall"], args.window_seconds, result.get("span"))
        else:
            print(f"requests: {sum(1 for *_, s in log if s == 200):,} answered 200")
    sim_pipe.send("stop")
    sim.join(timeout=10)


if __name__ == "__main__":
    main()
