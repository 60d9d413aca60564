"""Caching of the costliest dashboard reads, keyed by a version of the data they derive from.

Rollups only change when a sync refreshes them (hourly), while the dashboard is read far
more often. `data_version` is one cheap query whose answer changes whenever the inputs of
these reads change: a refresh deletes and re-inserts rollup rows (new ids, new count),
the member sync bumps CursorMember.updated_at, the spend sync re-captures snapshots
(captured_at). A cached value is therefore never served for data that has changed; old
versions simply age out. Keys always include the organization id.

The cache is an optimisation, never a dependency: if it fails (Redis down), reads go straight
to the database with a logged warning.
"""

import hashlib
import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import connection

from . import selectors
from .defaults import DEFAULT_RANGE_DAYS, MEMBER_DEFAULT_SORT, PAGE_SIZE
from .models import CursorMember, OrgDailyRollup, SpendSnapshot

logger = logging.getLogger(__name__)

TIMEOUT = 60 * 60 * 2


def data_version(org) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT (SELECT MAX(id) FROM {OrgDailyRollup._meta.db_table} WHERE organization_id = %(org)s),
                   (SELECT COUNT(*) FROM {OrgDailyRollup._meta.db_table} WHERE organization_id = %(org)s),
                   (SELECT MAX(updated_at) FROM {CursorMember._meta.db_table} WHERE organization_id = %(org)s),
                   (SELECT MAX(captured_at) FROM {SpendSnapshot._meta.db_table} WHERE organization_id = %(org)s)
            """,  # nosec B608  # identifiers from model metadata and code constants; every value is a bound parameter
            {"org": org.pk},
        )
        return "|".join(str(v) for v in cursor.fetchone())


def cached(org, version: str, name: str, parts, compute):
    """`compute()`, memoised under (organization, data version, name, parts)."""
    digest = hashlib.sha256(repr((version, tuple(parts))).encode()).hexdigest()[:32]
    key = f"analytics:{org.pk}:{name}:{digest}"
    try:
        value = cache.get(key)
    except Exception as exc:  # redis-py's ConnectionError, TimeoutError …: any backend failure
        logger.warning("analytics cache unavailable (%s); reading %s through", type(exc).__name__, name)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, TIMEOUT)
        except Exception as exc:
            logger.warning("analytics cache unavailable (%s); %s not stored", type(exc).__name__, name)
    return value


# The two reads worth caching. Views and the post-sync warm-up both go through these, so
# they share one key.


def headline(org, version: str, start, end, *, member=None, model=None, model_daily=None) -> dict:
    """`model_daily`: per (day, model) rows the caller already read (see selectors.headline);
    the figures are the same with or without them, so they are not part of the key."""
    return cached(
        org,
        version,
        "headline",
        (start, end, getattr(member, "pk", None), model),
        lambda: selectors.headline(org, start, end, member=member, model=model, model_daily=model_daily),
    )


def member_table_page(org, version: str, start, end, *, sort: str, number: int, page_size: int):
    return cached(
        org,
        version,
        "member_table",
        (start, end, sort, number, page_size),
        lambda: selectors.member_usage_page(org, start, end, sort=sort, page=number, page_size=page_size),
    )


def warm_default_views(org, today) -> None:
    """Compute what the dashboard's default view reads, right after a sync refreshed the data.

    At 5,000 seats these two reads take ~250 ms cold; warming them here keeps the first view
    after each hourly sync as fast as the rest (bench/dashboard_bench.py).
    """
    start = today - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    version = data_version(org)
    headline(org, version, start, today)
    member_table_page(org, version, start, today, sort=MEMBER_DEFAULT_SORT, number=1, page_size=PAGE_SIZE)
