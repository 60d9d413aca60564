"""Typed errors raised by the Cursor API client.

Every message here is built from the HTTP status, the request path and Cursor's own error
text; never from the API key or the request headers. ``str(exc)`` is therefore safe to log,
and ``exc.user_message`` is plain wording meant for the connect / sync screens.
"""

from __future__ import annotations


class CursorError(Exception):
    """Base class for everything the Cursor client raises."""

    default_user_message = "Cursor's API returned an error. Please try again later."

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        path: str | None = None,
        user_message: str | None = None,
    ) -> None:
        self.status = status
        self.path = path
        self.user_message = user_message or self.default_user_message
        super().__init__(message or self.user_message)

    def __reduce__(self):
        # Keep status/user_message (and retry_after) when Celery pickles the exception;
        # the default Exception pickling only replays positional args.
        return (_rebuild, (type(self), self.args, self.__dict__))


class InvalidApiKey(CursorError):
    """401 on an Admin endpoint: the key is wrong, revoked or lacks the admin scope."""

    default_user_message = (
        "Cursor rejected the API key. Check that it is a current Admin API key "
        "(it starts with crsr_ or key_) and that it has not been revoked."
    )


class PlanRequired(CursorError):
    """403 anywhere, or 401 on an Enterprise-only family (Analytics, AI Code Tracking)."""

    default_user_message = "This part of Cursor's API is only available to teams on the Enterprise plan."


class RateLimited(CursorError):
    """429 after the client's retries were used up.

    ``retry_after`` is the server's hint in seconds (from Retry-After or X-RateLimit-Reset),
    or None when the server sent none.
    """

    default_user_message = "Cursor is rate-limiting requests. The sync will try again shortly."

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class UpstreamError(CursorError):
    """Cursor answered, but with a 5xx, invalid JSON, an unexpected shape or an unexpected 4xx."""

    default_user_message = "Cursor's API returned an unexpected response. Please try again later."


class CursorUnreachable(CursorError):
    """The request never got an HTTP answer: DNS, connection or TLS failure, or a timeout."""

    default_user_message = "Could not reach Cursor's API. Please try again later."


class CursorTimeout(CursorUnreachable):
    """Cursor did not answer within the client's timeout."""

    default_user_message = "Cursor's API did not answer in time. Please try again later."


def _rebuild(cls, args, state):
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc
