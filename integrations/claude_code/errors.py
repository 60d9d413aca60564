"""Typed errors raised by the Claude Code client (reference: docs/claude-code-api.md §2.2).

Messages are built from the status, the request path and Anthropic's own error ``type`` and
``message``, never from the key or the request headers, so ``str(exc)`` is safe to log.
``user_message`` says, in plain words, what the person connecting has to change.
"""

from __future__ import annotations


class ClaudeCodeError(Exception):
    """Base class for everything the Claude Code client raises."""

    default_user_message = "Anthropic's API returned an error. Please try again later."

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        path: str | None = None,
        error_type: str = "",
        user_message: str | None = None,
    ) -> None:
        self.status = status
        self.path = path
        self.error_type = error_type
        self.user_message = user_message or self.default_user_message
        super().__init__(message or self.user_message)

    def __reduce__(self):  # keep the attributes when Celery pickles the exception
        return (_rebuild, (type(self), self.args, self.__dict__))


class InvalidKey(ClaudeCodeError):
    """401 authentication_error: the key is malformed, revoked or expired. Never retried."""

    default_user_message = (
        "Anthropic rejected the key (401). Check that it was copied whole and has not been revoked."
    )


class WrongKeyType(ClaudeCodeError):
    """The key is of the other kind than the chosen source needs (§1: keys are not
    interchangeable). Raised before any request when the prefix shows it."""

    default_user_message = "This key cannot call the API of the chosen source."


class NotAdminKey(WrongKeyType):
    """A Console source with a key that is not an Admin API key, or one Anthropic refuses on
    the Admin API (403 permission_error)."""

    default_user_message = (
        "The Console source needs an Admin API key (it starts with sk-ant-admin01-), created by a "
        "member with the admin role under Console → Settings → Admin keys. A regular API key "
        "(sk-ant-api03-…) cannot read usage reports."
    )


class MissingScope(ClaudeCodeError):
    """403 permission_error from the Enterprise Analytics API: the key lacks ``read:analytics``.
    ``anthropic_message`` is Anthropic's text listing the key's scopes and the needed ones."""

    default_user_message = (
        "The Analytics API key lacks the read:analytics scope. Scopes are fixed when a key is "
        "created: the Primary Owner must create a new key with read:analytics "
        "(claude.ai → Organization settings → API)."
    )

    def __init__(self, message: str = "", *, anthropic_message: str = "", **kwargs) -> None:
        self.anthropic_message = anthropic_message
        super().__init__(message, **kwargs)


class NotAvailableYet(ClaudeCodeError):
    """400 for a day Anthropic has not aggregated yet (Enterprise: "names the most recent
    available day"): not a failure, the day is asked again later."""

    default_user_message = "Anthropic has no data for this day yet."


class CursorExpired(ClaudeCodeError):
    """410: a pagination cursor expired after a data refresh; restart from page 1 (§5.6)."""


class RateLimited(ClaudeCodeError):
    """429 (or 529 overloaded) after the retries were used up, or a wait longer than the client
    may sleep. ``retry_after`` is the server's hint in seconds (None if it sent none)."""

    default_user_message = "Anthropic is rate-limiting requests. The sync will continue shortly."

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class Overloaded(RateLimited):
    """529 overloaded_error after the retries."""

    default_user_message = "Anthropic's API is overloaded. The sync will continue shortly."


class UpstreamError(ClaudeCodeError):
    """A 5xx after the retries, another unexpected status, invalid JSON or an unexpected shape."""

    default_user_message = "Anthropic's API returned an unexpected response. Please try again later."


class Unreachable(ClaudeCodeError):
    """No HTTP answer: DNS, connection or TLS failure."""

    default_user_message = "Could not reach Anthropic's API. Please try again later."


class Timeout(Unreachable):
    default_user_message = "Anthropic's API did not answer in time. Please try again later."


def _rebuild(cls, args, state):
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc
