"""The HTTP layer shared by the Cursor client: auth, rate limiting, retries, logging, errors.

``CursorHttp._call`` performs one logical request:

- Basic auth with the key as username and an empty password; a fixed User-Agent;
- one ``limiter.admitted`` slot per attempt, so retries are counted against the team's budget
  too; each attempt counts from the moment its answer is in;
- retries on 429, 5xx, timeouts and network errors with exponential backoff and full jitter,
  honouring ``Retry-After`` / ``X-RateLimit-Reset`` (capped at ``MAX_RETRY_WAIT``); never on
  other 4xx; the typed error of ``errors.py`` once the retries are used up;
- one log line per attempt (method, path, status, duration, attempt, team hash).

The key never leaves this object except inside the Authorization header httpx builds: it is not
logged, not in any exception message (Cursor's own error text is scrubbed of it) and not in repr.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx

from integrations.http import full_jitter, retry_after_seconds  # noqa: F401  (re-exported)

from .config import default_base_url
from .errors import (
    CursorTimeout,
    CursorUnreachable,
    InvalidApiKey,
    PlanRequired,
    RateLimited,
    UpstreamError,
)
from .parsing import decode_json
from .ratelimit import RateLimiter, get_default_limiter, team_id_for_key

# One logger for every line the client writes, whichever module writes it.
logger = logging.getLogger("integrations.cursor.client")

USER_AGENT = "Koalr/1.0 (+https://koalr.io) cursor-sync"

MAX_RETRY_WAIT = 120.0  # never sleep longer than this on one server hint
BACKOFF_BASE = 1.0  # 5xx / network: full jitter over 1, 2, 4, 8 … s
BACKOFF_BASE_429 = 4.0  # 429 without a hint: limits are per minute, so back off longer
BACKOFF_CAP = 60.0

# on_wait reasons; short plain words the sync UI can show after "waiting for …".
WAIT_CURSOR_429 = "Cursor rate limit"
WAIT_RETRY = "retry after a Cursor error"


class CursorHttp:
    """Base of ``CursorClient``: one httpx session for one API key."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("a Cursor API key is required")
        api_key = api_key.strip()
        self.team_id = team_id_for_key(api_key)
        self.base_url = (base_url or default_base_url()).rstrip("/")
        self.max_retries = max(0, int(max_retries))
        self._limiter = limiter if limiter is not None else get_default_limiter()
        self._sleep = sleep
        self._on_wait = on_wait
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=httpx.BasicAuth(api_key, ""),
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
        )
        # Kept only to scrub it from Cursor's error text should a server ever echo it back.
        self._secret = api_key

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url} team={self.team_id[:8]}>"

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        family: str,
        params: dict | None = None,
        json: dict | None = None,
        plan_gated: bool = False,
        etag: str | None = None,
    ) -> tuple[dict | None, str | None]:
        """One logical request with retries. Returns (decoded body, ETag), or (None, etag) on 304.

        ``plan_gated`` marks Enterprise-only families, where Cursor answers 401 for a team
        without the plan (docs/cursor-api.md §1.2), so 401 there means PlanRequired.
        """
        headers = {"If-None-Match": etag} if etag else None
        attempt = 0
        while True:
            attempt += 1
            can_retry = attempt <= self.max_retries
            try:
                # The request counts against the team's budget from the moment its answer is
                # in (or it failed), so no safety margin is needed (integrations/ratelimit.py).
                with self._limiter.admitted(self.team_id, family, self._on_wait):
                    started = time.perf_counter()
                    response = self._http.request(method, path, params=params, json=json, headers=headers)
            except httpx.TimeoutException as exc:
                self._log(method, path, "timeout", started, attempt)
                if can_retry:
                    self._backoff(attempt, BACKOFF_BASE, WAIT_RETRY)
                    continue
                raise CursorTimeout(
                    f"Cursor did not answer {method} {path} in time after {attempt} attempts",
                    path=path,
                ) from exc
            except httpx.TransportError as exc:
                self._log(method, path, type(exc).__name__, started, attempt)
                if can_retry:
                    self._backoff(attempt, BACKOFF_BASE, WAIT_RETRY)
                    continue
                raise CursorUnreachable(
                    f"could not reach Cursor for {method} {path} after {attempt} attempts "
                    f"({type(exc).__name__})",
                    path=path,
                ) from exc
            except httpx.HTTPError as exc:  # e.g. an invalid base URL: retrying will not help
                self._log(method, path, type(exc).__name__, started, attempt)
                raise CursorUnreachable(
                    f"could not call Cursor for {method} {path} ({type(exc).__name__})",
                    path=path,
                ) from exc

            status = response.status_code
            self._log(method, path, status, started, attempt)

            if 200 <= status < 300:
                try:
                    data = decode_json(response.content)
                except ValueError:
                    raise UpstreamError(
                        f"Cursor returned invalid JSON for {method} {path} (HTTP {status})",
                        status=status,
                        path=path,
                    ) from None
                if data.__class__ is not dict:
                    raise UpstreamError(
                        f"Cursor returned a JSON {type(data).__name__} for {method} {path}, "
                        "expected an object",
                        status=status,
                        path=path,
                    )
                return data, response.headers.get("ETag")
            if status == 304 and etag:
                return None, etag
            if status == 429:
                retry_after = retry_after_seconds(response.headers)
                if can_retry:
                    if retry_after is not None:
                        wait = min(retry_after, MAX_RETRY_WAIT)
                        if self._on_wait is not None:
                            self._on_wait(wait, WAIT_CURSOR_429)
                        self._sleep(wait)
                    else:
                        self._backoff(attempt, BACKOFF_BASE_429, WAIT_CURSOR_429)
                    continue
                raise RateLimited(
                    f"Cursor rate-limited {method} {path} after {attempt} attempts",
                    retry_after=retry_after,
                    status=status,
                    path=path,
                )
            if status >= 500:
                if can_retry:
                    self._backoff(attempt, BACKOFF_BASE, WAIT_RETRY)
                    continue
                raise UpstreamError(
                    f"Cursor answered HTTP {status} to {method} {path} after {attempt} attempts"
                    f"{self._cursor_message(response)}",
                    status=status,
                    path=path,
                )
            if status == 401:
                cls = PlanRequired if plan_gated else InvalidApiKey
                raise cls(
                    f"Cursor answered HTTP 401 to {method} {path}{self._cursor_message(response)}",
                    status=status,
                    path=path,
                )
            if status == 403:
                raise PlanRequired(
                    f"Cursor answered HTTP 403 to {method} {path}{self._cursor_message(response)}",
                    status=status,
                    path=path,
                )
            raise UpstreamError(
                f"Cursor answered HTTP {status} to {method} {path}{self._cursor_message(response)}",
                status=status,
                path=path,
            )

    def _backoff(self, attempt: int, base: float, reason: str) -> None:
        """Exponential backoff with full jitter: a random wait in [0, min(cap, base·2^(n-1))]."""
        wait = full_jitter(attempt, base, BACKOFF_CAP)
        if self._on_wait is not None:
            self._on_wait(wait, reason)
        self._sleep(wait)

    def _cursor_message(self, response: httpx.Response) -> str:
        """Cursor's own error text (``message`` / ``error``), short and scrubbed of the key."""
        try:
            body = decode_json(response.content)
        except ValueError:
            return ""
        if body.__class__ is not dict:
            return ""
        text = body.get("message") or body.get("error")
        if not isinstance(text, str) or not text.strip():
            return ""
        text = " ".join(text.split())[:200].replace(self._secret, "[key]")
        return f": {text}"

    def _log(self, method: str, path: str, status, started: float, attempt: int) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "cursor api %s %s -> %s in %.0f ms (attempt %d)",
            method,
            path,
            status,
            duration_ms,
            attempt,
            extra={
                "cursor_method": method,
                "cursor_path": path,
                "cursor_status": status,
                "cursor_duration_ms": round(duration_ms, 1),
                "cursor_attempt": attempt,
                "cursor_team": self.team_id[:12],
            },
        )
