#!/usr/bin/env python
"""Server time and queries of every AI-analytics page for a 5,000-seat organization with 40
teams, cold (the first view after a sync changed the data) and warm.

Seeds (once; `--reseed` starts over) a dedicated PostgreSQL database with 5,000 Cursor
members × 180 days of daily usage (900,000 rows; the custom 180-day range needs them),
5 million usage events over the last 90 days, a spend snapshot per member, 40 teams,
GitHub Copilot (3,000 seats, per-user days) and Claude Code (1,250 users, actor and model
days), all set-based in SQL (INSERT … SELECT generate_series), then each tool's own refresh.
Then it times requests with Django's test Client logged in as an admin, per page and range
(7, 30, 90 days, a custom 180-day range, a model filter, a team filter): p50/p95 with the
cache emptied before every request (cold) and warm, the queries of one cold and one warm
request, their database time and the slowest query, whose `EXPLAIN (ANALYZE, BUFFERS)` is
printed after the table. Targets (cold): p95 ≤ 150 ms and ≤ 15 queries per page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/koalr_bench \\
        .venv/bin/python bench/dashboard_bench.py [--reseed] [--requests 20] [--only team]
        [--json out.json] [--refresh-cost]
"""

import argparse
import json
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
DAYS = 180  # daily usage (and so the rollups and ToolDay facts) cover 180 days: a custom 180-day range
EVENT_DAYS = 90  # the 5 million usage events cover the last 90 days, as before
EVENTS = 5_000_000
IDLE_EVERY = 20  # one seat in twenty has never been active
COPILOT_EVERY = (0, 1, 2)  # people whose id % 5 is one of these hold a Copilot seat (60 %)
CLAUDE_CODE_EVERY = 4  # one person in four uses Claude Code
SLUG = "bench"
ADMIN_EMAIL = "admin@bench.test"
TEAM_PARENTS, TEAM_CHILDREN = 8, 4  # 8 top-level teams of 4 sub-teams each: 40 teams
NO_TEAM_EVERY = 25  # one seat in twenty-five is in no team
# (url, label); {member}, {start180}, {start60}, {end} are filled in at run time.
PAGES = [
    ("/ai-analytics/", "dashboard, 30 days (default)"),
    ("/ai-analytics/?range=7", "dashboard, 7 days"),
    ("/ai-analytics/?range=90", "dashboard, 90 days"),
    ("/ai-analytics/?start={start180}&end={end}", "dashboard, custom 180 days"),
    ("/ai-analytics/?model=gpt-5", "dashboard, 30 days, model filter"),
    ("/ai-analytics/?range=90&model=gpt-5", "dashboard, 90 days, model filter"),
    ("/ai-analytics/?team=unit-1", "team page: one top-level team"),
    ("/ai-analytics/?team=unit-1-squad-2", "team page: one sub-team"),
    ("/ai-analytics/?team=unit-1&range=90", "team page: top-level team, 90 days"),
    ("/ai-analytics/?team=unit-1&start={start180}&end={end}", "team page: top-level, custom 180 d"),
    ("/ai-analytics/spend/", "spend review"),
    ("/ai-analytics/spend/?team=unit-1", "spend review, team filter"),
    ("/ai-analytics/me/", "my usage, 30 days"),
    ("/ai-analytics/me/?range=90", "my usage, 90 days"),
    ("/ai-analytics/me/?model=gpt-5", "my usage, model filter"),
    ("/ai-analytics/me/?start={start180}&end={end}", "my usage, custom 180 days"),
    ("/ai-analytics/members/{member}/", "member page, 30 days"),
    ("/ai-analytics/members/{member}/?range=7", "member page, 7 days"),
    ("/ai-analytics/members/{member}/?start={start180}&end={end}", "member page, custom 180 days"),
    ("/ai-analytics/members/{member}/?range=90&model=gpt-5", "member page, 90 days, model filter"),
    ("/ai-analytics/teams/", "team comparison, 30 days"),
    ("/ai-analytics/teams/?range=7", "team comparison, 7 days"),
    ("/ai-analytics/teams/?range=90", "team comparison, 90 days"),
    ("/ai-analytics/teams/?start={start180}&end={end}", "team comparison, custom 180 days"),
    ("/ai-analytics/tools/", "tools page, 30 days"),
    ("/ai-analytics/tools/?range=90", "tools page, 90 days"),
    ("/ai-analytics/tools/?start={start180}&end={end}", "tools page, custom 180 days"),
    ("/ai-analytics/?tool=all", "dashboard, all tools, 30 days"),
    ("/ai-analytics/?tool=copilot&range=90", "dashboard, Copilot, 90 days"),
]
# Every page is held to the targets, cold (the cache emptied before each request: the
# first view after a sync changed the data).
TARGET_P95_MS = 150
TARGET_QUERIES = 15


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
            CROSS JOIN LATERAL (SELECT (%(end)s::date - ((g / a.total) %% %(event_days)s)::int) AS day) AS ev
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
        "event_days": EVENT_DAYS,
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


def seed_tools(org, start, end) -> None:
    """GitHub Copilot and Claude Code for the Tools pages: seats and per-user days set-based,
    then each tool's own refresh (ToolDay, ToolOrgDay, ToolTeamDay) as a sync would run it."""
    from django.db import connection

    from analytics.models import CopilotSeat
    from analytics.services import refresh_after_sync

    if CopilotSeat.objects.filter(organization=org).exists():
        return
    t = time.perf_counter()
    params = {
        "org": org.pk,
        "start": start,
        "end": end,
        "copilot": list(COPILOT_EVERY),
        "claude": CLAUDE_CODE_EVERY,
    }
    steps = [
        (
            "github logins",
            """
            UPDATE people_person SET github_login = 'gh-' || id
            WHERE organization_id = %(org)s AND id %% 5 = ANY(%(copilot)s)
            """,
        ),
        (
            "copilot seats",
            """
            INSERT INTO analytics_copilotseat
                (organization_id, person_id, login, email, plan_type, assigning_team, seat_created_at,
                 last_activity_at, last_activity_editor, synced_at)
            SELECT %(org)s, p.id, 'gh-' || p.id, '', 'business', '', %(start)s::timestamptz,
                   CASE WHEN p.id %% 7 = 0 THEN NULL
                        ELSE %(end)s::timestamptz - make_interval(days => (p.id %% 40)::int) END,
                   'vscode', now()
            FROM people_person p
            WHERE p.organization_id = %(org)s AND p.id %% 5 = ANY(%(copilot)s)
            """,
        ),
        (
            "copilot user days",
            """
            INSERT INTO analytics_copilotuserday
                (organization_id, person_id, login, day, interactions, generations, acceptances,
                 loc_suggested_to_add, loc_suggested_to_delete, loc_added, loc_deleted, ai_credits_used,
                 used_agent, used_chat, used_cli, extra)
            SELECT %(org)s, s.person_id, s.login, d.day::date, h %% 20, h %% 30, h %% 12, h %% 300, h %% 40,
                   h %% 120, h %% 20, (h %% 500) / 100.0, h %% 3 = 0, h %% 2 = 0, false, '{}'::jsonb
            FROM analytics_copilotseat s
            CROSS JOIN generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d(day)
            CROSS JOIN LATERAL (SELECT abs(hashtext(s.login || d.day::text)) AS h) AS hh
            WHERE s.organization_id = %(org)s AND h %% 10 < 6
            """,
        ),
        (
            "claude code users",
            """
            INSERT INTO analytics_claudecodeuser
                (organization_id, person_id, user_id, email, name, role, synced_at)
            SELECT %(org)s, p.id, 'user_' || p.id, p.primary_email, p.name, 'developer', now()
            FROM people_person p
            WHERE p.organization_id = %(org)s AND p.id %% %(claude)s = 0
            """,
        ),
        (
            "claude code actor days",
            """
            INSERT INTO analytics_claudecodeactorday
                (organization_id, source, person_id, day, actor_type, actor_key, email, api_key_name,
                 is_remote, terminal_type, customer_type, subscription_type, sessions, lines_added,
                 lines_removed, commits, pull_requests, tool_actions, actions_accepted, actions_rejected)
            SELECT %(org)s, 'console', u.person_id, d.day::date, 'user_actor', 'user:' || u.email, u.email, '',
                   false, 'vscode', 'api', '', 1 + h %% 5, h %% 400, h %% 90, h %% 3, h %% 2, '{}'::jsonb,
                   h %% 25, h %% 4
            FROM analytics_claudecodeuser u
            CROSS JOIN generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d(day)
            CROSS JOIN LATERAL (SELECT abs(hashtext(u.email || d.day::text)) AS h) AS hh
            WHERE u.organization_id = %(org)s AND h %% 10 < 5
            """,
        ),
        (
            "claude code model days",
            """
            INSERT INTO analytics_claudecodemodelday
                (organization_id, source, person_id, day, actor_type, actor_key, is_remote, terminal_type,
                 model, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, requests,
                 cost_cents, cost_is_estimate)
            SELECT %(org)s, 'console', a.person_id, a.day, 'user_actor', a.actor_key, false, 'vscode',
                   (ARRAY['claude-sonnet-4-5','claude-opus-4-1'])[1 + a.lines_added %% 2],
                   1000 * a.lines_added, 200 * a.lines_added, 5000, 300, NULL, a.lines_added / 10.0, true
            FROM analytics_claudecodeactorday a
            WHERE a.organization_id = %(org)s
            """,
        ),
    ]
    with connection.cursor() as cursor:
        for label, sql in steps:
            s = time.perf_counter()
            cursor.execute(sql, params)
            print(f"  {label}: {cursor.rowcount:,} rows in {time.perf_counter() - s:.1f}s", flush=True)
    for tool in ("copilot", "claude_code"):
        s = time.perf_counter()
        refresh_after_sync(org.pk, tool, start, end)
        print(f"  {tool} facts and rollups in {time.perf_counter() - s:.1f}s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  tools seeded in {time.perf_counter() - t:.1f}s", flush=True)


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


def _percentile(times: list[float], q: float) -> float:
    times = sorted(times)
    return times[max(0, int(round(q * len(times))) - 1)]


def measure(client, url: str, n: int, *, cold: bool) -> dict:
    """Server time of `n` requests after a warm-up. `cold` empties the cache before each
    request, so every read runs against the database (the first view after a sync)."""
    from django.core.cache import cache

    for _ in range(2):  # warm-up: connections, template and plotly caches
        assert client.get(url, secure=True).status_code == 200, url
    times = []
    for _ in range(n):
        if cold:
            cache.clear()
        t = time.perf_counter()
        response = client.get(url, secure=True)
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {"p50": statistics.median(times), "p95": _percentile(times, 0.95), "max": max(times)}


def profile_queries(client, url: str, *, cold: bool) -> dict:
    """One request with its queries captured: how many, their total time, the slowest."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)
    assert response.status_code == 200, (url, response.status_code)
    captured = [(float(q["time"]) * 1000, q["sql"]) for q in queries.captured_queries]
    slowest = max(captured, default=(0.0, ""))
    return {
        "queries": len(captured),
        "db_ms": sum(t for t, _ in captured),
        "slowest_ms": slowest[0],
        "slowest_sql": slowest[1],
        "kb": len(response.content) / 1024,
    }


def explain(sql: str) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of one captured statement (its parameters already inlined)."""
    from django.db import connection

    if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
        return [f"(not a SELECT: {sql[:80]})"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def refresh_cost(org, end) -> None:
    """What a sync's refresh costs at this size, for its last day and its last 7 days: the
    whole `refresh_after_sync` (Cursor), and the two parts the cold pages' rollups added
    (the members' running totals carried forward; the per-month activity bitmasks of one tool)."""
    from django.db import connection, transaction

    from analytics.models import Tool
    from analytics.services import refresh_after_sync

    try:
        from analytics.services.activity_months import rebuild_activity_months
        from analytics.services.rollups import rewrite_running_days
    except ImportError:  # the code before those rollups
        rebuild_activity_months = rewrite_running_days = None
    print("\nrefresh cost (Cursor, 5,000 seats):")
    for days in (1, 7):
        start = end - timedelta(days=days - 1)
        t = time.perf_counter()
        refresh_after_sync(org.pk, Tool.CURSOR, start, end)
        line = f"  refresh_after_sync of the last {days} day(s): {time.perf_counter() - t:.2f}s"
        if rewrite_running_days is not None:
            with transaction.atomic(), connection.cursor() as cursor:
                t = time.perf_counter()
                rewrite_running_days(cursor, org.pk, start)
                running = time.perf_counter() - t
                t = time.perf_counter()
                rebuild_activity_months(cursor, org.pk, Tool.CURSOR, start, end)
                months = time.perf_counter() - t
            line += f" (of which carried running totals {running:.2f}s, activity months {months:.2f}s)"
        print(line, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reseed", action="store_true", help="drop and recreate the bench database")
    parser.add_argument(
        "--requests", type=int, default=20, help="timed requests per page and mode (default 20)"
    )
    parser.add_argument(
        "--only", default="", help="only the pages whose label contains this text (several: a|b)"
    )
    parser.add_argument("--no-explain", action="store_true", help="skip the query plans")
    parser.add_argument("--plan-lines", type=int, default=40, help="lines of each plan printed (default 40)")
    parser.add_argument("--json", default="", help="also write the figures to this JSON file")
    parser.add_argument("--refresh-cost", action="store_true", help="also time a sync's refresh at this size")
    args = parser.parse_args()

    ensure_database(args.reseed)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from analytics.models import CursorMember, DailyUsage, ToolDay, UsageEvent

    call_command("migrate", verbosity=0)
    org, admin = bench_org()
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
        end = latest or end
    start = end - timedelta(days=DAYS - 1)
    seed_teams(org, start)
    seed_tools(org, start, end)
    # The admin also has a Cursor seat (dev1), so My usage has data.
    CursorMember.objects.filter(organization=org, email="dev1@bench.test").update(email=ADMIN_EMAIL)
    member = CursorMember.objects.filter(organization=org, email="dev2@bench.test").values_list(
        "pk", flat=True
    )
    values = {
        "member": member.first(),
        "start180": start.isoformat(),
        "end": end.isoformat(),
    }
    print(
        f"data: {CursorMember.objects.filter(organization=org).count():,} members, "
        f"{DailyUsage.objects.filter(organization=org).count():,} daily rows, "
        f"{UsageEvent.objects.filter(organization=org).count():,} usage events, "
        f"{ToolDay.objects.filter(organization=org).count():,} ToolDay facts, days {start} .. {end}"
    )

    client = Client()
    client.force_login(admin)
    load_before = os.getloadavg()
    print(f"load average: {' '.join(f'{x:.2f}' for x in load_before)} on {os.cpu_count()} CPUs")
    header = (
        f"{'page':<44} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9}"
        f" {'q cold':>6} {'q warm':>6} {'db ms':>7} {'slowest':>8}"
    )
    print("\n" + header)
    results, plans, failed = [], [], False
    for url_template, label in PAGES:
        if args.only and not any(part in label for part in args.only.split("|")):
            continue
        url = url_template.format(**values)
        cold = measure(client, url, args.requests, cold=True)
        warm = measure(client, url, args.requests, cold=False)
        qc = profile_queries(client, url, cold=True)
        qw = profile_queries(client, url, cold=False)
        ok = cold["p95"] <= TARGET_P95_MS and qc["queries"] <= TARGET_QUERIES
        failed |= not ok
        print(
            f"{label:<44} {cold['p50']:>9.1f} {cold['p95']:>9.1f} {warm['p50']:>9.1f} {warm['p95']:>9.1f}"
            f" {qc['queries']:>6} {qw['queries']:>6} {qc['db_ms']:>7.1f} {qc['slowest_ms']:>8.1f}"
            f"  {'ok' if ok else 'over target'}",
            flush=True,
        )
        results.append({"label": label, "url": url, "cold": cold, "warm": warm, "queries_cold": qc["queries"],
                        "queries_warm": qw["queries"], "db_ms_cold": qc["db_ms"], "slowest_ms": qc["slowest_ms"]})  # fmt: skip
        plans.append((label, qc))
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"\ntargets (cold): p95 ≤ {TARGET_P95_MS} ms and ≤ {TARGET_QUERIES} queries per page; "
        "db ms / slowest: the cold request's query time in total and of its slowest query"
    )
    if not args.no_explain:
        for label, qc in plans:
            print(f"\n--- {label}: slowest query ({qc['slowest_ms']:.1f} ms of {qc['db_ms']:.1f} ms)")
            print(qc["slowest_sql"][:600] + (" …" if len(qc["slowest_sql"]) > 600 else ""))
            plan = explain(qc["slowest_sql"]) if qc["slowest_sql"] else []
            for line in plan[: args.plan_lines]:
                print("    " + line)
            if len(plan) > args.plan_lines:
                print(f"    … {len(plan) - args.plan_lines} more lines")
    if args.refresh_cost:
        refresh_cost(org, end)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"load": [load_before, os.getloadavg()], "pages": results}, indent=1)
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
