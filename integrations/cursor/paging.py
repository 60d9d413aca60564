"""What every Cursor endpoint family shares on top of ``CursorHttp``: paging and record parsing.

``PagedHttp._paged`` follows one paginated listing to its end (every envelope variant, with a
hard cap on pages) and parses each record; a malformed record is logged, counted in
``skipped_records`` and skipped. A response without the expected list is an ``UpstreamError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .errors import UpstreamError
from .http import CursorHttp, logger
from .parsing import RECORD_ERRORS, has_next_page


class PagedHttp(CursorHttp):
    """Base of the client's API mixins (``AdminApi``, ``AnalyticsApi``, ``AiCodeApi``)."""

    # Hard cap on pages in one paginated listing (one window); beyond it Cursor is misbehaving.
    # 10,000 pages of 1,000 events is far more than any team produces in 30 days.
    max_pages = 10_000

    def __init__(self, api_key: str, **options) -> None:
        """Options as `CursorHttp`: base_url, timeout, max_retries, limiter, sleep, transport,
        on_wait."""
        super().__init__(api_key, **options)
        self.skipped_records = 0  # malformed records skipped, each logged once

    def _paged(
        self,
        method: str,
        path: str,
        *,
        family: str,
        items_key: str,
        parse: Callable,
        what: str,
        page_size: int,
        body: dict | None = None,
        params: dict | None = None,
        plan_gated: bool = False,
    ) -> Iterator:
        page = 1
        fetched = 0
        while True:
            self._check_page_cap(page, path)
            if body is not None:
                data, _ = self._call(
                    method,
                    path,
                    family=family,
                    json={**body, "page": page, "pageSize": page_size},
                    plan_gated=plan_gated,
                )
            else:
                data, _ = self._call(
                    method,
                    path,
                    family=family,
                    params={**params, "page": page, "pageSize": page_size},
                    plan_gated=plan_gated,
                )
            items = self._items(data, items_key, path)
            yield from self._parse_each(items, parse, what, path)
            fetched += len(items)
            if not self._more(data, page, page_size, len(items), fetched, path):
                return
            page += 1

    def _parse_each(self, items: list, parse: Callable, what: str, path: str) -> Iterator:
        for i, raw in enumerate(items):
            try:
                record = parse(raw)
            except RECORD_ERRORS as exc:
                self._skip(what, path, i, exc)
                continue
            yield record

    def _skip(self, what: str, path: str, index: int, exc: Exception) -> None:
        # Log the error class and the missing field only: records hold emails, never secrets,
        # but there is no need to copy them into logs.
        self.skipped_records += 1
        detail = exc.args[0] if isinstance(exc, KeyError) and exc.args else type(exc).__name__
        logger.warning(
            "cursor api: skipped malformed %s #%d from %s (%s)",
            what,
            index,
            path,
            detail,
            extra={"cursor_path": path, "cursor_team": self.team_id[:12]},
        )

    def _items(self, data: dict, key: str, path: str) -> list:
        items = data.get(key)
        if items.__class__ is not list:
            raise self._shape_error(path, key)
        return items

    def _more(self, data: dict, page: int, size: int, n: int, fetched: int, path: str) -> bool:
        try:
            return has_next_page(data, page, size, n, fetched)
        except RECORD_ERRORS:
            raise self._shape_error(path, "pagination") from None

    def _check_page_cap(self, page: int, path: str) -> None:
        if page > self.max_pages:
            raise UpstreamError(
                f"Cursor kept paginating {path} past {self.max_pages} pages",
                path=path,
            )

    def _shape_error(self, path: str, key: str) -> UpstreamError:
        return UpstreamError(f"unexpected response shape from {path}: bad or missing {key!r}", path=path)
