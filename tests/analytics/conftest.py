"""Helpers for the analytics page tests: read figures back out of rendered pages."""

import csv
import io
import json
import re
from html import unescape

import pytest

from tests.fixtures.analytics_data import seed_usage


def stat_value(html: str, key: str) -> str:
    """The displayed value of the headline card `data-stat="key"`."""
    match = re.search(
        r'data-stat="' + re.escape(key) + r'">.*?class="stat-value">(.*?)</div>', html, flags=re.S
    )
    assert match, f"no stat card {key!r}"
    return unescape(match.group(1).strip())


def figure(html: str, element_id: str) -> dict:
    match = re.search(
        r'<script id="' + re.escape(element_id) + r'" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no figure {element_id!r}"
    return json.loads(match.group(1))


def trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t.get("name") == name)


def csv_rows(response) -> list[dict]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def dollars(cents) -> str:
    return f"${cents / 100:,.2f}"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached dashboard reads must never carry over between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def acme(org, other_org):
    """Acme with 8 Cursor members (one idle) and 40 days of usage; Globex seeded too so a
    leak across organizations would show up in Acme's numbers."""
    roster = seed_usage(org, members=8, days=40, seed=11)
    seed_usage(other_org, members=3, days=40, seed=12)
    return roster
