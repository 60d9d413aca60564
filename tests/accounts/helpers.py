import html


def text(response) -> str:
    """The page as a user reads it (entities unescaped), for asserting on messages."""
    return html.unescape(response.content.decode())
