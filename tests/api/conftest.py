"""Fixtures for the REST API tests: personal tokens and clients per persona and auth mode."""

import pytest
from django.core.cache import cache
from django.test import Client

from koalr.accounts import services


@pytest.fixture(autouse=True)
def _fresh_throttle_budget():
    # Throttle counters live in the cache; each test starts with a full budget.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_token(db):
    """make_token(user, organization, name="") -> clear token string."""

    def make(user, organization, name=""):
        _, raw = services.create_api_token(organization=organization, user=user, name=name)
        return raw

    return make


def bearer_client(raw_token):
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")


@pytest.fixture(params=["token", "session"])
def persona_client(request, org, other_org, owner, admin_user, member_user, outsider, make_token):
    """persona_client("admin"|"owner"|"member"|"outsider") authenticated by token or session.

    Each persona's token belongs to their own organization (the outsider's to Globex).
    """
    users = {"owner": owner, "admin": admin_user, "member": member_user, "outsider": outsider}

    def make(persona):
        user = users[persona]
        if request.param == "token":
            home = other_org if persona == "outsider" else org
            return bearer_client(make_token(user, home))
        client = Client()
        client.force_login(user)
        return client

    make.mode = request.param
    return make


# Expected status per persona for endpoints every member may read, and for owner/admin ones.
EVERY_MEMBER = {"owner": 200, "admin": 200, "member": 200, "outsider": 404}
ADMINS_ONLY = {"owner": 200, "admin": 200, "member": 403, "outsider": 404}
