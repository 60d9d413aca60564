import html
import re

from django.utils.html import strip_tags


def text(response) -> str:
    """The page as a user reads it (tags stripped, entities unescaped, spaces collapsed)."""
    return re.sub(r"\s+", " ", html.unescape(strip_tags(response.content.decode())))
