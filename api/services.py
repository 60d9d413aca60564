"""Writes behind the API and its token pages: create/revoke personal tokens, start a sync."""

from django.db import transaction
from django.utils import timezone

from integrations.cursor.sync import start_sync
from integrations.models import Connection, Provider, SyncRun
from koalr.accounts.models import ApiToken, Membership

from .selectors import manageable_tokens

PREFIX_LENGTH = 12  # "koalr_" + 6 random characters: enough to recognise, useless to attack


class NotAMember(Exception):
    pass


class NotConnected(Exception):
    """The organization has no Cursor connection to sync."""


def create_api_token(*, organization, user, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user` in `organization`. Returns (row, clear token); only the hash is kept.

    The clear token must be shown to its owner once and never stored or logged.
    """
    if not Membership.objects.filter(organization=organization, user=user).exists():
        raise NotAMember(f"{user} is not a member of {organization}.")
    raw, digest = ApiToken.new_token()
    token = ApiToken.objects.create(
        organization=organization,
        user=user,
        name=name.strip()[: ApiToken._meta.get_field("name").max_length],
        token_hash=digest,
        prefix=raw[:PREFIX_LENGTH],
    )
    return token, raw


def revoke_api_token(*, membership, token_id: int) -> ApiToken:
    """Revoke a token `membership` may manage; ApiToken.DoesNotExist (→ 404) otherwise.

    Revoking twice is harmless: the first revocation time is kept.
    """
    with transaction.atomic():
        token = manageable_tokens(membership).select_for_update(of=("self",)).get(pk=token_id)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def start_cursor_sync(*, organization, actor) -> SyncRun:
    connection = Connection.objects.filter(organization=organization, provider=Provider.CURSOR).first()
    if connection is None:
        raise NotConnected(
            "Cursor is not connected for this organization: an admin connects it in "
            "Settings → Integrations first."
        )
    # Returns the run already queued or running, if any: API callers never stack syncs.
    return start_sync(connection, trigger=SyncRun.Trigger.API, actor=actor)
