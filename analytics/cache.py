"""Caching of the costliest dashboard reads, keyed by a version of the data they derive from.

Rollups only change when a sync refreshes them (hourly), while the dashboard is read far
more often. `data_version` is one cheap query whose answer changes whenever the inputs of
these reads change: a refresh deletes and re-inserts rollup rows (new ids, new count),
the member sync bumps CursorMember.updated_at, the spend sync re-captures snapshots
(captured_at). A cached value is therefore never served for data that has changed; old
versions simply age out. Keys always include the organization id.
"""

import hashlib

from django.core.cache import cache
from django.db import connection

from .models import CursorMember, OrgDailyRollup, SpendSnapshot

TIMEOUT = 60 * 60 * 2


def data_version(org) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT (SELECT MAX(id) FROM {OrgDailyRollup._meta.db_table} WHERE organization_id = %(org)s),
                   (SELECT COUNT(*) FROM {OrgDailyRollup._meta.db_table} WHERE organization_id = %(org)s),
                   (SELECT MAX(updated_at) FROM {CursorMember._meta.db_table} WHERE organization_id = %(org)s),
                   (SELECT MAX(captured_at) FROM {SpendSnapshot._meta.db_table} WHERE organization_id = %(org)s)
            """,
            {"org": org.pk},
        )
        return "|".join(str(v) for v in cursor.fetchone())


def cached(org, version: str, name: str, parts, compute):
    """`compute()`, memoised under (organization, data version, name, parts)."""
    digest = hashlib.sha256(repr((version, tuple(parts))).encode()).hexdigest()[:32]
    key = f"analytics:{org.pk}:{name}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value
