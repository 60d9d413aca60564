import re

import pytest
from django.core import mail
from django.test import Client

from koalr.accounts import services
from koalr.accounts.models import Membership

ACCEPT_LINK = re.compile(r"https?://[^\s]+/accounts/invite/([A-Za-z0-9_\-]+)/")


def token_from_last_email():
    """The invite token, read from the accept link in the last email sent."""
    match = ACCEPT_LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


@pytest.fixture
def owner_membership(owner, org):
    return Membership.objects.get(user=owner, organization=org)


@pytest.fixture
def make_invite(owner_membership):
    """Invite through the real service; returns (invite, token) as the email carries it."""

    def make(email="new@acme.test", role=Membership.Role.MEMBER, actor=None):
        invite = services.invite(
            actor=actor or owner_membership,
            email=email,
            role=role,
            build_absolute_uri=lambda path: f"http://testserver{path}",
        )
        return invite, token_from_last_email()

    return make


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client
