"""The seeded team tree (tests/people/conftest.py: Acme's dev0..dev7, Platform led by
lead@acme.test), its five personas with API tokens, and a pinned clock for pages and API."""

import pytest
from django.test import Client

from koalr.accounts import services
from koalr.accounts.models import Membership
from tests.factories import MembershipFactory
from tests.people.conftest import END, START, lead_user, tree  # noqa: F401  (fixtures)

RANGE = {"start": START.isoformat(), "end": END.isoformat()}
PAGE_RANGE = {"range": "custom", **RANGE}
PERSONAS = ("owner", "admin", "lead", "member", "outsider")


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    """Today is END for every page and endpoint that reads the clock."""
    for target in (
        "web.views._today",
        "web.views_teams._today",
        "web.tools_views._today",
        "api.views.spend_review._today",
        "api.views.tools._today",
    ):
        monkeypatch.setattr(target, lambda: END)


@pytest.fixture
def personas(org, owner, admin_user, lead_user, outsider, tree):  # noqa: F811  (pytest fixtures)
    # The plain member is Cursor member dev3 (in Apps): their own figures are theirs to see.
    me = MembershipFactory(organization=org, role=Membership.Role.MEMBER, user__email="dev3@acme.test").user
    return {"owner": owner, "admin": admin_user, "lead": lead_user, "member": me, "outsider": outsider}


@pytest.fixture
def api(personas, org, other_org):
    """api(persona) → a client with that persona's token (the outsider's is Globex's); api(None):
    no token at all."""

    def client(persona):
        if persona is None:
            return Client()
        home = other_org if persona == "outsider" else org
        _, raw = services.create_api_token(organization=home, user=personas[persona])
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return client


@pytest.fixture
def page(personas):
    """page(persona) → a signed-in browser client."""

    def client(persona):
        c = Client()
        c.force_login(personas[persona])
        return c

    return client
