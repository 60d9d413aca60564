"""Typed errors raised by the GitHub Copilot client (reference: docs/copilot-api.md §1.5).

Messages are built from the status, the request path and GitHub's own ``message`` text, never
from the token or the request headers, so ``str(exc)`` is safe to log. ``user_message`` says, in
plain words, what the person connecting has to change (which scope, role or policy).
"""

from __future__ import annotations


class CopilotError(Exception):
    """Base class for everything the Copilot client raises."""

    default_user_message = "GitHub's API returned an error. Please try again later."

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

    def __reduce__(self):  # keep the attributes when Celery pickles the exception
        return (_rebuild, (type(self), self.args, self.__dict__))


class InvalidToken(CopilotError):
    """401: the token is wrong, expired or revoked. Never retried."""

    default_user_message = (
        "GitHub rejected the token (401 Bad credentials). Check that it was copied whole, "
        "has not expired and has not been revoked."
    )


class MissingScope(CopilotError):
    """403 that is not a rate limit: the token or its owner lacks a scope, permission or role."""

    default_user_message = (
        "GitHub refused access (403). A classic token needs the manage_billing:copilot scope "
        "(or read:org for an organization, read:enterprise for an enterprise); a fine-grained "
        "token needs “GitHub Copilot Business” (read) and “Organization Copilot metrics” (read). "
        "Its owner must be an organization owner (or enterprise owner / billing manager)."
    )


class PolicyDisabled(CopilotError):
    """403 whose message says the "Copilot usage metrics" policy is off."""

    default_user_message = (
        "GitHub says the “Copilot usage metrics” policy is disabled. An enterprise owner must set "
        "it to “Enabled everywhere” (Enterprise → Policies → Copilot); an organization without an "
        "enterprise sets it under Organization settings → Copilot → Policies."
    )


class OrgNotFound(CopilotError):
    """404 on an organization-level endpoint: no such slug, or the token may not see it (GitHub
    answers 404 for both)."""

    default_user_message = (
        "GitHub found no such organization or enterprise for this token (404). Check the slug, that "
        "Copilot Business or Enterprise is enabled there, and that the token's owner is an owner of it "
        "(GitHub hides what a token may not see)."
    )


class RateLimited(CopilotError):
    """403/429 rate limit after the retries were used up, or a wait longer than the client may
    sleep. ``retry_after`` is the server's hint in seconds (None if it sent none); ``secondary``
    tells a secondary (abuse) limit from the hourly primary one."""

    default_user_message = "GitHub is rate-limiting requests. The sync will continue shortly."

    def __init__(
        self, message: str = "", *, retry_after: float | None = None, secondary: bool = False, **kwargs
    ) -> None:
        self.retry_after = retry_after
        self.secondary = secondary
        super().__init__(message, **kwargs)


class UpstreamError(CopilotError):
    """GitHub answered with a 5xx, an unexpected status, invalid JSON or an unexpected shape."""

    default_user_message = "GitHub's API returned an unexpected response. Please try again later."


class DownloadFailed(UpstreamError):
    """A signed report link could not be downloaded even after asking GitHub for fresh links."""

    default_user_message = "A Copilot report file could not be downloaded. The sync will try again."


class CopilotUnreachable(CopilotError):
    """No HTTP answer: DNS, connection or TLS failure."""

    default_user_message = "Could not reach GitHub's API. Please try again later."


class CopilotTimeout(CopilotUnreachable):
    default_user_message = "GitHub's API did not answer in time. Please try again later."


def _rebuild(cls, args, state):
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc
