"""The HTTP side: two loopback servers, the GitHub API and the report download host.

API request order: User-Agent (403) -> X-GitHub-Api-Version (400) -> authentication (401) ->
route (404) -> organization/enterprise visible to the token (404) -> faults -> primary rate limit
(403 with x-ratelimit-remaining: 0) -> secondary rate limit (403 with retry-after) -> token scope
or permission (403) -> "Copilot usage metrics" policy (403) -> validation (422/400) -> 200/204/404.

The download host serves the report files behind HMAC-signed, expiring links and records every
request it receives (`sim.download_log`); it never needs a token and rejects any request that
carries an Authorization header, as a signed URL's host would.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import api
from .faults import SECONDARY_MESSAGE, Faults
from .org import SimEnterprise, SimOrg
from .roster import build_people
from .scope import _DayCache
from .tokens import CLASSIC_SCOPES, SimToken, classic_token, fine_grained_token
from .util import ApiError, error_body

API_VERSIONS = ("2022-11-28", "2026-03-10")
DEFAULT_VERSION = "2022-11-28"
UA_MESSAGE = (
    "Request forbidden by administrative rules. Please make sure your request has a User-Agent "
    "header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required)."
)
POLICY_MESSAGE = {
    "org": 'Copilot Usage Metrics API access is disabled for this organization. The "Copilot usage metrics" policy must be enabled.',
    "enterprise": 'Copilot Usage Metrics API access is disabled for this enterprise. The "Copilot usage metrics" policy must be enabled.',
}


@dataclass(frozen=True)
class DownloadRequest:
    """One request the download host received, as it arrived."""

    time: float  # monotonic
    method: str
    path: str
    query: dict
    headers: dict  # lower-case name -> value, every header received
    status: int

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


class _ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"

    def do_GET(self):  # noqa: N802
        self.server.simulator._handle_api(self, "GET")

    def do_POST(self):  # noqa: N802
        self.server.simulator._handle_api(self, "POST")

    def log_message(self, format, *args):  # noqa: A002
        pass


class _DownloadHandler(_ApiHandler):
    server_version = "Windows-Azure-Blob/1.0"

    def do_GET(self):  # noqa: N802
        self.server.simulator._handle_download(self, "GET")

    def do_POST(self):  # noqa: N802
        self.server.simulator._handle_download(self, "POST")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class CopilotSimulator:
    """One GitHub API server and one download host, serving any number of organizations and
    enterprises, told apart by path; tokens decide who sees what."""

    def __init__(
        self,
        clock: Callable[[], datetime] | None = None,
        rate_limits: bool = True,
        primary_limit: int = 5000,
        primary_window_seconds: float = 3600.0,
        secondary_points_per_minute: int = 900,
        secondary_window_seconds: float = 60.0,
        max_concurrent: int = 100,
        link_ttl_seconds: float = 300.0,
    ):
        # The only reading of "today": what add_org/add_enterprise use when not given `now`.
        # Rate-limit windows, `x-ratelimit-reset` and link expiry are real time: clients wait in
        # real seconds.
        self.clock = clock or _wall_clock
        self.rate_limits = rate_limits
        self.primary_limit = primary_limit
        self.primary_window_seconds = primary_window_seconds
        self.primary_limit_status = 403  # or 429 (docs/copilot-api.md §1.3: GitHub sends both)
        self.secondary_points_per_minute = secondary_points_per_minute
        self.secondary_window_seconds = secondary_window_seconds
        self.max_concurrent = max_concurrent
        self.link_ttl_seconds = link_ttl_seconds
        self.download_rejects_authorization = True
        self.faults = Faults()  # applies to every request, whatever its organization
        self.request_log: deque = deque(maxlen=20_000)  # (monotonic, token kind or None, path, status)
        self.download_log: list[DownloadRequest] = []
        self._orgs: dict[str, SimOrg] = {}
        self._enterprises: dict[str, SimEnterprise] = {}
        self._by_id: dict[tuple[str, int], object] = {}
        self._tokens: dict[str, SimToken] = {}
        self._cache = _DayCache()
        self._lock = threading.Lock()
        self._primary: dict[str, list] = {}  # token -> [window start, used]
        self._secondary: dict[tuple, deque] = {}
        self._in_flight: dict[str, int] = {}
        self._sign_key = secrets.token_bytes(32)
        self._next_id = 90_211
        self._api: _Server | None = None
        self._dl: _Server | None = None
        self._threads: list[threading.Thread] = []
        self.base_url: str | None = None
        self.download_url: str | None = None
        # A token that sees every organization and enterprise with every classic scope.
        self.token = self.add_token(scopes=CLASSIC_SCOPES + ("admin:org",)).value

    # -- configuration ----------------------------------------------------------------------------

    @property
    def url(self) -> str | None:
        """The API base URL (what a client uses instead of https://api.github.com)."""
        return self.base_url

    def add_token(
        self,
        *,
        value: str | None = None,
        kind: str = "classic",
        scopes: tuple[str, ...] = CLASSIC_SCOPES,
        permissions: dict | None = None,
        orgs="*",
        enterprises="*",
        login: str = "koalr-bot",
    ) -> SimToken:
        """A token the API accepts. `orgs`/`enterprises`: logins/slugs it sees, or "*" for all
        (others answer 404, as GitHub hides what a token may not see)."""
        if value is None:
            value = classic_token() if kind == "classic" else fine_grained_token()
        token = SimToken(
            value=value,
            kind=kind,
            scopes=tuple(scopes) if kind == "classic" else (),
            permissions=dict(permissions or {}),
            orgs=orgs if orgs == "*" else set(orgs),
            enterprises=enterprises if enterprises == "*" else set(enterprises),
            login=login,
        )
        with self._lock:
            self._tokens[value] = token
        return token

    def revoke_token(self, value: str) -> None:
        with self._lock:
            self._tokens.pop(value, None)

    def _new_id(self) -> int:
        with self._lock:
            self._next_id += 7
            return self._next_id

    def add_org(
        self,
        login: str | None = None,
        *,
        seats: int = 30,
        days: int = 60,
        seed: int = 1,
        plan: str = "business",
        now: datetime | None = None,
        token: str | None = None,
        scopes: tuple[str, ...] = CLASSIC_SCOPES,
        cursor_team=None,
        overlap: float = 0.6,
        shared_emails: float = 0.5,
        enterprise: SimEnterprise | None = None,
    ) -> SimOrg:
        """A new organization with `seats` Copilot seats and `days` days of history up to `now`.

        `cursor_team`: a Cursor simulator `SimTeam` (or a list of its roster `Member`s, e.g.
        `simulators.copilot.cursor_members(seed, seats, now, days)`): `overlap` of its listed
        members hold Copilot seats (first in seat order), `shared_emails` of those show the same
        email on their seat. `org.token` is a classic token seeing only this organization."""
        now = now if now is not None else self.clock()
        if seats < 0:
            raise ValueError("seats must not be negative")
        members = getattr(cursor_team, "roster", cursor_team)
        domain = getattr(cursor_team, "domain", None)
        people = build_people(
            seed,
            seats,
            now.date(),
            cursor_members=members,
            overlap=overlap,
            shared_emails=shared_emails,
            domain=domain,
        )
        people = [self._cache_person(p) for p in people]
        org_id = self._new_id()
        login = login or f"sim-org-{org_id}"
        if login.lower() in self._orgs:
            raise ValueError(f"organization {login!r} exists")
        org = SimOrg(
            login=login,
            org_id=org_id,
            seed=seed,
            people=people,
            plan=plan,
            now=now,
            days=days,
            cache=self._cache,
            enterprise_id=enterprise.id if enterprise is not None else None,
        )
        org.token = self.add_token(value=token, scopes=scopes, orgs={login}, enterprises=set()).value
        with self._lock:
            self._orgs[login.lower()] = org
            self._by_id[("org", org_id)] = org
        if enterprise is not None:
            enterprise.orgs.append(org)
            org.enterprise = enterprise
        return org

    def _cache_person(self, person):
        """The first organization to seat a person fixes their behaviour; later ones share it."""
        with self._lock:
            known = getattr(self, "_people", None)
            if known is None:
                known = self._people = {}
            return known.setdefault(person.id, person)

    def add_enterprise(
        self,
        slug: str | None = None,
        *,
        days: int = 60,
        now: datetime | None = None,
        token: str | None = None,
        scopes: tuple[str, ...] = CLASSIC_SCOPES,
    ) -> SimEnterprise:
        """A new enterprise; add organizations to it with `add_org(..., enterprise=ent)`."""
        now = now if now is not None else self.clock()
        ent_id = self._new_id() % 10_000
        slug = slug or f"sim-enterprise-{ent_id}"
        ent = SimEnterprise(slug=slug, enterprise_id=ent_id, orgs=[], now=now, days=days, cache=self._cache)
        ent.token = self.add_token(value=token, scopes=scopes, orgs=set(), enterprises={slug}).value
        with self._lock:
            self._enterprises[slug.lower()] = ent
            self._by_id[("enterprise", ent_id)] = ent
        return ent

    def org(self, login: str) -> SimOrg | None:
        return self._orgs.get(login.lower())

    def enterprise(self, slug: str) -> SimEnterprise | None:
        return self._enterprises.get(slug.lower())

    def remove_org(self, org: SimOrg) -> None:
        with self._lock:
            self._orgs.pop(org.login.lower(), None)
            self._by_id.pop(("org", org.id), None)
            self._tokens.pop(getattr(org, "token", ""), None)

    def reset_rate_limits(self) -> None:
        with self._lock:
            self._primary.clear()
            self._secondary.clear()

    def rate_limit_state(self, token: str) -> dict:
        """What `x-ratelimit-*` would say for this token now."""
        return self._primary_headers(token, count=False)[1]

    # -- download links ---------------------------------------------------------------------------

    def _signature(self, path: str, expiry: int) -> str:
        return hmac.new(self._sign_key, f"{path}|{expiry}".encode(), hashlib.sha256).hexdigest()[:43]

    def signed_links(self, scope, report: str, day: date | None) -> list[str]:
        files = scope.report_files(report, day)
        expiry = int(time.time() + self.link_ttl_seconds)
        links = []
        stamp = day.isoformat() if day else "latest"
        for n in range(1, len(files) + 1):
            path = (
                f"/copilot-reports/{scope.kind}/{scope.id}/{report}/{stamp}/copilot-usage-report-{n}.ndjson"
            )
            query = urlencode(
                {"sv": "2026-03-10", "se": expiry, "sp": "r", "sig": self._signature(path, expiry)}
            )
            links.append(f"{self.download_url}{path}?{query}")
        return links

    # -- servers ----------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0, download_port: int = 0) -> str:
        """Serve both hosts in daemon threads; returns the API base URL. The download host is on
        its own port (`sim.download_url`)."""
        if self._api is not None:
            return self.base_url
        self._api = _Server((host, port), _ApiHandler)
        self._api.simulator = self
        self._dl = _Server((host, download_port), _DownloadHandler)
        self._dl.simulator = self
        self.base_url = f"http://{host}:{self._api.server_address[1]}"
        self.download_url = f"http://{host}:{self._dl.server_address[1]}"
        for name, server in (("copilot-simulator", self._api), ("copilot-downloads", self._dl)):
            thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self.base_url

    def serve_forever(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.start(host, port)
        self._threads[0].join()

    def stop(self) -> None:
        for server in (self._api, self._dl):
            if server is not None:
                server.shutdown()
                server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._api = self._dl = None
        self._threads = []

    def __enter__(self):
        if self._api is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- rate limits ------------------------------------------------------------------------------

    def _primary_headers(self, token: str | None, count: bool) -> tuple[bool, dict]:
        """(over the limit?, x-ratelimit-* headers). Unauthenticated requests share one bucket of 60."""
        limit = self.primary_limit if token is not None else 60
        now = time.time()
        key = token or ""
        with self._lock:
            state = self._primary.get(key)
            if state is None or now >= state[0] + self.primary_window_seconds:
                state = self._primary[key] = [now, 0]
            over = self.rate_limits and state[1] >= limit
            if count and not over:
                state[1] += 1
            used = state[1]
            reset = int(state[0] + self.primary_window_seconds)
        headers = {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(0, limit - used)),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        }
        return over, headers

    def _secondary_wait(self, token: str, route_name: str) -> int | None:
        if not self.rate_limits:
            return None
        now = time.monotonic()
        window = self.secondary_window_seconds
        with self._lock:
            bucket = self._secondary.setdefault((token, route_name), deque())
            while bucket and bucket[0] <= now - window:
                bucket.popleft()
            if len(bucket) >= self.secondary_points_per_minute:
                return max(1, int(bucket[0] + window - now + 0.999))
            bucket.append(now)
        return None

    # -- API requests -----------------------------------------------------------------------------

    def _authenticate(self, header: str | None) -> tuple[SimToken | None, str | None]:
        if not header:
            return None, "Requires authentication"
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None, "Bad credentials"
        return self._tokens.get(credentials.strip()), "Bad credentials"

    def _handle_api(self, req: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(req.path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(req.headers.get("Content-Length") or 0)
        if length > 0:
            req.rfile.read(length)
        request_id = uuid.uuid4().hex[:8].upper() + ":" + uuid.uuid4().hex[:6].upper()
        base = {"x-github-request-id": request_id}

        def send(status, body, headers=None, token=None):
            self.request_log.append((time.monotonic(), token.kind if token else None, path, status))
            self._send(req, status, body, {**base, **(headers or {})})

        if not req.headers.get("User-Agent"):
            return send(403, error_body(403, UA_MESSAGE))
        version = req.headers.get("X-GitHub-Api-Version")
        if version is not None and version not in API_VERSIONS:
            return send(400, error_body(400, f"API version '{version}' is not supported."))
        base["x-github-api-version-selected"] = version or DEFAULT_VERSION

        token, auth_message = self._authenticate(req.headers.get("Authorization"))
        if token is None:
            _, rl = self._primary_headers(None, count=True)
            return send(401, error_body(401, auth_message), rl)
        if token.kind == "classic":
            base["x-oauth-scopes"] = ", ".join(token.scopes)

        found = api.match(path) if method == "GET" else None
        if found is None:
            _, rl = self._primary_headers(token.value, count=True)
            return send(404, error_body(404), rl, token)
        route, scope_name = found
        scope = None
        if route.scope_kind == "org":
            scope = self._orgs.get(scope_name.lower())
            visible = scope is not None and token.sees_org(scope.login)
        elif route.scope_kind == "enterprise":
            scope = self._enterprises.get(scope_name.lower())
            if scope is None and scope_name.isdigit():
                scope = self._by_id.get(("enterprise", int(scope_name)))
            visible = scope is not None and token.sees_enterprise(scope.slug)
        else:
            visible = True
        if not visible:
            _, rl = self._primary_headers(token.value, count=True)
            return send(404, error_body(404), rl, token)

        for faults in (self.faults, scope.faults if scope is not None else None):
            if faults is None:
                continue
            decision = faults.take(path, time.time())
            if decision.sleep:
                time.sleep(decision.sleep)
            if decision.status is not None:
                _, rl = self._primary_headers(token.value, count=False)
                rl.update(decision.headers)
                message = None
                if decision.kind == "secondary":
                    message = SECONDARY_MESSAGE.format(request_id=request_id)
                elif decision.kind == "primary":
                    message = f"API rate limit exceeded for user ID {token.user_id}."
                    rl["x-ratelimit-used"] = rl["x-ratelimit-limit"]
                return send(decision.status, error_body(decision.status, message), rl, token)

        over, rl = self._primary_headers(token.value, count=True)
        if over:
            message = f"API rate limit exceeded for user ID {token.user_id}."
            return send(self.primary_limit_status, error_body(self.primary_limit_status, message), rl, token)
        with self._lock:
            in_flight = self._in_flight.get(token.value, 0) + 1
            self._in_flight[token.value] = in_flight
        try:
            wait = self._secondary_wait(token.value, route.name)
            if wait is None and self.rate_limits and in_flight > self.max_concurrent:
                wait = 1
            if wait is not None:
                message = SECONDARY_MESSAGE.format(request_id=request_id)
                return send(403, error_body(403, message), {**rl, "retry-after": str(wait)}, token)
            denial = token.denial(route.family)
            if denial is not None:
                return send(403, error_body(403, denial[0]), {**rl, **denial[1]}, token)
            if route.metrics and not scope.metrics_policy_enabled:
                status = scope.policy_disabled_status
                return send(status, error_body(status, POLICY_MESSAGE[scope.kind]), rl, token)
            try:
                reply = route.handler(self, scope, route, query, path=path, token=token)
            except ApiError as exc:
                return send(
                    exc.status, error_body(exc.status, exc.message, exc.extra), {**rl, **exc.headers}, token
                )
            except Exception:  # a simulator bug must look like GitHub's 500, not hang the client
                import traceback

                traceback.print_exc()
                return send(500, error_body(500), rl, token)
            body = reply.body()
            if reply.status == 200:
                bad = self.faults.take_body_fault(path) or (
                    scope is not None and scope.faults.take_body_fault(path)
                )
                if bad:
                    body = body[: max(1, len(body) // 2)]
            if scope is not None:
                scope.request_log.append((time.monotonic(), path, reply.status))
            return send(reply.status, body, {**rl, **reply.headers}, token)
        finally:
            with self._lock:
                self._in_flight[token.value] -= 1

    # -- downloads --------------------------------------------------------------------------------

    def _handle_download(self, req: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(req.path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        headers = {name.lower(): value for name, value in req.headers.items()}

        def send(status, body, content_type="application/xml"):
            self.download_log.append(DownloadRequest(time.monotonic(), method, path, query, headers, status))
            self._send(req, status, body, {"x-ms-request-id": str(uuid.uuid4())}, content_type=content_type)

        if method != "GET":
            return send(
                405, _blob_error("UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.")
            )
        if self.download_rejects_authorization and "authorization" in headers:
            return send(
                400,
                _blob_error(
                    "InvalidAuthenticationInfo",
                    "Authentication information is not given in the correct format.",
                ),
            )
        try:
            _, _, kind, scope_id, report, stamp, filename = path.split("/")
            expiry = int(query.get("se", ""))
            number = int(filename.rsplit("-", 1)[1].split(".")[0])
        except ValueError:
            return send(404, _blob_error("BlobNotFound", "The specified blob does not exist."))
        if not hmac.compare_digest(query.get("sig", ""), self._signature(path, expiry)):
            return send(403, _blob_error("AuthenticationFailed", "Signature did not match."))
        scope = self._by_id.get((kind, int(scope_id))) if scope_id.isdigit() else None
        if scope is None:
            return send(404, _blob_error("BlobNotFound", "The specified blob does not exist."))
        decision = self.faults.take_download(path)
        if decision.status is None:
            decision = scope.faults.take_download(path)
        if decision.sleep:
            time.sleep(decision.sleep)
        if decision.kind == "expired" or time.time() > expiry:
            return send(
                403,
                _blob_error("AuthenticationFailed", "Signed expiry time has passed: the link has expired."),
            )
        if decision.status is not None:
            return send(
                decision.status, _blob_error("InternalError", "Server encountered an internal error.")
            )
        day = None if stamp == "latest" else date.fromisoformat(stamp)
        files = scope.report_files(report, day)
        if not 1 <= number <= len(files):
            return send(404, _blob_error("BlobNotFound", "The specified blob does not exist."))
        body = files[number - 1]
        fault = self.faults.take_download_body(path) or scope.faults.take_download_body(path)
        if fault == "malformed_line":
            body = b'{"user_id": 1, "user_login": "broken-line", "day": \n' + body
        if fault == "truncate" and body:
            self.download_log.append(DownloadRequest(time.monotonic(), method, path, query, headers, 200))
            head = self._head(200, len(body), {}, "application/x-ndjson", close=True)
            try:
                req.wfile.write(head + body[: max(1, len(body) * 2 // 3)])
                req.wfile.flush()
            except OSError:
                pass
            req.close_connection = True
            return None
        return send(200, body, "application/x-ndjson")

    # -- wire -------------------------------------------------------------------------------------

    def _head(self, status: int, length: int, headers: dict, content_type: str, close: bool) -> bytes:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        lines = [f"HTTP/1.1 {status} {reason}"]
        if status != 204:
            lines.append(f"Content-Type: {content_type}")
            lines.append(f"Content-Length: {length}")
        for name, value in headers.items():
            lines.append(f"{name}: {value}")
        if close:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(
        self, req, status: int, body: bytes, headers: dict, content_type="application/json; charset=utf-8"
    ) -> None:
        head = self._head(status, len(body), headers, content_type, req.close_connection)
        try:
            req.wfile.write(head + (b"" if status == 204 else body))
            req.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            req.close_connection = True

    # -- ground truth about the download host -------------------------------------------------------

    def tokens_seen_by_download_host(self) -> set[str]:
        """Every token value this simulator knows that appeared anywhere in a request to the
        download host (a header or the URL). Empty when a client keeps its token to the API."""
        known = list(self._tokens)
        seen = set()
        for entry in self.download_log:
            text = (
                entry.path
                + "?"
                + urlencode(entry.query)
                + "\n"
                + "\n".join(f"{k}: {v}" for k, v in entry.headers.items())
            )
            seen.update(token for token in known if token in text)
        return seen


def _blob_error(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{message}\n'
        f"RequestId:{uuid.uuid4()}\nTime:{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S.0000000Z')}</Message></Error>"
    ).encode()
