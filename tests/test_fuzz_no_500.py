"""Finding 4: no input may produce a 500. Hypothesis fuzzes every form and query parameter of
the server-rendered pages, as each persona, and asserts every answer is below 500.

The forms are not listed by hand: each persona's pages are crawled and every <form> found
(its action, method and field names) and every query parameter the pages' links and GET forms
use becomes a target, plus the parameters the views read (`VIEW_QUERY_PARAMETERS`), so a new
form or filter is fuzzed without touching this file. The REST API has its own schema-driven
fuzz (tests/api/test_schema_fuzz.py).

Cursor is the project's simulator over loopback, so a pasted key is checked for real.
Derandomized, a bounded number of examples per target: repeatable in CI, about a minute.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core import mail
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from koalr.accounts import services
from koalr.accounts.models import Membership
from tests.factories import MembershipFactory
from tests.fixtures.analytics_data import seed_usage
from tests.integrations.conftest import make_connection

pytestmark = pytest.mark.django_db

EXAMPLES_PER_TARGET = 10

# Pages each persona starts the crawl from; links found there are followed one level deep.
START_PAGES = {
    "anonymous": ["/accounts/login/", "/accounts/signup/", "/accounts/password-reset/"],
    "owner": [
        "/ai-analytics/",
        "/ai-analytics/spend/",
        "/ai-analytics/me/",
        "/settings/integrations/",
        "/settings/integrations/cursor/connect/",
        "/settings/api-tokens/",
        "/accounts/members/",
    ],
    "member": ["/ai-analytics/", "/ai-analytics/me/", "/accounts/members/", "/settings/api-tokens/"],
}
CONNECTED_PAGES = [
    "/settings/integrations/cursor/",
    "/settings/integrations/cursor/replace-key/",
    "/settings/integrations/cursor/disconnect/",
    "/settings/integrations/audit/",
]
# Query parameters the views read that a small page may not show in any link (`page` needs
# more than one page of rows).
VIEW_QUERY_PARAMETERS = {
    "/ai-analytics/": {"range", "start", "end", "model", "sort", "page"},
    "/ai-analytics/spend/": {"sort", "page"},
    "/ai-analytics/members.csv": {"range", "start", "end", "model", "sort"},
    "/ai-analytics/spend/export.csv": {"sort"},
    "/ai-analytics/spend/reconciliation.csv": {"team"},
    "/ai-analytics/me/": {"range", "start", "end", "model"},
    "/accounts/login/": {"next"},
    "/api/v1/docs/": {"lang", "version", "script"},
}
# Forms whose only effect is leaving the session: fuzzing them would turn the persona into
# an anonymous visitor for the rest of the run (they take no input besides the CSRF token).
SKIP_ACTIONS = {"/accounts/logout/"}

EDGE_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "1e400",
    "NaN",
    "9" * 40,
    "1000000000000000000",
    "١٢٣",
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "-2026-01-01",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\x00",
    "a\x00b",
    "\ud7ff\ue000",
    "%00",
    "x" * 300,
    "y" * 5000,
    "a" * 250 + "@example.com",
    "owner@acme.test",
    "member",
    "owner",
    "admin",
    "custom",
    "-email",
    "keep",
    "delete",
]
VALUES = st.one_of(
    st.sampled_from(EDGE_VALUES),
    st.text(max_size=80),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.dates().map(lambda d: d.isoformat()),
)


@dataclass(frozen=True)
class Target:
    method: str
    path: str
    fields: tuple[str, ...]


@dataclass
class _Forms(HTMLParser):
    page: str
    forms: list = field(default_factory=list)
    links: list = field(default_factory=list)
    _current: dict | None = None

    def __post_init__(self):
        super().__init__()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = {
                "method": (a.get("method") or "get").upper(),
                "action": a.get("action") or self.page,
                "fields": set(),
            }
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea", "button") and self._current is not None:
            if a.get("name") and a.get("name") != "csrfmiddlewaretoken":
                self._current["fields"].add(a["name"])
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _local(url, page):
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    return (parts.path or urlsplit(page).path), parts.query


def discover(client, start_pages) -> list[Target]:
    """Every form and query parameter reachable from `start_pages` (and one link further)."""
    targets, seen, queue = set(), set(), [(p, True) for p in start_pages]
    params: dict[str, set] = {}
    while queue:
        page, follow = queue.pop(0)
        if page in seen:
            continue
        seen.add(page)
        response = client.get(page)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms(page=page)
        parser.feed(response.content.decode())
        for form in parser.forms:
            local = _local(form["action"], page)
            if local is None or local[0] in SKIP_ACTIONS:
                continue
            path, query = local
            if form["method"] == "GET":
                params.setdefault(path, set()).update(form["fields"])
            else:
                targets.add(Target("POST", path, tuple(sorted(form["fields"]))))
            params.setdefault(path, set()).update(k for k, _ in parse_qsl(query))
        for href in parser.links:
            local = _local(href, page)
            if local is None:
                continue
            path, query = local
            if query:
                params.setdefault(path, set()).update(k for k, _ in parse_qsl(query))
            if follow and not re.search(r"\.(csv|json)$", path) and path not in SKIP_ACTIONS:
                queue.append((path, False))
    for path, names in VIEW_QUERY_PARAMETERS.items():
        params.setdefault(path, set()).update(names)
    for path, names in params.items():
        if names:
            targets.add(Target("GET", path, tuple(sorted(names))))
    return sorted(targets, key=lambda t: (t.method, t.path))


@pytest.fixture
def world(org, owner, cursor_sim, settings):
    """Acme with usage data, an owner, an admin, a member, a pending invite and a pending
    sign-up (their links are start pages of the anonymous crawl); Cursor is the simulator."""
    settings.CURSOR_API_BASE_URL = cursor_sim.base_url
    settings.CURSOR_RATE_LIMITS = False
    # The lockout and rate limits would soon answer 429 to everything: that is tested apart.
    settings.AXES_ENABLED = False
    settings.RATELIMIT_ENABLE = False
    seed_usage(org, members=4, days=10, seed=5)
    MembershipFactory(organization=org, role=Membership.Role.ADMIN, user__email="admin@acme.test")
    member = MembershipFactory(organization=org, role=Membership.Role.MEMBER, user__email="member@acme.test")
    actor = Membership.objects.get(user=owner, organization=org)
    services.invite(
        actor=actor,
        email="new@acme.test",
        role="member",
        build_absolute_uri=lambda p: f"http://testserver{p}",
    )
    invite_path = re.search(r"http://testserver(/accounts/invite/\S+/)", mail.outbox[-1].body).group(1)
    services.signup(
        email="pending@acme.test",
        password="a-long-and-uncommon-passphrase",
        organization_name="Pending",
        build_absolute_uri=lambda p: f"http://testserver{p}",
    )
    verify_path = re.search(r"http://testserver(/accounts/verify/\S+/)", mail.outbox[-1].body).group(1)
    return {"owner": owner, "member": member.user, "links": [invite_path, verify_path], "org": org}


def _client(world, persona):
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        client.force_login(world[persona])
    return client


def _fuzz(world, persona, start_pages):
    client = _client(world, persona)
    targets = discover(client, start_pages)
    assert any(t.method == "POST" for t in targets), "the crawl found no form"
    assert len(targets) >= len(start_pages) // 2

    for target in targets:
        _fuzz_target(client, target)
    return targets


def _send(client, target, values):
    if target.method == "GET":
        response = client.get(target.path, values)
    else:
        response = client.post(target.path, values)
    assert response.status_code < 500, (target, values, response.status_code)


def _fuzz_target(client, target):
    """Every edge value in every field alone, then EXAMPLES_PER_TARGET random combinations."""
    for name in target.fields:
        for value in EDGE_VALUES:
            _send(client, target, {name: value})

    @settings(
        max_examples=EXAMPLES_PER_TARGET,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries({}, optional={name: VALUES for name in target.fields}))
    def run(values):
        _send(client, target, values)

    run()


def test_no_input_gives_a_500_anonymous(world):
    targets = _fuzz(world, "anonymous", START_PAGES["anonymous"] + world["links"])
    posted = {t.path for t in targets if t.method == "POST"}
    assert {"/accounts/login/", "/accounts/signup/", "/accounts/password-reset/", *world["links"]} <= posted


def test_no_input_gives_a_500_as_owner(world):
    targets = _fuzz(world, "owner", START_PAGES["owner"])
    posted = {t.path for t in targets if t.method == "POST"}
    assert {"/accounts/members/invite/", "/settings/api-tokens/", "/ai-analytics/spend/seat-price/"} <= posted
    assert "/settings/integrations/cursor/connect/" in posted
    gets = {t.path: set(t.fields) for t in targets if t.method == "GET"}
    assert {"range", "start", "end", "page", "sort"} <= gets["/ai-analytics/"]


def test_no_input_gives_a_500_as_owner_with_cursor_connected(world):
    make_connection(world["org"], created_by=world["owner"])
    targets = _fuzz(world, "owner", CONNECTED_PAGES)
    posted = {t.path for t in targets if t.method == "POST"}
    assert {
        "/settings/integrations/cursor/replace-key/",
        "/settings/integrations/cursor/disconnect/",
        "/settings/integrations/cursor/sync/",
    } <= posted


def test_no_input_gives_a_500_as_member(world):
    _fuzz(world, "member", START_PAGES["member"])
