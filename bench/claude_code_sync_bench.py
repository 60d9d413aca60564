#!/usr/bin/env python
"""Benchmark: a full Claude Code backfill from the Claude Code simulator into PostgreSQL.

    python bench/claude_code_sync_bench.py                  # 1,000 users × 90 days, Console source
    python bench/claude_code_sync_bench.py --users 200 --days 30

Starts the Claude Code simulator in a child process (its CPU is not ours, as with Anthropic's
API) on loopback, creates a fresh organization and Claude Code connection in the benchmark
database (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/koalr_claude_bench, created and
migrated if needed) and times `run_claude_code_sync`: one HTTP call per UTC day and page (1,000
rows a page), parsing, the per-day replace, identity matching and the ToolDay refresh. Prints
figures only; no asserts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koalr.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/koalr_claude_bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a fixed moment: the run never depends on today


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    name = info.pop("dbname")
    with psycopg.connect(**info, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def serve_simulator(pipe, users: int, days: int) -> None:
    from simulators.claude_code import ClaudeCodeSimulator

    sim = ClaudeCodeSimulator(now=NOW, rate_limits=False, default_orgs=False)
    org = sim.add_org("console", seed=1, users=users, days=days + 2)
    started = time.perf_counter()
    rows = sum(len(org.report_rows(NOW.date() - timedelta(days=i))) for i in range(days))  # warms it
    pipe.send((sim.start(), org.admin_key, time.perf_counter() - started, rows))
    while pipe.recv() != "stop":
        pass
    sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90, help="days to backfill")
    args = parser.parse_args()

    parent, child_end = multiprocessing.Pipe()
    child = multiprocessing.get_context("fork").Process(
        target=serve_simulator, args=(child_end, args.users, args.days), daemon=True
    )
    child.start()
    base_url, key, warm, served = parent.recv()
    print(
        f"simulator: {args.users:,} users × {args.days} days ({served:,} report rows) generated in {warm:.1f} s"
    )

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from analytics.models import ClaudeCodeActorDay, ClaudeCodeModelDay, Tool, ToolDay
    from integrations.claude_code import services
    from integrations.claude_code.options import ClaudeCodeSyncOptions
    from integrations.claude_code.sync import run_claude_code_sync
    from integrations.models import Connection, Provider
    from koalr.accounts.models import Organization

    settings.CLAUDE_CODE_BACKFILL_DAYS = args.days
    stamp = time.strftime("%Y%m%d-%H%M%S")
    org = Organization.objects.create(
        name=f"Claude Code bench {stamp}", slug=f"ccbench-{stamp}-{os.getpid()}"
    )
    conn = Connection(
        organization=org, provider=Provider.CLAUDE_CODE, base_url=base_url, config={"source": "console"}
    )
    conn.set_api_key(key)
    conn.save()
    run = services.create_foreground_run(conn)
    started = time.perf_counter()
    run = run_claude_code_sync(run.pk, options=ClaudeCodeSyncOptions(timeout=60.0), today_=NOW.date())
    wall = time.perf_counter() - started
    parent.send("stop")

    actor_days = ClaudeCodeActorDay.objects.filter(organization=org).count()
    model_days = ClaudeCodeModelDay.objects.filter(organization=org).count()
    facts = ToolDay.objects.filter(organization=org, tool=Tool.CLAUDE_CODE).count()
    total = actor_days + model_days
    print(f"run: {run.status} — {run.message}")
    print(f"wall time: {wall:.2f} s")
    print(f"actor-day rows: {actor_days:,}; model-day rows: {model_days:,}; ToolDay facts: {facts:,}")
    print(
        f"report rows: {actor_days / wall:,.0f} rows/s end to end; all raw rows: {total / wall:,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
