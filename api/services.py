"""Writes behind the API: starting a Cursor sync through the integrations service."""

from integrations import services as integrations
from integrations.cursor import sync as cursor_sync
from integrations.models import Connection, Provider, SyncRun

from . import selectors


class NotConnected(Exception):
    """The organization has no Cursor connection to sync."""


def start_cursor_sync(*, organization, actor) -> SyncRun:
    """The run the API answers 202 with: a new one, or the one already queued or running.

    `trigger_sync` refuses when a sync is active or the key is paused. API v1 has always
    answered 202 with a run in both cases, so its refusals are mapped back to that.
    """
    connection = Connection.objects.filter(organization=organization, provider=Provider.CURSOR).first()
    if connection is None:
        raise NotConnected(
            "Cursor is not connected for this organization: an admin connects it in "
            "Settings → Integrations first."
        )
    try:
        return integrations.trigger_sync(connection, actor, trigger=SyncRun.Trigger.API)
    except integrations.SyncNotAllowed:
        if connection.syncs_paused:
            # The API still queues a sync on a rejected key, as it always has: a run that
            # succeeds lifts the pause, so API callers can retry after a transient 401.
            return cursor_sync.start_sync(connection, trigger=SyncRun.Trigger.API, actor=actor)
        # Already queued or running: API callers never stack syncs and get that run back
        # (or, if it finished a moment ago, the run as it ended).
        runs = selectors.sync_runs(organization)
        return runs.filter(status__in=SyncRun.ACTIVE_STATUSES).first() or runs.first()
