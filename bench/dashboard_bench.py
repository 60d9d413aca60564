#!/usr/bin/env python
"""Server time of /ai-analytics/, /ai-analytics/spend/ and the team lens (the team
comparison, a team-filtered dashboard) for a 5,000-seat organization with 40 teams.

Seeds (once; `--reseed` starts over) a dedicated PostgreSQL database with 5,000 Cursor
members × 90 days of daily usage (450,000 rows), 5 million usage events, a spend snapshot
per member and the rollups, all set-based in SQL (INSERT … SELECT generate_series), then
times requests with Django's test Client logged in as an admin and prints p50/p95 and the
query count per page, with the cache warm (the steady state: the costliest reads are
cached per data version until the next sync, see analytics/cache.py) and cold (cache
emptied before every request: the first view after a sync). Targets: p95 ≤ 150 ms and
≤ 20 queries per page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koalr_bench \\
        .venv/bin/python bench/dashboard_bench.py [--reseed] [--requests 30]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/koalr_bench"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
# Production-like settings (DEBUG off: no query logging) that still run over plain HTTP.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("TESTING", "1")  # development encryption key and plain static storage
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koalr.settings")

SEATS = 5000
DAYS = 90
EVENTS = 5_000_000
IDLE_EVERY = 20  # one seat in twenty has never been active
SLUG = "bench"
ADMIN_EMAIL = "admin@bench.test"
TEAM_PARENTS, TEAM_CHILDREN = 8, 4  # 8 top-level teams of 4 sub-teams each: 40 teams
NO_TEAM_EVERY = 25  # one seat in twenty-five is in no team
PAGES = [
    ("/ai-analytics/", "dashboard, 30 days (default)"),
    ("/ai-analytics/spend/", "spend review"),
    ("/ai-analytics/?range=90&model=gpt-5", "dashboard, 90 days, model filter"),
    ("/ai-analytics/me/", "my usage"),
    ("/ai-analytics/teams/", "team comparison, 30 days"),
    ("/ai-analytics/teams/?range=90", "team comparison, 90 days"),
    ("/ai-analytics/?team=unit-1", "dashboard, one top-level team"),
    ("/ai-analytics/?team=unit-1-squad-2", "dashboard, one sub-team"),
]
# Pages held to the targets (the others are printed for information).
GATED = ("/ai-analytics/", "/ai-analytics/spend/", "/ai-analytics/teams/", "/ai-analytics/?team=unit-1")
TARGET_P95_MS = 150
TARGET_QUERIES = 20


def ensure_database(reseed: bool) -> None:
    """Create (or with --reseed, recreate) the bench database itself."""
    import psycopg

    url = urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin_url = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reseed:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def seed(org, end) -> None:
    """Everything set-based in SQL: members, daily rows, events, spend, then rollups."""
    from django.db import connection, transaction

    from analytics.models import Tool
    from analytics.services import refresh_after_sync

    start = end - timedelta(days=DAYS - 1)
    cycle_start = datetime(end.year, end.month, 1, tzinfo=UTC)
    org_id = org.pk
    steps = [
        (
            "members",
            """
            INSERT INTO analytics_cursormember
                (organization_id, cursor_user_id, email, name, role, is_removed, not_in_roster,
                 first_seen, last_seen, created_at, updated_at)
            SELECT %(org)s, 'user_' || lpad(i::text, 20, '0'), 'dev' || i || '@bench.test',
                   'Dev ' || i, 'member', false, false, %(start)s,
                   CASE WHEN i %% %(idle)s = 0 THEN NULL
                        WHEN i %% 33 = 0 THEN %(end)s::date - 20
                        ELSE %(end)s::date - (i %% 3) END,
                   now(), now()
            FROM generate_series(1, %(seats)s) AS i
            """,
        ),
        (
            "daily usage",
            """
            INSERT INTO analytics_dailyusage
                (organization_id, member_id, day, is_active, total_lines_added, total_lines_deleted,
                 accepted_lines_added, accepted_lines_deleted, total_applies, total_accepts, total_rejects,
                 total_tabs_shown, total_tabs_accepted, composer_requests, chat_requests, agent_requests,
                 cmdk_usages, subscription_included_reqs, api_key_reqs, usage_based_reqs, bugbot_usages,
                 most_used_model, apply_most_used_extension, tab_most_used_extension, client_version)
            SELECT %(org)s, m.id, d.day::date, a.active,
                   CASE WHEN a.active THEN (h %% 400) ELSE 0 END, CASE WHEN a.active THEN (h %% 90) ELSE 0 END,
                   CASE WHEN a.active THEN (h %% 150) ELSE 0 END, CASE WHEN a.active THEN (h %% 30) ELSE 0 END,
                   CASE WHEN a.active THEN (h %% 12) ELSE 0 END, CASE WHEN a.active THEN (h %% 10) ELSE 0 END,
                   CASE WHEN a.active THEN (h %% 4) ELSE 0 END, CASE WHEN a.active THEN (h %% 40) ELSE 0 END,
                   CASE WHEN a.active THEN (h %% 15) ELSE 0 END, CASE WHEN a.active THEN (h %% 3) ELSE 0 END,
                   CASE WHEN a.active THEN (h %% 4) ELSE 0 END, CASE WHEN a.active THEN (h %% 6) ELSE 0 END,
                   CASE WHEN a.active THEN (h %% 3) ELSE 0 END, 0, 0, 0, 0,
                   CASE WHEN a.active THEN (ARRAY['claude-4.5-sonnet','gpt-5','composer-1','auto','gemini-2.5-pro'])[1 + h %% 5] ELSE '' END,
                   '', '', ''
            FROM analytics_cursormember m
            CROSS JOIN generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d(day)
            CROSS JOIN LATERAL (SELECT abs(hashtext(m.id::text || d.day::text)) AS h) AS hh
            CROSS JOIN LATERAL (SELECT (m.last_seen IS NOT NULL AND d.day::date <= m.last_seen AND h %% 10 < 7) AS active) AS a
            WHERE m.organization_id = %(org)s
            """,
        ),
        (
            "usage events",
            """
            INSERT INTO analytics_usageevent
                (organization_id, member_id, fingerprint, timestamp, day, model, kind, max_mode,
                 requests_costs, is_token_based_call, input_tokens, output_tokens, cache_write_tokens,
                 cache_read_tokens, token_cents, charged_cents, cursor_token_fee, is_headless,
                 is_chargeable, conversation_id)
            SELECT %(org)s, a.ids[1 + g %% a.total], md5('bench-' || g), ev.day + make_interval(secs => g %% 86000), ev.day,
                   (ARRAY['claude-4.5-sonnet','gpt-5','composer-1','auto','gemini-2.5-pro'])[1 + (g / 7) %% 5],
                   CASE WHEN g %% 4 = 0 THEN 'Usage-based' ELSE 'Included in Business' END, g %% 50 = 0,
                   (ARRAY[0.5, 1, 2])[1 + g %% 3], true, 100 + g %% 5000, 50 + g %% 2000, g %% 3000,
                   g %% 9000, (g %% 900) / 100.0, (g %% 900) / 100.0, 0, false, g %% 900 > 0, ''
            FROM (
                SELECT array_agg(id ORDER BY id) AS ids, count(*) AS total
                FROM analytics_cursormember WHERE organization_id = %(org)s AND last_seen IS NOT NULL
            ) AS a
            CROSS JOIN generate_series(0, %(events)s - 1) AS g
            CROSS JOIN LATERAL (SELECT (%(end)s::date - ((g / a.total) %% %(days)s)::int) AS day) AS ev
            """,
        ),
        (
            "spend snapshots",
            """
            INSERT INTO analytics_spendsnapshot
                (organization_id, member_id, cycle_start, spend_cents, overall_spend_cents,
                 fast_premium_requests, hard_limit_override_dollars, monthly_limit_dollars,
                 effective_per_user_limit_dollars, captured_at)
            SELECT %(org)s, e.member_id, %(cycle)s,
                   COALESCE(SUM(e.charged_cents) FILTER (WHERE e.kind = 'Usage-based'), 0), SUM(e.charged_cents),
                   COUNT(*) %% 500, 0, CASE WHEN e.member_id %% 2 = 0 THEN 100 END,
                   CASE WHEN e.member_id %% 2 = 0 THEN 100 END, now()
            FROM analytics_usageevent e
            WHERE e.organization_id = %(org)s AND e.day >= %(cycle)s::date
            GROUP BY e.member_id
            """,
        ),
    ]
    params = {
        "org": org_id,
        "start": start,
        "end": end,
        "seats": SEATS,
        "idle": IDLE_EVERY,
        "events": EVENTS,
        "days": DAYS,
        "cycle": cycle_start,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        for label, sql in steps:
            t = time.perf_counter()
            cursor.execute(sql, params)
            print(f"  {label}: {cursor.rowcount:,} rows in {time.perf_counter() - t:.1f}s", flush=True)
    t = time.perf_counter()
    refresh_after_sync(org_id, Tool.CURSOR, start, end)
    print(f"  rollups in {time.perf_counter() - t:.1f}s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def seed_teams(org, start) -> None:
    """40 teams in two levels; each seat in one sub-team from the first day, a few in none."""
    from django.db import connection

    from analytics.services.tool_days import refresh_team_days
    from people.models import Team
    from people.teams import create_team

    if Team.objects.filter(organization=org).exists():
        return
    t = time.perf_counter()
    leaves = []
    for p in range(1, TEAM_PARENTS + 1):
        parent = create_team(org.pk, name=f"Unit {p}", cost_centre=f"CC-{p:03d}")
        leaves += [
            create_team(org.pk, name=f"Unit {p} squad {c}", parent=parent).pk
            for c in range(1, TEAM_CHILDREN + 1)
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO people_teammembership (organization_id, person_id, team_id, start, "end")
            SELECT %(org)s, p.id, (%(leaves)s::bigint[])[1 + (p.id %% %(n)s)], %(start)s, NULL
            FROM people_person p
            WHERE p.organization_id = %(org)s AND p.id %% %(none)s <> 0
            """,
            {"org": org.pk, "leaves": leaves, "n": len(leaves), "start": start, "none": NO_TEAM_EVERY},
        )
        print(
            f"  teams: {TEAM_PARENTS * (TEAM_CHILDREN + 1)} teams, {cursor.rowcount:,} memberships",
            flush=True,
        )
    refresh_team_days(org.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  team rollups in {time.perf_counter() - t:.1f}s", flush=True)


def bench_org():
    from koalr.accounts.models import Membership, Organization, User

    org = Organization.objects.filter(slug=SLUG).first()
    if org is None:
        org = Organization.objects.create(name="Bench Corp", slug=SLUG)
    admin = User.objects.filter(email=ADMIN_EMAIL).first() or User.objects.create_user(
        ADMIN_EMAIL, "bench-pass"
    )
    Membership.objects.get_or_create(user=admin, organization=org, defaults={"role": Membership.Role.ADMIN})
    return org, admin


def measure(client, url: str, n: int, *, cold: bool = False) -> dict:
    """Server time of `n` requests after a warm-up. `cold` empties the cache before each
    request, so every read runs against the database (the first view after a sync)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm-up: connections, template and plotly caches
        assert client.get(url, secure=True).status_code == 200
    times = []
    for _ in range(n):
        if cold:
            cache.clear()
        t = time.perf_counter()
        response = client.get(url, secure=True)
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.status_code
    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[max(0, int(round(0.95 * len(times))) - 1)],
        "max": times[-1],
        "queries": len(queries),
        "kb": len(response.content) / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reseed", action="store_true", help="drop and recreate the bench database")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (default 30)")
    args = parser.parse_args()

    ensure_database(args.reseed)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from analytics.models import CursorMember, DailyUsage, UsageEvent

    call_command("migrate", verbosity=0)
    org, admin = bench_org()
    # The admin also has a Cursor seat, so /me has data.
    end = datetime.now(UTC).date()
    if not CursorMember.objects.filter(organization=org).exists():
        print(f"seeding {SEATS:,} seats × {DAYS} days and {EVENTS:,} usage events …", flush=True)
        t = time.perf_counter()
        seed(org, end)
        print(f"seeded in {time.perf_counter() - t:.0f}s")
    else:
        latest = (
            DailyUsage.objects.filter(organization=org).order_by("-day").values_list("day", flat=True).first()
        )
        if latest != end:
            print(f"note: data ends {latest}, today is {end}; run with --reseed for an up-to-date window")
    seed_teams(org, end - timedelta(days=DAYS - 1))
    CursorMember.objects.filter(organization=org, email="dev1@bench.test").update(email=ADMIN_EMAIL)
    print(
        f"data: {CursorMember.objects.filter(organization=org).count():,} members, "
        f"{DailyUsage.objects.filter(organization=org).count():,} daily rows, "
        f"{UsageEvent.objects.filter(organization=org).count():,} usage events"
    )

    client = Client()
    client.force_login(admin)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"\n{'page':<48} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8} {'KB':>7}")
    failed = False
    for cold in (False, True):
        for url, label in PAGES:
            r = measure(client, url, args.requests, cold=cold)
            ok = r["p95"] <= TARGET_P95_MS and r["queries"] <= TARGET_QUERIES
            if not cold:
                failed |= not ok and url in GATED
            name = f"{label} (cold cache)" if cold else label
            print(
                f"{name:<48} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['max']:>8.1f} {r['queries']:>8} {r['kb']:>7.0f}"
                f"  {'ok' if ok else 'over target'}",
                flush=True,
            )
    print(f"\ntargets: p95 ≤ {TARGET_P95_MS} ms and ≤ {TARGET_QUERIES} queries for {', '.join(GATED)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
