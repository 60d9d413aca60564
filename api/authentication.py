"""Bearer-token authentication for the REST API.

A token is looked up by its SHA-256 hash only; the clear token never reaches the database,
a log line or an exception message. A token works while it is not revoked AND its creator is
still a member of the token's organization: removing someone from the organization silences
their tokens at once, without a separate revoke.
"""

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone
from rest_framework import authentication, exceptions

from koalr.accounts.models import ApiToken, Membership, hash_token

KEYWORD = "Bearer"
# Writing last_used_at on every call would turn each read into a write; once a minute is
# precise enough for "last used" and keeps hot tokens cheap.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer koalr_…` → (token creator, ApiToken)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: let session authentication try
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
