"""Helpers shared by the Copilot simulator tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx


def github(sim, token, **headers) -> httpx.Client:
    """A client speaking to the API host the way a GitHub client does."""
    base = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2026-03-10",
        "Authorization": f"Bearer {token}",
    }
    base.update(headers)
    return httpx.Client(base_url=sim.url, headers=base, timeout=10)


def download(links: list[str]) -> list[dict]:
    """Every record of a report: each link fetched with a bare client (no GitHub headers),
    the files concatenated, one JSON document per non-empty line."""
    records = []
    with httpx.Client(timeout=10) as plain:
        for link in links:
            response = plain.get(link)
            assert response.status_code == 200, response.text
            records.extend(json.loads(line) for line in response.text.splitlines() if line)
    return records


# Moments the date logic must hold at: month ends of 31, 30 and 28 days, the first of a month,
# the turn of the year, a leap day and the day after it, right after midnight and right before.
CALENDAR_EDGES = [
    datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
    datetime(2026, 4, 30, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 6, 1, 0, 5, tzinfo=UTC),
    datetime(2026, 11, 30, 9, 5, tzinfo=UTC),
    datetime(2026, 12, 1, 9, 5, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC),
    datetime(2027, 2, 28, 12, 0, tzinfo=UTC),
    datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    datetime(2028, 3, 1, 0, 5, tzinfo=UTC),
]
