"""Shared fixtures: an organization with its three personas (admin, member, outsider)."""

import pytest

from koalr.accounts.models import Membership

from .factories import MembershipFactory, OrganizationFactory

# Fixture modules contributed by each area (the Cursor simulator, analytics data …).
pytest_plugins = ["tests.fixtures.analytics_data", "tests.fixtures.cursor_sim", "tests.fixtures.browser"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the (local-memory) cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme", slug="acme")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Globex", slug="globex")


@pytest.fixture
def owner(org):
    return MembershipFactory(organization=org, role=Membership.Role.OWNER, user__email="owner@acme.test").user


@pytest.fixture
def admin_user(org):
    return MembershipFactory(organization=org, role=Membership.Role.ADMIN, user__email="admin@acme.test").user


@pytest.fixture
def member_user(org):
    return MembershipFactory(
        organization=org, role=Membership.Role.MEMBER, user__email="member@acme.test"
    ).user


@pytest.fixture
def outsider(other_org):
    """Owner of another organization: must see 404 for anything of `org`."""
    return MembershipFactory(
        organization=other_org, role=Membership.Role.OWNER, user__email="outsider@globex.test"
    ).user


def _client_for(client_class, user):
    c = client_class()
    c.force_login(user)
    return c


@pytest.fixture
def admin_client(admin_user):
    from django.test import Client

    return _client_for(Client, admin_user)


@pytest.fixture
def owner_client(owner):
    from django.test import Client

    return _client_for(Client, owner)


@pytest.fixture
def member_client(member_user):
    from django.test import Client

    return _client_for(Client, member_user)


@pytest.fixture
def outsider_client(outsider):
    from django.test import Client

    return _client_for(Client, outsider)
