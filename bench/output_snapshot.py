"""Everything a user reads, as one JSON file: the proof that a refactor changed no figure.

On a fresh PostgreSQL test database it pins the clock, starts the Cursor simulator in-process
(seed 1, 60 seats, 60 days, Enterprise plan), creates an organization with an owner, an admin
and a member, connects Cursor and runs the backfill in the foreground, then, as each persona,
GETs every analytics page, CSV export and JSON endpoint, and every GET operation of the REST
API's own OpenAPI schema with each value of its enum parameters (all pages). HTML is reduced
to what a user reads (title, text, stat cards, tables, links, Plotly figures); CSV and JSON are
kept as parsed values; ids, timestamps and tokens are normalized. Before/after a refactor:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/koalr_snap   # uses test_koalr_snap
    git switch <baseline> && .venv/bin/python bench/output_snapshot.py --out /tmp/before.json
    git switch <refactor> && .venv/bin/python bench/output_snapshot.py --out /tmp/after.json
    diff -u /tmp/before.json /tmp/after.json && echo "nothing a user sees changed"

The test database (`test_` + the DATABASE_URL name, or TEST_DATABASE_NAME: give parallel runs
their own) is created afresh and dropped at the end. Exits 1 on any unexpected HTTP status:
everything must answer 200, except pages for owners and admins, which must answer a member 403.
"""

import argparse
import csv
import datetime as dt
import importlib
import inspect
import io
import json
import logging
import os
import pkgutil
import re
import sys
import types
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("koalr", "people", "analytics", "integrations", "api", "web", "alerts", "devtools", "simulators")
API_KEY = "crsr_" + ("snap0" * 13)[:64]
PAGES = [  # (what, path under /ai-analytics/, query, for owners and admins only)
    *[
        ("dashboard", "", query, False)
        for query in ("", "range=7", "range=90", "start={start}&end={end}", "model={model}", "page=2")
    ],
    ("dashboard", "", "sort=email", False),
    ("dashboard", "", "sort=-spend_cents&page=2", False),
    ("my usage", "me/", "", False),
    ("my usage", "me/", "range=90", False),
    ("member page (top spender)", "members/{top}/", "", True),
    ("member page (member)", "members/{member}/", "range=7", True),
    ("spend review", "spend/", "", True),
    ("spend review", "spend/", "page=2&sort=email", True),
    ("members csv", "members.csv", "", True),
    ("members csv", "members.csv", "range=90&sort=email", True),
    ("spend csv", "spend/export.csv", "", True),
    ("sync status json", "sync-status.json", "", False),
    # Teams (the demo's tree), the other tools and the pages across tools.
    ("team page", "", "team={team}", False),
    ("team page", "", "team={team}&range=90", False),
    ("team page", "", "team={subteam}", False),
    ("team comparison", "teams/", "", False),
    ("team comparison", "teams/", "range=90", False),
    ("team comparison csv", "teams/export.csv", "", False),
    ("tools page", "", "tool=all", False),
    ("tools page", "tools/", "", False),
    ("tools page", "tools/", "range=90", False),
    ("tools page", "tools/", "start={start}&end={end}", False),
    ("tools overlap csv", "tools/overlap.csv", "", True),
    ("copilot dashboard", "", "tool=copilot&range=90", False),
    ("claude code dashboard", "", "tool=claude_code&range=90", False),
    ("spend review", "spend/", "team={team}", True),
]
COPILOT_TOKEN = "ghp_" + "snapKoalrCopilot" * 2 + "0123"  # noqa: S105  # the simulator's fixed token
CLAUDE_CODE_KEY = "sk-ant-admin01-" + "snapKoalrClaudeCode" * 3  # noqa: S105  # the simulator's fixed key
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


def first_import(*candidates: str):
    """The first `module:attribute` that exists (the code is moving)."""
    for candidate in candidates:
        module, _, attr = candidate.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue
    raise ImportError(f"none of {candidates} exists")


def pin_clock(now: dt.datetime) -> None:
    """`timezone.now()`, `date.today()` and `datetime.now()` answer `now` in every product module."""
    from django.apps import apps
    from django.utils import timezone

    real_now, real_date, real_datetime = timezone.now, dt.date, dt.datetime

    class Meta(type):  # isinstance(any real date, FrozenDate) stays true
        def __instancecheck__(cls, obj):
            return isinstance(obj, cls.real)

        def __subclasscheck__(cls, sub):
            return issubclass(sub, cls.real)

    class FrozenDate(real_date, metaclass=Meta):
        real = real_date

        def __new__(cls, *args, **kwargs):  # constructors still make plain dates
            return real_date(*args, **kwargs)

        @classmethod
        def today(cls):
            return now.date()

    class FrozenDatetime(real_datetime, metaclass=Meta):
        real = real_datetime

        def __new__(cls, *args, **kwargs):
            return real_datetime(*args, **kwargs)

        @classmethod
        def now(cls, tz=None):
            return now.astimezone(tz) if tz else now.replace(tzinfo=None)

        @classmethod
        def utcnow(cls):
            return now.replace(tzinfo=None)

        today = utcnow

    shim = types.ModuleType("datetime")  # for `import datetime` … `datetime.date.today()`
    shim.__dict__.update(vars(dt), date=FrozenDate, datetime=FrozenDatetime)
    swap = {
        id(real_now): lambda: now,
        id(real_date): FrozenDate,
        id(real_datetime): FrozenDatetime,
        id(dt): shim,
    }
    for name in PRODUCT:  # import every module first, so that late imports are pinned too
        try:
            package = importlib.import_module(name)
        except ImportError:
            continue
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), name + "."):
            if ".migrations" not in info.name:
                try:
                    importlib.import_module(info.name)
                except ImportError:
                    pass
    for module_name, module in list(sys.modules.items()):
        if module is not None and module_name.split(".")[0] in PRODUCT:
            for attr, value in list(vars(module).items()):
                if id(value) in swap and not attr.startswith("__"):
                    setattr(module, attr, swap[id(value)])
    timezone.now = swap[id(real_now)]
    for field in (f for model in apps.get_models() for f in model._meta.fields):
        if field.default is real_now:
            field.default = timezone.now
            field.__dict__.pop("_get_default", None)


def run_backfill(connection, days: int) -> None:
    """The backfill in the foreground, like `manage.py sync_cursor`, with no sleeping or pacing."""
    from integrations import services

    run_sync = first_import("integrations.cursor.sync:run_sync")
    options = {"sleep": lambda seconds: None, "timeout": 30.0}
    try:
        options["limiter"] = first_import(
            "integrations.cursor.ratelimit:NoRateLimit", "integrations.ratelimit:NoRateLimit"
        )()
    except ImportError:
        pass
    kwargs, params = {"days": days}, inspect.signature(run_sync).parameters
    runner = sys.modules.get(run_sync.__module__)
    if isinstance(getattr(runner, "CLIENT_OPTIONS", None), dict):  # today's hook
        runner.CLIENT_OPTIONS.update(options)
    elif "client_options" in params:
        kwargs["client_options"] = options
    elif "client_factory" in params:
        client_class = first_import("integrations.cursor.client:CursorClient")

        def factory(conn, on_wait=None, **extra):
            return client_class(conn.get_api_key(), base_url=conn.api_base_url, on_wait=on_wait, **options)

        kwargs["client_factory"] = factory
    run = run_sync(services.create_foreground_run(connection, days=days).pk, **kwargs)
    run.refresh_from_db()
    if run.status != "succeeded":
        raise SystemExit(f"The backfill ended {run.status}: {run.message}")


def build_org(team, base_url):
    """An organization whose owner, admin and member are people of the simulated team."""
    from integrations import services
    from koalr.accounts.models import Membership, User
    from koalr.accounts.services import create_organization_with_owner

    roster = [m for m in team.members() if not m["isRemoved"]]
    people = {role: next(m for m in roster if m["role"] == role) for role in ("owner", "admin", "member")}
    membership, _ = create_organization_with_owner(
        slug="snap", name="Snapshot Robotics", owner_email=people["owner"]["email"]
    )
    org, users = membership.organization, {"owner": membership.user}
    for role in ("admin", "member"):
        user = User.objects.create_user(email=people[role]["email"].lower(), first_name=people[role]["name"])
        Membership.objects.create(user=user, organization=org, role=role)
        users[role] = user
    result = services.connect_cursor(org, users["owner"], API_KEY, base_url=base_url, start_backfill=False)
    return org, users, result.connection


class Page(HTMLParser):
    """What a user reads on a page: title, text, stat cards, tables, links and Plotly figures."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.script = None
        self.out = {"title": "", "text": [], "stats": {}, "tables": [], "links": [], "figures": {}}

    def inside(self, *tags) -> bool:
        return any(t in tags for t, _ in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs, main, tables = dict(attrs), self.inside("main"), self.out["tables"]
        if tag == "script" and attrs.get("id", "").startswith("fig-"):
            self.script = (attrs["id"], [])
        elif main and tag == "table":
            tables.append([])
        elif main and tag == "tr" and self.inside("table"):
            tables[-1].append([])
        elif main and tag in ("td", "th") and self.inside("tr"):
            tables[-1][-1].append("")
        elif main and tag == "a" and attrs.get("href"):
            self.out["links"].append(attrs["href"])
        if "data-stat" in attrs:
            self.out["stats"][attrs["data-stat"]] = ""
        if tag not in VOID:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "script" and self.script:
            self.out["figures"][self.script[0]] = json.loads("".join(self.script[1]))
            self.script = None
        while self.inside(tag) and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if self.script:
            self.script[1].append(data)
            return
        text = " ".join(data.split())
        if not text or self.inside("script", "style"):
            return
        stat = next((a["data-stat"] for _, a in reversed(self.stack) if "data-stat" in a), None)
        if self.inside("title"):
            self.out["title"] += text
        elif not self.inside("main"):
            return
        elif stat:
            self.out["stats"][stat] = f"{self.out['stats'][stat]} {text}".strip()
        elif self.inside("td", "th"):
            row = self.out["tables"][-1][-1]
            row[-1] = f"{row[-1]} {text}".strip()
        else:
            self.out["text"].append(text)


def parse(response):
    kind = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "html" in kind:
        page = Page()
        page.feed(body.decode())
        return page.out
    if "csv" in kind:
        return list(csv.reader(io.StringIO(body.decode())))
    return json.loads(body)


def normalizer(member_emails: dict[int, str], secrets: list[str]):
    """Replaces what differs between runs: member ids in links (by email), ids, times, tokens."""

    def email(match):
        return f"/members/{member_emails.get(int(match[1]), '<id>')}/"

    def normalize(value, key=""):
        if isinstance(value, dict):
            return {k: normalize(v, k) for k, v in value.items() if k != "data_version"}
        if isinstance(value, list):
            return [normalize(v) for v in value]
        if isinstance(value, int) and not isinstance(value, bool) and (key == "id" or key.endswith("_id")):
            return "<id>"
        if isinstance(value, str) and value and key.endswith("_at"):
            return "<time>"
        if isinstance(value, str):
            for secret in secrets:
                value = value.replace(secret, "<token>")
            return re.sub(r"/members/(\d+)/", email, value)
        return value

    return normalize


def capture(now: dt.datetime, seats: int, days: int, seed: int) -> dict:
    from django.apps import apps
    from django.core.cache import cache
    from django.test import Client

    simulator = first_import(
        "simulators.cursor:CursorSimulator", "integrations.cursor.simulator:CursorSimulator"
    )
    create_token = first_import(
        "api.services:create_api_token",
        "analytics.api.services:create_api_token",
        "koalr.accounts.services:create_api_token",
    )
    sim = simulator(rate_limits=False)
    team = sim.add_team(api_key=API_KEY, seats=seats, days=days, seed=seed, plan="enterprise", now=now)
    try:
        org, users, connection = build_org(team, sim.start(host="127.0.0.1", port=0))
        run_backfill(connection, days)
    finally:
        sim.stop()
    other_tools = add_other_tools(org, users["owner"], team, now, seats, days, seed)
    teams = add_teams(org, users)
    cache.clear()

    member_model = next(m for m in apps.get_models() if m.__name__ == "CursorMember")
    emails = dict(member_model.objects.filter(organization=org).values_list("pk", "email"))
    tokens = {
        role: create_token(organization=org, user=users[role], name="snap")[1] for role in ("owner", "member")
    }
    normalize = normalizer(emails, list(tokens.values()))
    clients = {role: Client() for role in users}
    for role, client in clients.items():
        client.force_login(users[role])
    snapshot, failures = {}, []

    def get(name, client, url, params=None, allowed=(200,), follow_pages=False):
        """GET `url` (and its `next` pages) into snapshot[name]; an allowed 403 is kept as such."""
        bodies = []
        while url:
            status = (response := client.get(url, params or {})).status_code
            if status not in allowed:
                failures.append(f"{name}: HTTP {status} for {url}")
                return None
            bodies.append(parse(response) if status == 200 else {"status": status})
            url, params = (bodies[-1].get("next") if follow_pages and status == 200 else None), None
        snapshot[name] = normalize(bodies if follow_pages else bodies[0])
        return bodies[0]

    # The REST API: every GET operation of its OpenAPI schema, with each value of its enums.
    schema = get("api schema", clients["owner"], "/api/v1/schema/", {"format": "json"})
    start, end = str(now.date() - dt.timedelta(days=days - 1)), str(now.date())
    bearer = {role: Client(HTTP_AUTHORIZATION=f"Bearer {raw}") for role, raw in tokens.items()}
    for path, operations in sorted(schema["paths"].items()):
        query = [p for p in operations.get("get", {}).get("parameters", []) if p["in"] == "query"]
        if "get" not in operations or "{org}" not in path:
            continue
        variants = [{"start": start, "end": end} if {"start", "end"} <= {p["name"] for p in query} else {}]
        for p in (p for p in query if p.get("schema", {}).get("enum")):
            values = ([] if "default" in p["schema"] else [None]) + p["schema"]["enum"]
            variants = [{**v, p["name"]: value} for v in variants for value in values]
        for role, client in bearer.items():
            for params in ({k: v for k, v in v.items() if v is not None} for v in variants):
                label = " ".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("start", "end"))
                name = f"api {role} GET {path} {label}".strip()
                allowed = (200,) if role == "owner" else (200, 403)
                url = path.replace("{org}", org.slug).replace("{team}", teams["team"])
                get(name, client, url, params, allowed, follow_pages=True)

    # The pages, their exports and the sync poll, as owner, admin and member.
    top_model = snapshot["api owner GET /api/v1/orgs/{org}/usage/models"][0]["results"][0]["model"]
    top_email = snapshot["api owner GET /api/v1/orgs/{org}/spend"][0]["members"][0]["email"].lower()
    values = {
        "top": next(pk for pk, email in emails.items() if email.lower() == top_email),
        "member": next(pk for pk, email in emails.items() if email.lower() == users["member"].email),
        "model": top_model,
        "start": now.date() - dt.timedelta(days=44),
        "end": now.date() - dt.timedelta(days=10),
        **teams,
    }
    for role, client in clients.items():
        for what, path, query, admins_only in PAGES:
            name = f"page {role} {what}" + (f" ?{query.format(**values)}" if query else "")
            params = dict(parse_qsl(query.format(**values)))
            allowed = (403,) if admins_only and role == "member" else (200,)
            if what == "member page (member)" and role == "member":
                allowed = (200,)  # one's own member page: the privacy rule lets everyone see themselves
            get(name, client, "/ai-analytics/" + path.format(**values), params, allowed)
    if failures:
        raise SystemExit("Unexpected responses:\n  " + "\n  ".join(failures))
    snapshot["other tools synced"] = other_tools
    return snapshot


def add_other_tools(org, owner, team, now, seats: int, days: int, seed: int) -> list[str]:
    """GitHub Copilot and Claude Code beside Cursor, their people shared with Cursor's (as in
    `make demo`), each synced in the foreground from its own simulator."""
    from django.conf import settings
    from django.core.management import call_command

    from integrations.claude_code import services as claude_code_services
    from integrations.copilot import services as copilot_services
    from simulators.claude_code import ClaudeCodeSimulator
    from simulators.copilot import CopilotSimulator

    settings.COPILOT_RATE_LIMITS = False
    copilot = CopilotSimulator(rate_limits=False)
    copilot.add_org(
        "snap-robotics", seats=max(3, seats * 4 // 5), days=days, seed=seed, cursor_team=team,
        token=COPILOT_TOKEN, now=now,
    )  # fmt: skip
    claude = ClaudeCodeSimulator(rate_limits=False, default_orgs=False)
    claude.add_org(
        "console",
        seed=seed,
        users=seats // 2,
        days=days,
        cursor_seats=seats,
        admin_key=CLAUDE_CODE_KEY,
        now=now,
    )
    out = io.StringIO()
    try:
        copilot_services.connect_copilot(
            org, owner, COPILOT_TOKEN, scope="org", slug="snap-robotics", base_url=copilot.start(),
            start_backfill=False,
        )  # fmt: skip
        call_command("sync_copilot", org=org.slug, days=days, stdout=out)
        claude_code_services.connect_claude_code(
            org, owner, CLAUDE_CODE_KEY, source="console", base_url=claude.start(), start_backfill=False
        )
        call_command("sync_claude_code", org=org.slug, days=days, stdout=out)
    finally:
        copilot.stop()
        claude.stop()
    return ["copilot", "claude_code"]


def add_teams(org, users) -> dict:
    """The demo's team tree (two levels, one in ten people in no team; the admin leads a sub-team,
    so the member stays a plain member); returns the slugs the pages and the API are read with."""
    from devtools.demo_teams import ensure_demo_teams
    from people.models import Team

    ensure_demo_teams(org, owner=users["owner"], lead=users["admin"])
    top = Team.objects.get(organization=org, name="Engineering")
    sub = Team.objects.filter(organization=org, parent=top).order_by("name").first()
    return {"team": top.slug, "subteam": sub.slug}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--now", default="2026-11-30T12:00:00Z", help="the pinned clock, ISO 8601")
    parser.add_argument("--out", default=str(ROOT / "bench" / "output-snapshot.json"))
    parser.add_argument("--seats", type=int, default=60)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    now = dt.datetime.fromisoformat(args.now.replace("Z", "+00:00")).astimezone(dt.UTC)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koalr.test_settings")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/koalr_snap")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    settings.CURSOR_RATE_LIMITS = False  # the simulator enforces no quota (as in `make demo`)
    settings.API_THROTTLE_RATE = "1000000/min"
    logging.disable(logging.WARNING)  # one line per Cursor call, and the members' expected 403s
    pin_clock(now)
    setup_test_environment()
    if connection.creation._get_test_db_name() == "koalr":
        raise SystemExit("Refusing to use the koalr database.")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        snapshot = capture(now, args.seats, args.days, args.seed)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    text = json.dumps(snapshot, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"{len(snapshot)} pages captured, {len(text.encode()):,} bytes → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
