"""The AI Code Tracking API methods of ``CursorClient``: AI commits and changes (Enterprise)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from .paging import PagedHttp
from .parsing import parse_ai_change, parse_ai_commit
from .records import AiChange, AiCommit
from .windows import as_date, day_windows

AI_CODE_PAGE_SIZE = 1000  # documented maximum


class AiCodeApi(PagedHttp):
    """The ``/analytics/ai-code/*`` endpoints."""

    def ai_code_commits(self, start: date, end: date) -> Iterator[AiCommit]:
        """AI-attributed commits in ``start..end`` (inclusive UTC days), windows of ≤30 days."""
        yield from self._ai_code("commits", start, end, parse_ai_commit, "AI commit")

    def ai_code_changes(self, start: date, end: date) -> Iterator[AiChange]:
        """Accepted AI changes in ``start..end`` (inclusive UTC days), windows of ≤30 days."""
        yield from self._ai_code("changes", start, end, parse_ai_change, "AI change")

    def _ai_code(self, endpoint: str, start, end, parse, what) -> Iterator:
        for first, last in day_windows(as_date(start), as_date(end)):
            yield from self._paged(
                "GET",
                f"/analytics/ai-code/{endpoint}",
                family=f"ai_code:{endpoint}",  # Cursor limits AI Code Tracking per endpoint
                items_key="items",
                parse=parse,
                what=what,
                page_size=AI_CODE_PAGE_SIZE,
                params={"startDate": first.isoformat(), "endDate": last.isoformat()},
                plan_gated=True,
            )
