"""Writes behind the API: start a sync."""

from integrations.cursor.sync import start_sync
from integrations.models import Connection, Provider, SyncRun


class NotConnected(Exception):
    """The organization has no Cursor connection to sync."""


def start_cursor_sync(*, organization, actor) -> SyncRun:
    connection = Connection.objects.filter(organization=organization, provider=Provider.CURSOR).first()
    if connection is None:
        raise NotConnected(
            "Cursor is not connected for this organization: an admin connects it in "
            "Settings → Integrations first."
        )
    # Returns the run already queued or running, if any: API callers never stack syncs.
    return start_sync(connection, trigger=SyncRun.Trigger.API, actor=actor)
