"""Sync settings the pages state in words (so the text follows the configuration)."""

from django import template
from django.conf import settings

from integrations.freshness import beat_scheduled

register = template.Library()


@register.simple_tag
def cursor_lookback_days() -> int:
    """How many recent days each Cursor sync fetches again (CURSOR_SYNC_LOOKBACK_DAYS)."""
    return settings.CURSOR_SYNC_LOOKBACK_DAYS


@register.simple_tag
def sync_schedule_words(verb: str = "Syncing") -> str:
    """ "Syncing every hour" where a beat schedules syncs; the truth in the embedded mode."""
    if beat_scheduled():
        return f"{verb} every hour"
    return "No scheduled sync in this mode (run the tool's sync command to update)"
