"""Bearer-token authentication for the REST API.

A token is looked up by its SHA-256 hash only; the clear token never reaches the database,
a log line or an exception message. A token works while it is not revoked AND its creator is
still a member of the token's organization: removing someone from the organization silences
their tokens at once, without a separate revoke.

Failed authentications are counted per client address (django-ratelimit, in the cache): past
`API_AUTH_FAILURE_RATE` the address gets 429 with Retry-After until the window ends. This is
separate from the per-token request throttle in throttling.py, which only sees valid tokens.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from rest_framework import authentication, exceptions

from koalr.accounts.client_ip import ratelimit_key
from koalr.accounts.models import ApiToken, Membership, hash_token
from koalr.accounts.throttling import usage

KEYWORD = "Bearer"
# Writing last_used_at on every call would turn each read into a write; once a minute is
# precise enough for "last used" and keeps hot tokens cheap.
LAST_USED_RESOLUTION = timedelta(minutes=1)
FAILURES = "api-auth-failures"


class TooManyFailures(exceptions.Throttled):
    default_detail = "Too many failed authentications from this address."


def _failures(request, *, increment: bool) -> dict | None:
    """Failed bearer authentications from this client address (`API_AUTH_FAILURE_RATE`)."""
    return usage(
        getattr(request, "_request", request),
        group=FAILURES,
        key=ratelimit_key,
        rate=settings.API_AUTH_FAILURE_RATE,
        increment=increment,
    )


def _refuse_if_over(found: dict | None) -> None:
    if found and found["should_limit"]:
        raise TooManyFailures(wait=max(1, found["time_left"]))


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer koalr_…` → (token creator, ApiToken)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: let session authentication try
        # An address that failed too often is refused before any lookup, the right token
        # included: otherwise guessing would go on and a 200 would tell the guess was good.
        _refuse_if_over(_failures(request, increment=False))
        try:
            return self._authenticate_header(header)
        except exceptions.AuthenticationFailed:
            _refuse_if_over(_failures(request, increment=True))
            raise

    def _authenticate_header(self, header):
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        return self.authenticate_token(raw)

    def authenticate_token(self, raw: str):
        creator_is_member = Membership.objects.filter(
            user_id=OuterRef("user_id"), organization_id=OuterRef("organization_id")
        )
        token = (
            ApiToken.objects.active()
            .select_related("user", "organization")
            .filter(token_hash=hash_token(raw), user__is_active=True)
            .filter(Exists(creator_is_member))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        self._touch(token)
        return token.user, token

    @staticmethod
    def _touch(token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 to anonymous calls.
        return f'{KEYWORD} realm="api"'
