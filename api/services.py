"""Writes behind the API: starting a Cursor sync through the one integrations service."""

from integrations import services as integrations
from integrations.models import SyncRun
from integrations.selectors import cursor_connection


class SyncRefused(Exception):
    """No sync can start: Cursor is not connected, or its key was rejected (409)."""


NOT_CONNECTED = (
    "Cursor is not connected for this organization: an admin connects it in Settings → Integrations first."
)


def start_cursor_sync(*, organization, actor) -> SyncRun:
    """The run the API answers 202 with: a new one, or the one already queued or running
    (API callers never stack syncs). A rejected key pauses every sync until it is replaced,
    here as on the Settings page."""
    connection = cursor_connection(organization)
    if connection is None:
        raise SyncRefused(NOT_CONNECTED)
    try:
        return integrations.trigger_sync(connection, actor, trigger=SyncRun.Trigger.API)
    except integrations.SyncAlreadyRunning as exc:
        return exc.run
    except integrations.SyncsPaused as exc:
        raise SyncRefused(str(exc)) from None
