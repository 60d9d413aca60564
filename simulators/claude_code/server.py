"""The HTTP side: routing, `x-api-key` auth and key types, faults, rate limits."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import console_api, enterprise_api
from .console_api import BROKEN_RECORD
from .org import SimOrg
from .util import ApiError, dumps, error_body, request_id

# Requests per window (sim.rate_window_seconds) per org and family. Enterprise Analytics: 60 per
# minute per organization across its endpoints (docs/claude-code-api.md §2.3). The Admin API's
# limits are not documented: None, no limit, unless a test sets one.
DEFAULT_LIMITS = {"enterprise": 60, "admin": None}
API_VERSION = "2023-06-01"


class Route:
    __slots__ = ("family", "handler", "needs")

    def __init__(self, family: str, handler, needs: str):
        self.family = family  # rate-limit family: "admin" or "enterprise"
        self.handler = handler
        self.needs = needs  # "admin_report", "users" or "analytics"


ROUTES = {
    console_api.REPORT_PATH: Route("admin", console_api.claude_code_report, "admin_report"),
    console_api.USERS_PATH: Route("admin", console_api.users_list, "users"),
    f"{enterprise_api.PREFIX}/users": Route("enterprise", enterprise_api.analytics_users, "analytics"),
    f"{enterprise_api.PREFIX}/user_cost_report": Route(
        "enterprise", enterprise_api.user_cost_report, "analytics"
    ),
    f"{enterprise_api.PREFIX}/user_usage_report": Route(
        "enterprise", enterprise_api.user_usage_report, "analytics"
    ),
}


def permission_error(key, route: Route) -> str | None:
    """The 403 message for a key that may not call the route, else None (§1)."""
    if route.needs == "admin_report":
        if key.kind == "admin":
            return None
        if key.kind == "api":
            return "This endpoint requires an Admin API key (sk-ant-admin…); standard API keys cannot call the Admin API."
        return _scope_message(key, "an Admin API key", "An Analytics API key cannot call the Admin API. ")
    if route.needs == "users":
        if key.kind == "admin" or (key.kind == "enterprise" and "read:members" in key.scopes):
            return None
        if key.kind == "api":
            return "This endpoint requires an Admin API key (sk-ant-admin…); standard API keys cannot call the Admin API."
        return _scope_message(key, "read:members")
    # analytics
    if key.kind == "enterprise":
        return None if "read:analytics" in key.scopes else _scope_message(key, "read:analytics")
    return "An Admin API key cannot call the Claude Enterprise Analytics API; use an Analytics API key (scope read:analytics)."


def _scope_message(key, needed: str, lead: str = "") -> str:
    has = ", ".join(key.scopes) or "none"
    return f"{lead}This API key has scopes: {has}. This endpoint requires: {needed}."


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ClaudeCodeSimulator/1.0"

    def do_GET(self):  # noqa: N802 (http.server naming)
        self.server.simulator._handle(self, "GET")

    def do_POST(self):  # noqa: N802
        self.server.simulator._handle(self, "POST")

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests and benchmarks read stdout
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class ClaudeCodeSimulator:
    """One HTTP server for any number of simulated organizations, told apart by key."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        now: datetime | None = None,
        seed: int = 1,
        users: int = 20,
        days: int = 90,
        cursor_seats: int | None = None,
        rate_limits: bool = True,
        rate_window_seconds: float = 60.0,
        default_orgs: bool = True,
    ):
        # The only reading of "today": `now`, else `clock()`, when an org is added. Rate-limit
        # windows and `retry-after` stay on real time: clients wait in real seconds.
        self.clock = clock or ((lambda: now) if now is not None else _wall_clock)
        self.rate_limits = rate_limits
        self.rate_window_seconds = rate_window_seconds
        self.retry_after_header = True  # natural 429s carry `retry-after` (seconds)
        self.require_version_header = True  # missing `anthropic-version` is a 400
        self.accept_bearer = False  # OAuth bearer tokens (org:admin) are not simulated
        self.request_log: deque = deque(maxlen=10_000)  # (time, org number, path, status)
        self._limits = dict(DEFAULT_LIMITS)
        self._orgs: list[SimOrg] = []
        self._keys: dict[str, SimOrg] = {}
        self._next_org = 1
        self._lock = threading.Lock()
        self._buckets: dict[tuple, deque] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url: str | None = None
        self.console: SimOrg | None = None
        self.enterprise: SimOrg | None = None
        if default_orgs:
            self.console = self.add_org(
                "console", seed=seed, users=users, days=days, cursor_seats=cursor_seats
            )
            self.enterprise = self.add_org(
                "enterprise", seed=seed, users=users, days=days, cursor_seats=cursor_seats
            )

    # -- orgs ---------------------------------------------------------------------------------------

    @property
    def url(self) -> str | None:
        return self.base_url

    @property
    def admin_key(self) -> str | None:
        """The default Console org's Admin key."""
        return self.console.admin_key if self.console else None

    @property
    def enterprise_key(self) -> str | None:
        """The default Enterprise org's Analytics key (read:analytics, read:members)."""
        return self.enterprise.enterprise_key if self.enterprise else None

    def add_org(
        self,
        kind: str = "console",
        *,
        seed: int = 1,
        users: int = 20,
        days: int = 90,
        now: datetime | None = None,
        admin_key: str | None = None,
        api_key: str | None = None,
        enterprise_key: str | None = None,
        scopes=None,
        cursor_seats: int | None = None,
        shared_fraction: float = 0.7,
        api_actors: int = 2,
    ) -> SimOrg:
        """A new Console org (an Admin key and a standard, non-admin key) or Enterprise org (an
        Analytics key with `scopes`, default read:analytics + read:members), whose clock reads
        `now` (aware), by default the simulator's clock."""
        now = now if now is not None else self.clock()
        with self._lock:
            org = SimOrg(
                kind=kind,
                org_number=self._next_org,
                seed=seed,
                users=users,
                days=days,
                now=now,
                cursor_seats=cursor_seats,
                shared_fraction=shared_fraction,
                api_actors=api_actors,
            )
            self._next_org += 1
            if kind == "console":
                org.admin_key = org.add_key("admin", admin_key)
                org.api_key = org.add_key("api", api_key)
            else:
                org.enterprise_key = org.add_key("enterprise", enterprise_key, scopes)
            if any(key in self._keys for key in org.keys):
                raise ValueError("key already registered")
            self._orgs.append(org)
            for key in org.keys:
                self._keys[key] = org
            return org

    def add_key(self, org: SimOrg, kind: str, key: str | None = None, scopes=None) -> str:
        """Another key for an org (e.g. an Enterprise key without read:analytics)."""
        key = org.add_key(kind, key, scopes)
        with self._lock:
            self._keys[key] = org
        return key

    def remove_org(self, org: SimOrg) -> None:
        with self._lock:
            if org in self._orgs:
                self._orgs.remove(org)
            for key in [k for k, o in self._keys.items() if o is org]:
                del self._keys[key]
            for bucket in [b for b in self._buckets if b[0] == org.org_number]:
                del self._buckets[bucket]

    @property
    def orgs(self) -> list[SimOrg]:
        return list(self._orgs)

    # -- limits -------------------------------------------------------------------------------------

    @property
    def limits(self) -> dict:
        return dict(self._limits)

    def set_limits(self, limits: dict) -> None:
        """Requests per window by family ("enterprise", "admin"; None = unlimited)."""
        unknown = set(limits) - set(DEFAULT_LIMITS)
        if unknown:
            raise ValueError(f"unknown rate-limit families: {sorted(unknown)}")
        with self._lock:
            self._limits.update(limits)

    def reset_limits(self) -> None:
        with self._lock:
            self._limits = dict(DEFAULT_LIMITS)
            self._buckets.clear()

    def _rate_check(self, org: SimOrg, family: str) -> int | None:
        """Count the request; seconds to wait when over the limit, else None."""
        enabled = self.rate_limits if org.rate_limits is None else org.rate_limits
        limit = (org.limits or {}).get(family, self._limits.get(family))
        if not enabled or limit is None:
            return None
        now = time.monotonic()
        window = self.rate_window_seconds
        with self._lock:
            bucket = self._buckets.setdefault((org.org_number, family), deque())
            while bucket and bucket[0] <= now - window:
                bucket.popleft()
            if len(bucket) >= limit:
                return max(1, int(bucket[0] + window - now + 0.999))
            bucket.append(now)
        return None

    # -- server -------------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; returns the base URL (e.g. "http://127.0.0.1:54321")."""
        if self._server is not None:
            return self.base_url
        server = _Server((host, port), _Handler)
        server.simulator = self
        self._server = server
        self.base_url = f"http://{host}:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, name="claude-code-simulator", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self):
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- requests -----------------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        req_id = request_id()
        parts = urlsplit(req.path)
        path = parts.path.rstrip("/") or "/"
        params = parse_qsl(parts.query, keep_blank_values=True)
        query = dict(params)
        length = int(req.headers.get("Content-Length") or 0)
        if length > 0:
            req.rfile.read(length)

        key_text = (req.headers.get("x-api-key") or "").strip()
        if not key_text and self.accept_bearer:
            scheme, _, token = (req.headers.get("authorization") or "").partition(" ")
            key_text = token.strip() if scheme.lower() == "bearer" else ""
        org = self._keys.get(key_text)
        key = org.keys.get(key_text) if org else None
        send = self._sender(req, req_id, org, path, parts.query)
        if key is None:
            message = "x-api-key header is required" if not key_text else "invalid x-api-key"
            return send(401, error_body(401, message, req_id))
        if self.require_version_header and not req.headers.get("anthropic-version"):
            return send(400, error_body(400, "anthropic-version: header is required", req_id))
        route = ROUTES.get(path)
        if route is None or method != "GET":
            return send(404, error_body(404, None, req_id))
        denied = permission_error(key, route)
        if denied is not None:
            return send(403, error_body(403, denied, req_id))
        if route.family == "enterprise" and not org.api_access_enabled:
            message = "Public API access is disabled for this organization; the Primary Owner can enable it."
            status = org.api_disabled_status
            return send(status, error_body(status, message, req_id))

        decision = org.faults.take(path)
        if decision.sleep:
            time.sleep(decision.sleep)
        if decision.status is not None:
            return send(decision.status, error_body(decision.status, None, req_id), decision.headers)

        wait = self._rate_check(org, route.family)
        if wait is not None:
            headers = {"retry-after": str(wait)} if self.retry_after_header else {}
            return send(429, error_body(429, None, req_id), headers)

        try:
            payload = route.handler(org, query, params)
        except ApiError as exc:
            return send(exc.status, error_body(exc.status, exc.message, req_id))
        except Exception:  # a simulator bug must look like an Anthropic 500, not hang the client
            import traceback

            traceback.print_exc()
            return send(500, error_body(500, None, req_id))

        fault = org.faults.take_body_fault(path)
        if fault == "record" and isinstance(payload.get("data"), list):
            payload = dict(payload, data=[dict(BROKEN_RECORD)] + payload["data"])
        body = dumps(payload)
        if fault == "json":
            body = body[: max(1, len(body) // 2)]
        send(200, body)

    def _sender(self, req, req_id: str, org: SimOrg | None, path: str, query: str):
        def send(status: int, body: bytes, headers: dict | None = None) -> None:
            stamp = time.monotonic()
            if org is not None:
                org.request_log.append((stamp, path, query, status))
            self.request_log.append((stamp, org.org_number if org else None, path, status))
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:
                reason = "Overloaded" if status == 529 else "Error"
            lines = [
                f"HTTP/1.1 {status} {reason}",
                "Server: ClaudeCodeSimulator/1.0",
                "Content-Type: application/json",
                f"Content-Length: {len(body)}",
                f"request-id: {req_id}",
            ]
            lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
            if req.close_connection:
                lines.append("Connection: close")
            try:
                req.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
                req.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                req.close_connection = True

        return send
