"""The HTTP layer of the Copilot client: auth, limits, retries, paging and report downloads.

Reference: docs/copilot-api.md §1 (headers, scopes, rate limits, pagination, errors) and §2.1
(signed download links). ``CopilotHttp`` holds two httpx sessions:

- ``_api`` for api.github.com: ``Authorization: Bearer <token>``, the pinned API version, a
  User-Agent, no redirects followed;
- ``_downloads`` for the signed report links: **no auth at all**, so the GitHub token can never
  reach the download host, whatever URL GitHub hands out.

Retries: 5xx, timeouts and network errors with full-jitter backoff; rate limits (429, or 403 with
``x-ratelimit-remaining: 0`` / ``retry-after`` / a "rate limit" message) honour ``retry-after``,
then ``x-ratelimit-reset``, else wait at least a minute and back off exponentially (§1.3). A wait
longer than ``max_wait`` is not slept: ``RateLimited(retry_after)`` goes up so the sync can stop
and resume later. When a response says the hourly budget is spent (remaining 0), the next
request waits for the reset first. 401/403/404 are never retried.

The token is never logged, put in an exception message (GitHub's text is scrubbed of it) or repr.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx

from integrations import ratelimit as shared
from integrations.http import full_jitter, reset_seconds, retry_after_seconds

from .errors import (
    CopilotTimeout,
    CopilotUnreachable,
    InvalidToken,
    MissingScope,
    OrgNotFound,
    PolicyDisabled,
    RateLimited,
    UpstreamError,
)
from .limits import default_base_url, get_default_limiter, tenant_for_token

logger = logging.getLogger("integrations.copilot.client")

API_VERSION = "2026-03-10"
USER_AGENT = "Koalr/1.0 (+https://koalr.io) copilot-sync"

MAX_WAIT = 300.0  # longest single sleep on a server hint; beyond it the caller resumes later
BACKOFF_BASE = 1.0
SECONDARY_MIN_WAIT = 60.0  # §1.3: no hint on a secondary limit → wait at least a minute
WAIT_RATE_LIMIT = "GitHub rate limit"
WAIT_RETRY = "retry after a GitHub error"


class LinkExpired(Exception):
    """A signed download link answered 403/404/410: ask GitHub for fresh links."""


class CopilotHttp:
    max_pages = 1_000  # 100 seats a page: 100,000 seats

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        max_wait: float = MAX_WAIT,
        limiter: shared.RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        download_transport: httpx.BaseTransport | None = None,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ValueError("a GitHub token is required")
        token = token.strip()
        self.tenant = tenant_for_token(token)
        self.base_url = (base_url or default_base_url()).rstrip("/")
        self.max_retries = max(0, int(max_retries))
        self.max_wait = float(max_wait)
        self._limiter = limiter if limiter is not None else get_default_limiter()
        self._sleep = sleep
        self._clock = clock
        self._on_wait = on_wait
        self._exhausted_until = 0.0  # clock time the hourly budget resets, once spent
        self._api = httpx.Client(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": USER_AGENT,
            },
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
        )
        # No Authorization header, no cookies carried over: the token cannot leak to it.
        self._downloads = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout),
            transport=download_transport,
            follow_redirects=True,
        )
        self._secret = token
        self.skipped_records = 0
        self.requests_made = 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url} tenant={self.tenant[:8]}>"

    def close(self) -> None:
        self._api.close()
        self._downloads.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- one API request ----------------------------------------------------------------------

    def _call(
        self, path: str, *, bucket: str, params: dict | None = None, missing_ok: bool = False
    ) -> tuple[object | None, httpx.Response | None]:
        """GET ``path`` with retries. ``(None, response)`` for 204, and for 404 when
        ``missing_ok`` (a day without a report); otherwise ``(decoded JSON, response)``."""
        attempt = 0
        while True:
            attempt += 1
            can_retry = attempt <= self.max_retries
            self._wait_for_primary_reset(path)
            self._limiter.acquire(self.tenant, bucket, self._on_wait)
            started = time.perf_counter()
            self.requests_made += 1
            try:
                response = self._api.get(path, params=params)
            except httpx.TimeoutException as exc:
                self._log(path, "timeout", started, attempt)
                if can_retry:
                    self._backoff(attempt)
                    continue
                raise CopilotTimeout(
                    f"GitHub did not answer GET {path} after {attempt} attempts", path=path
                ) from exc
            except httpx.TransportError as exc:
                self._log(path, type(exc).__name__, started, attempt)
                if can_retry:
                    self._backoff(attempt)
                    continue
                raise CopilotUnreachable(
                    f"could not reach GitHub for GET {path} ({type(exc).__name__})", path=path
                ) from exc
            except httpx.HTTPError as exc:
                self._log(path, type(exc).__name__, started, attempt)
                raise CopilotUnreachable(
                    f"could not call GitHub for GET {path} ({type(exc).__name__})", path=path
                ) from exc

            status = response.status_code
            self._log(path, status, started, attempt)
            self._note_budget(response)
            if status == 204:
                return None, response
            if 200 <= status < 300:
                try:
                    return json.loads(response.content), response
                except ValueError:
                    raise UpstreamError(
                        f"GitHub returned invalid JSON for GET {path}", status=status, path=path
                    ) from None
            if self._is_rate_limit(response):
                wait, secondary = self._rate_limit_wait(response, attempt)
                if not can_retry or wait > self.max_wait:
                    raise RateLimited(
                        f"GitHub rate-limited GET {path} (HTTP {status}, {'secondary' if secondary else 'primary'} limit)",
                        retry_after=wait,
                        secondary=secondary,
                        status=status,
                        path=path,
                    )
                self._pause(wait, WAIT_RATE_LIMIT)
                continue
            if status >= 500:
                if can_retry:
                    self._backoff(attempt)
                    continue
                raise UpstreamError(
                    f"GitHub answered HTTP {status} to GET {path} after {attempt} attempts{self._message(response)}",
                    status=status,
                    path=path,
                )
            detail = f"GitHub answered HTTP {status} to GET {path}{self._message(response)}"
            if status == 401:
                raise InvalidToken(detail, status=status, path=path)
            if status == 403:
                text = self._message(response).lower()
                cls = PolicyDisabled if ("policy" in text or "disabled" in text) else MissingScope
                raise cls(detail, status=status, path=path)
            if status == 404:
                if missing_ok:
                    return None, response
                raise OrgNotFound(detail, status=status, path=path)
            raise UpstreamError(detail, status=status, path=path)

    def _paged(
        self, path: str, *, bucket: str, items_key: str, per_page: int = 100
    ) -> Iterator[tuple[dict, list]]:
        """Follow ``Link: rel="next"`` from the first page; yields (page body, its items).
        A next link to another host than the API's is refused: it would receive the token."""
        url, params, pages = path, {"per_page": per_page, "page": 1}, 0
        while url:
            pages += 1
            if pages > self.max_pages:
                raise UpstreamError(f"GitHub kept paginating {path} past {self.max_pages} pages", path=path)
            data, response = self._call(url, bucket=bucket, params=params)
            if not isinstance(data, dict) or not isinstance(data.get(items_key), list):
                raise UpstreamError(
                    f"unexpected response shape from {path}: bad or missing {items_key!r}", path=path
                )
            yield data, data[items_key]
            next_url = response.links.get("next", {}).get("url") if response is not None else None
            if next_url and not self._same_origin(next_url):
                raise UpstreamError(f"GitHub's next-page link for {path} points to another host", path=path)
            url, params = next_url, None

    def _same_origin(self, url: str) -> bool:
        a, b = urlsplit(url), urlsplit(self.base_url)
        return (a.scheme, a.netloc) == (b.scheme, b.netloc)

    # -- signed downloads (no token) ----------------------------------------------------------

    def _download(self, url: str) -> bytes:
        """One signed report file, fetched without any GitHub credential."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise UpstreamError("GitHub returned a download link that is not http(s)")
        attempt = 0
        host = urlsplit(url).netloc
        while True:
            attempt += 1
            can_retry = attempt <= self.max_retries
            started = time.perf_counter()
            try:
                response = self._downloads.get(url)
            except httpx.TimeoutException as exc:
                self._log(f"download {host}", "timeout", started, attempt)
                if can_retry:
                    self._backoff(attempt)
                    continue
                raise CopilotTimeout(f"the report host {host} did not answer in time") from exc
            except httpx.HTTPError as exc:
                self._log(f"download {host}", type(exc).__name__, started, attempt)
                if can_retry and isinstance(exc, httpx.TransportError):
                    self._backoff(attempt)
                    continue
                raise CopilotUnreachable(
                    f"could not download a report from {host} ({type(exc).__name__})"
                ) from exc
            status = response.status_code
            self._log(f"download {host}", status, started, attempt)
            if status == 200:
                return response.content
            if status in (401, 403, 404, 410):
                raise LinkExpired(status)
            if (status >= 500 or status == 429) and can_retry:
                self._backoff(attempt)
                continue
            raise UpstreamError(f"the report host {host} answered HTTP {status}", status=status)

    # -- limits, waits, logging ---------------------------------------------------------------

    def _note_budget(self, response: httpx.Response) -> None:
        if response.headers.get("x-ratelimit-remaining", "").strip() == "0":
            seconds = reset_seconds(response.headers)
            if seconds is not None:
                self._exhausted_until = self._clock() + seconds

    def _wait_for_primary_reset(self, path: str) -> None:
        wait = self._exhausted_until - self._clock()
        if wait <= 0:
            return
        if wait > self.max_wait:
            raise RateLimited(
                f"GitHub's hourly request budget is spent; it resets in {int(wait)} s",
                retry_after=wait,
                path=path,
            )
        self._exhausted_until = 0.0
        self._pause(wait, WAIT_RATE_LIMIT)

    @staticmethod
    def _is_rate_limit(response: httpx.Response) -> bool:
        if response.status_code == 429:
            return True
        if response.status_code != 403:
            return False
        headers = response.headers
        if headers.get("retry-after") or headers.get("x-ratelimit-remaining", "").strip() == "0":
            return True
        return "rate limit" in response.text[:500].lower()

    def _rate_limit_wait(self, response: httpx.Response, attempt: int) -> tuple[float, bool]:
        """(seconds to wait, whether it is a secondary limit), per docs/copilot-api.md §1.3."""
        headers = response.headers
        primary = headers.get("x-ratelimit-remaining", "").strip() == "0" and not headers.get("retry-after")
        secondary = not primary
        if headers.get("retry-after"):
            hint = retry_after_seconds(httpx.Headers({"Retry-After": headers["retry-after"]}))
            if hint is not None:
                return hint, secondary
        if headers.get("x-ratelimit-remaining", "").strip() == "0":
            hint = reset_seconds(headers)
            if hint is not None:
                self._exhausted_until = 0.0  # waited for here, not again before the retry
                return hint, secondary
        return SECONDARY_MIN_WAIT * 2 ** (attempt - 1), secondary

    def _pause(self, seconds: float, reason: str) -> None:
        if self._on_wait is not None:
            self._on_wait(seconds, reason)
        self._sleep(seconds)

    def _backoff(self, attempt: int) -> None:
        self._pause(full_jitter(attempt, BACKOFF_BASE), WAIT_RETRY)

    def _message(self, response: httpx.Response) -> str:
        """GitHub's ``message``, short and scrubbed of the token."""
        try:
            body = json.loads(response.content)
        except ValueError:
            return ""
        text = body.get("message") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return ""
        return ": " + " ".join(text.split())[:200].replace(self._secret, "[token]")

    def _log(self, path: str, status, started: float, attempt: int) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        logger.info(
            "copilot api GET %s -> %s in %.0f ms (attempt %d)",
            path.split("?")[0],
            status,
            duration_ms,
            attempt,
            extra={
                "copilot_path": path.split("?")[0],
                "copilot_status": status,
                "copilot_tenant": self.tenant[:12],
            },
        )
