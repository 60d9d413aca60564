"""The HTTP layer of the Claude Code client: auth, retries, typed errors, cursor paging.

Reference: docs/claude-code-api.md §2 (headers, errors, rate limits, pagination). Built on the
tool-neutral mechanics in ``integrations/http.py`` (backoff with jitter, ``retry-after``).

Retries: 429 (honouring ``retry-after``), 529 overloaded, 5xx, timeouts and network errors, with
full-jitter backoff. A wait longer than ``max_wait`` is not slept: ``RateLimited(retry_after)``
goes up so the sync can stop and resume later. 401/403/404 and other 4xx are never retried.

The key is never logged, put in an exception message (Anthropic's text is scrubbed of it) or repr.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator

import httpx

from integrations.http import full_jitter, retry_after_seconds

from .errors import (
    ClaudeCodeError,
    CursorExpired,
    InvalidKey,
    NotAvailableYet,
    Overloaded,
    RateLimited,
    Timeout,
    Unreachable,
    UpstreamError,
)

logger = logging.getLogger("integrations.claude_code.client")

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
USER_AGENT = "Koalr/1.0 (https://koalr.io) claude-code-sync"
MAX_WAIT = 120.0
BACKOFF_BASE = 1.0
RATE_LIMIT_MIN_WAIT = 5.0  # a 429/529 without retry-after: at least this, doubling per attempt
WAIT_RATE_LIMIT = "Anthropic rate limit"
WAIT_OVERLOADED = "Anthropic overloaded"
WAIT_RETRY = "retry after an Anthropic error"


def _setting(name: str, default):
    try:
        from django.conf import settings

        return getattr(settings, name, default)
    except Exception:  # Django not configured (the bench): the default
        return default


def default_base_url() -> str:
    return _setting("CLAUDE_CODE_API_BASE_URL", "") or DEFAULT_BASE_URL


def tenant_for_key(api_key: str) -> str:
    return hashlib.sha256(b"koalr-claude-code-key:" + api_key.encode()).hexdigest()[:32]


class AnthropicHttp:
    max_pages = 10_000  # 1,000 rows a page

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_wait: float = MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("an Anthropic API key is required")
        api_key = api_key.strip()
        self.tenant = tenant_for_key(api_key)
        self.base_url = (base_url or default_base_url()).rstrip("/")
        self.max_retries = max(0, int(max_retries))
        self.max_wait = float(max_wait)
        self._sleep = sleep
        self._on_wait = on_wait
        self._secret = api_key
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"x-api-key": api_key, "anthropic-version": API_VERSION, "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
        )
        self.skipped_records = 0
        self.requests_made = 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url} tenant={self.tenant[:8]}>"

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- one request --------------------------------------------------------------------------

    def _call(self, path: str, params: list[tuple[str, str]] | None = None) -> dict:
        """GET ``path`` with retries; the decoded JSON object, or a typed error."""
        attempt = 0
        while True:
            attempt += 1
            can_retry = attempt <= self.max_retries
            started = time.perf_counter()
            self.requests_made += 1
            try:
                response = self._http.get(path, params=params)
            except httpx.TimeoutException as exc:
                self._log(path, "timeout", started, attempt)
                if can_retry:
                    self._backoff(attempt)
                    continue
                raise Timeout(
                    f"Anthropic did not answer GET {path} after {attempt} attempts", path=path
                ) from exc
            except httpx.HTTPError as exc:
                self._log(path, type(exc).__name__, started, attempt)
                if can_retry and isinstance(exc, httpx.TransportError):
                    self._backoff(attempt)
                    continue
                raise Unreachable(
                    f"could not reach Anthropic for GET {path} ({type(exc).__name__})", path=path
                ) from exc

            status = response.status_code
            self._log(path, status, started, attempt)
            if 200 <= status < 300:
                try:
                    body = json.loads(response.content)
                except ValueError:
                    raise UpstreamError(
                        f"Anthropic returned invalid JSON for GET {path}", status=status, path=path
                    ) from None
                if not isinstance(body, dict):
                    raise UpstreamError(
                        f"Anthropic returned a non-object for GET {path}", status=status, path=path
                    )
                return body
            error_type, message = self._error(response)
            if status in (429, 529):
                cls, reason = (
                    (RateLimited, WAIT_RATE_LIMIT) if status == 429 else (Overloaded, WAIT_OVERLOADED)
                )
                hint = retry_after_seconds(response.headers)
                wait = hint if hint is not None else RATE_LIMIT_MIN_WAIT * 2 ** (attempt - 1)
                if not can_retry or wait > self.max_wait:
                    raise cls(
                        f"Anthropic answered HTTP {status} ({error_type or 'rate limited'}) to GET {path}",
                        retry_after=hint if hint is not None else wait,
                        status=status,
                        path=path,
                        error_type=error_type,
                    )
                self._pause(wait, reason)
                continue
            if status >= 500:
                if can_retry:
                    self._backoff(attempt)
                    continue
                raise UpstreamError(
                    f"Anthropic answered HTTP {status} to GET {path} after {attempt} attempts",
                    status=status,
                    path=path,
                    error_type=error_type,
                )
            detail = f"Anthropic answered HTTP {status} ({error_type or 'error'}) to GET {path}"
            if message:
                detail += f": {message}"
            if status == 401:
                raise InvalidKey(detail, status=status, path=path, error_type=error_type)
            if status == 403:
                raise self.permission_error(detail, message, status=status, path=path, error_type=error_type)
            if status == 410:
                raise CursorExpired(detail, status=status, path=path, error_type=error_type)
            if status == 400 and self._not_yet(message):
                raise NotAvailableYet(detail, status=status, path=path, error_type=error_type)
            raise UpstreamError(detail, status=status, path=path, error_type=error_type)

    def permission_error(self, detail: str, message: str, **kwargs) -> ClaudeCodeError:
        """What a 403 means depends on the API family: each client says."""
        return UpstreamError(detail, **kwargs)

    @staticmethod
    def _not_yet(message: str) -> bool:
        text = message.lower()
        return any(
            w in text
            for w in ("not yet available", "most recent available", "too recent", "not available yet")
        )

    def _paged(
        self, path: str, params: list[tuple[str, str]], *, need_has_more: bool = True
    ) -> Iterator[list]:
        """Follow ``next_page`` (§2.4) with the same query until ``has_more`` is false (or, for
        Enterprise ``/users``, until ``next_page`` is null); yields each page's ``data``. A 410
        (cursor expired after a refresh) restarts from page 1 once."""
        restarted = False
        while True:
            try:
                yield from self._pages(path, params, need_has_more)
                return
            except CursorExpired:
                if restarted:
                    raise
                restarted = True

    def _pages(self, path, params, need_has_more) -> Iterator[list]:
        page, pages, seen = None, 0, set()
        while True:
            pages += 1
            if pages > self.max_pages:
                raise UpstreamError(
                    f"Anthropic kept paginating {path} past {self.max_pages} pages", path=path
                )
            query = list(params) + ([("page", page)] if page else [])
            body = self._call(path, query)
            data = body.get("data")
            if not isinstance(data, list):
                raise UpstreamError(f"unexpected response shape from {path}: no data list", path=path)
            yield data
            next_page = body.get("next_page")
            has_more = body.get("has_more") if need_has_more else bool(next_page)
            if not has_more:
                return
            if not isinstance(next_page, str) or not next_page or next_page in seen:
                raise UpstreamError(
                    f"Anthropic said there is more of {path} without a new next_page", path=path
                )
            seen.add(next_page)
            page = next_page

    # -- waits, errors, logging ---------------------------------------------------------------

    def _pause(self, seconds: float, reason: str) -> None:
        if self._on_wait is not None:
            self._on_wait(seconds, reason)
        self._sleep(seconds)

    def _backoff(self, attempt: int) -> None:
        self._pause(full_jitter(attempt, BACKOFF_BASE), WAIT_RETRY)

    def _error(self, response: httpx.Response) -> tuple[str, str]:
        """(error.type, error.message) of Anthropic's error body, short and scrubbed of the key."""
        try:
            body = json.loads(response.content)
        except ValueError:
            return "", ""
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return "", ""
        kind = error.get("type") if isinstance(error.get("type"), str) else ""
        text = error.get("message") if isinstance(error.get("message"), str) else ""
        text = " ".join(text.split())[:300].replace(self._secret, "[key]")
        return kind[:60], text

    def _log(self, path: str, status, started: float, attempt: int) -> None:
        logger.info(
            "claude code api GET %s -> %s in %.0f ms (attempt %d)",
            path,
            status,
            (time.perf_counter() - started) * 1000,
            attempt,
            extra={
                "claude_code_path": path,
                "claude_code_status": status,
                "claude_code_tenant": self.tenant[:12],
            },
        )
