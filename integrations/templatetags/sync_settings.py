"""Sync settings the pages state in words (so the text follows the configuration)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def cursor_lookback_days() -> int:
    """How many recent days each Cursor sync fetches again (CURSOR_SYNC_LOOKBACK_DAYS)."""
    return settings.CURSOR_SYNC_LOOKBACK_DAYS
