"""The HTTP side: routing, Basic auth, faults, plan gating, rate limits and ETag/304."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import admin_api, analytics_api
from .team import SimTeam, generate_api_key
from .util import ApiError, Reply, error_body

DEFAULT_LIMITS = {
    "admin": 20,
    "usage_events": 60,
    "analytics_team": 100,
    "by_user": 50,
    "ai_code": 20,
}
ENTERPRISE_DENIED_401 = "You must be a member of an enterprise team to access this resource"


class Route:
    __slots__ = ("family", "handler", "etag", "enterprise_only")

    def __init__(self, family, handler, *, etag=False, enterprise_only=False):
        self.family = family
        self.handler = handler
        self.etag = etag
        self.enterprise_only = enterprise_only


def _routes() -> dict[tuple[str, str], Route]:
    routes = {
        ("GET", "/teams/members"): Route("admin", admin_api.members),
        ("GET", "/teams/audit-logs"): Route("admin", admin_api.audit_logs),
        ("POST", "/teams/daily-usage-data"): Route("admin", admin_api.daily_usage),
        ("POST", "/teams/spend"): Route("admin", admin_api.spend),
        ("POST", "/teams/filtered-usage-events"): Route("usage_events", admin_api.usage_events),
        ("GET", "/teams/groups"): Route("admin", admin_api.groups, enterprise_only=True),
        ("POST", "/teams/user-spend-limits"): Route(
            "admin", admin_api.user_spend_limits, enterprise_only=True
        ),
    }
    for name, handler in analytics_api.TEAM_ENDPOINTS.items():
        routes[("GET", f"/analytics/team/{name}")] = Route(
            "analytics_team", handler, etag=True, enterprise_only=True
        )
    for name, handler in analytics_api.BY_USER_ENDPOINTS.items():
        routes[("GET", f"/analytics/by-user/{name}")] = Route(
            "by_user", handler, etag=True, enterprise_only=True
        )
    for name, handler in analytics_api.AI_CODE_ENDPOINTS.items():
        routes[("GET", f"/analytics/ai-code/{name}")] = Route(
            "ai_code", handler, etag=True, enterprise_only=True
        )
    return routes


ROUTES = _routes()
KNOWN_PATHS = {path for _, path in ROUTES}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CursorSimulator/1.0"

    def do_GET(self):  # noqa: N802 (http.server naming)
        self.server.simulator._handle(self, "GET")

    def do_POST(self):  # noqa: N802
        self.server.simulator._handle(self, "POST")

    def do_PUT(self):  # noqa: N802
        self.server.simulator._handle(self, "PUT")

    def do_DELETE(self):  # noqa: N802
        self.server.simulator._handle(self, "DELETE")

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests and benchmarks read stdout
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class CursorSimulator:
    """One HTTP server hosting any number of simulated teams, told apart by API key."""

    def __init__(
        self,
        rate_limits: bool = True,
        rate_window_seconds: float = 60.0,
        clock: Callable[[], datetime] | None = None,
    ):
        # The simulator's only reading of "today": what `add_team` uses when not given `now`.
        # Tests pass a fixed clock so the data never depends on the day they run. Rate-limit
        # windows and `X-RateLimit-Reset` stay on real time: clients wait in real seconds.
        self.clock = clock or _wall_clock
        self.rate_limits = rate_limits
        self.rate_window_seconds = rate_window_seconds
        self.retry_after_header = False  # natural 429s: send `Retry-After` (seconds)
        self.rate_limit_reset_header = False  # natural 429s: send `X-RateLimit-Reset` (epoch seconds)
        self.accept_bearer = False  # Basic is the only documented scheme for team endpoints
        # The last 10,000 requests of every team, unknown keys included: (time, team_id, family, path, status).
        self.request_log: deque = deque(maxlen=10_000)
        self._limits = dict(DEFAULT_LIMITS)
        self._teams: dict[str, SimTeam] = {}
        self._next_team_id = 4242
        self._lock = threading.Lock()
        self._buckets: dict[tuple, deque] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url: str | None = None

    # -- teams ------------------------------------------------------------------------------------

    def add_team(
        self,
        api_key: str | None = None,
        seats: int = 50,
        days: int = 60,
        seed: int = 1,
        plan: str = "enterprise",
        now: datetime | None = None,
    ) -> SimTeam:
        """A new team whose clock reads `now` (aware), by default the simulator's clock."""
        now = now if now is not None else self.clock()
        with self._lock:
            key = api_key or generate_api_key()
            if key in self._teams:
                raise ValueError("api_key already registered")
            team = SimTeam(
                team_id=self._next_team_id,
                api_key=key,
                seats=seats,
                days=days,
                seed=seed,
                plan=plan,
                now=now,
            )
            self._next_team_id += 1
            self._teams[key] = team
            return team

    def remove_team(self, team: SimTeam) -> None:
        with self._lock:
            self._teams.pop(team.api_key, None)
            for bucket in [b for b in self._buckets if b[0] == team.team_id]:
                del self._buckets[bucket]

    @property
    def teams(self) -> list[SimTeam]:
        return list(self._teams.values())

    # -- limits -----------------------------------------------------------------------------------

    @property
    def limits(self) -> dict:
        return dict(self._limits)

    def set_limits(self, limits: dict) -> None:
        """Override per-window limits by family: admin, usage_events, analytics_team, by_user,
        ai_code (per endpoint). Unnamed families keep their current limit."""
        unknown = set(limits) - set(DEFAULT_LIMITS)
        if unknown:
            raise ValueError(f"unknown rate-limit families: {sorted(unknown)}")
        with self._lock:
            self._limits.update(limits)

    def reset_limits(self) -> None:
        """Restore the real API's limits and forget every bucket."""
        with self._lock:
            self._limits = dict(DEFAULT_LIMITS)
            self._buckets.clear()

    def reset_rate_limit_buckets(self) -> None:
        with self._lock:
            self._buckets.clear()

    def _rate_check(self, team: SimTeam, family: str, path: str) -> int | None:
        """Count the request; return seconds to wait when over the limit, else None."""
        enabled = self.rate_limits if team.rate_limits is None else team.rate_limits
        if not enabled:
            return None
        limit = (team.limits or {}).get(family, self._limits[family])
        key = (team.team_id, family, path if family == "ai_code" else "")
        now = time.monotonic()
        window = self.rate_window_seconds
        with self._lock:
            bucket = self._buckets.setdefault(key, deque())
            while bucket and bucket[0] <= now - window:
                bucket.popleft()
            if len(bucket) >= limit:
                return max(1, int(bucket[0] + window - now + 0.999))
            bucket.append(now)
        return None

    # -- server -----------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a daemon thread; returns the base URL (e.g. "http://127.0.0.1:54321")."""
        if self._server is not None:
            return self.base_url
        server = _Server((host, port), _Handler)
        server.simulator = self
        self._server = server
        self.base_url = f"http://{host}:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, name="cursor-simulator", daemon=True)
        self._thread.start()
        return self.base_url

    def serve_forever(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve in the calling thread (used by the management command)."""
        self.start(host, port)
        self._thread.join()

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

    # -- request handling -------------------------------------------------------------------------

    def _authenticate(self, header: str | None) -> SimTeam | None:
        if not header:
            return None
        scheme, _, credentials = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return None
            key = decoded.partition(":")[0]
        elif scheme == "bearer" and self.accept_bearer:
            key = credentials.strip()
        else:
            return None
        if not key.startswith(("key_", "crsr_")):
            return None
        return self._teams.get(key)

    def _handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(req.path)
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(req.headers.get("Content-Length") or 0)
        raw_body = req.rfile.read(length) if length > 0 else b""

        team = self._authenticate(req.headers.get("Authorization"))
        route = ROUTES.get((method, path))
        family = route.family if route else "unknown"
        if team is None:
            return self._send(req, None, family, path, 401, error_body(401))
        if route is None:
            return self._send(req, team, family, path, 404, error_body(404))

        team.count_request()  # data faults armed for "after n requests" (revise_day_after)
        team.faults.hold_if_paused(path)
        decision = team.faults.take(path, time.time())
        if decision.sleep:
            time.sleep(decision.sleep)
        if decision.status is not None:
            return self._send(
                req,
                team,
                family,
                path,
                decision.status,
                error_body(decision.status),
                decision.headers,
            )

        if route.enterprise_only and team.plan != "enterprise":
            status = team.enterprise_denied_status
            if isinstance(status, dict):
                status = status.get(path, status.get(route.family, 403))
            message = ENTERPRISE_DENIED_401 if status == 401 else "Enterprise access required"
            return self._send(req, team, family, path, status, error_body(status, message))

        headers = {}
        if route.etag:
            etag = self._etag(team, path, query)
            if etag is not None:
                headers = {"ETag": etag, "Cache-Control": "public, max-age=900"}
                inm = req.headers.get("If-None-Match")
                if inm and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")]):
                    # 304s don't count against rate limits (docs/cursor-api.md §1.3).
                    return self._send(req, team, family, path, 304, b"", headers)

        wait = self._rate_check(team, family, path)
        if wait is not None:
            rl_headers = {}
            if self.retry_after_header:
                rl_headers["Retry-After"] = str(wait)
            if self.rate_limit_reset_header:
                rl_headers["X-RateLimit-Reset"] = str(int(time.time()) + wait)
            return self._send(req, team, family, path, 429, error_body(429), rl_headers)

        try:
            body = None
            if method == "POST":
                try:
                    body = json.loads(raw_body) if raw_body.strip() else {}
                except ValueError:
                    raise ApiError(400, "Invalid JSON body") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "Request body must be a JSON object")
            reply: Reply = route.handler(team, query, body)
        except ApiError as exc:
            return self._send(req, team, family, path, exc.status, error_body(exc.status, exc.message))
        except Exception:  # a simulator bug must look like a Cursor 500, not hang the client
            import traceback

            traceback.print_exc()
            return self._send(req, team, family, path, 500, error_body(500))

        fault = team.faults.take_body_fault(path)
        payload = reply.body(broken=fault == "record")
        if fault == "json":
            payload = payload[: max(1, len(payload) // 2)]
        self._send(req, team, family, path, 200, payload, headers)

    def _etag(self, team: SimTeam, path: str, query: dict) -> str | None:
        """Stable for the same normalised query and unchanged data; None if the query is invalid."""
        try:
            normalised = analytics_api.normalise_query(team, path, query)
        except ApiError:
            return None
        digest = hashlib.sha1(
            f"{team.team_id}|{team.data_version}|{team.legacy_shapes}|{path}|{normalised}".encode(),
            usedforsecurity=False,
        ).hexdigest()
        return f'"{digest[:32]}"'

    def _send(self, req, team, family, path, status, body: bytes, headers: dict | None = None) -> None:
        if team is not None:
            team.request_log.append((time.monotonic(), family, path, status))
        self.request_log.append((time.monotonic(), team.team_id if team else None, family, path, status))
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        lines = [f"HTTP/1.1 {status} {reason}", "Server: CursorSimulator/1.0"]
        if status != 304:
            lines.append("Content-Type: application/json; charset=utf-8")
            lines.append(f"Content-Length: {len(body)}")
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if req.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            req.wfile.write(head + body)
            req.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            req.close_connection = True
