"""Finding 4: two owners demoting (or removing) each other at the same moment, on the real
PostgreSQL, in two threads with their own connections and transactions.

Each thread pauses right after its first row lock until the other has taken its own (a barrier
with a timeout). The code before the fix locked the target first and the other owners next,
so the two threads each held the row the other needed: PostgreSQL broke the deadlock by
failing one request with a 500. Now the first lock takes every row involved, in key order:
the second thread waits inside it (so the barrier times out and lets the first go on) and
then answers with a plain refusal.
"""

import threading

import pytest
from django.db import connection, connections
from django.test import Client

from koalr.accounts.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _pause_after_first_row_lock(barrier):
    """An execute_wrapper: after this connection's first SELECT … FOR UPDATE, meet the barrier."""
    state = {"done": False}

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not state["done"] and "FOR UPDATE" in sql:
            state["done"] = True
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass  # the other thread is waiting for our lock: carry on alone
        return result

    return wrapper


def _race(requests):
    """Run each (client, path, data) POST in its own thread at once; return responses/errors."""
    barrier = threading.Barrier(len(requests), timeout=1.5)
    outcomes = [None] * len(requests)

    def run(i, client, path, data):
        try:
            with connection.execute_wrapper(_pause_after_first_row_lock(barrier)):
                outcomes[i] = client.post(path, data)
        except Exception as exc:  # a 500 surfaces here: the test client re-raises it
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.fixture
def two_owners():
    org = OrganizationFactory(name="Acme", slug="acme")
    a = MembershipFactory(organization=org, role=Membership.Role.OWNER, user__email="a@acme.test")
    b = MembershipFactory(organization=org, role=Membership.Role.OWNER, user__email="b@acme.test")
    clients = []
    for m in (a, b):
        client = Client(raise_request_exception=True)
        client.force_login(m.user)
        clients.append(client)
    return org, a, b, clients


def _messages(response):
    return [str(m) for m in response.wsgi_request._messages]


def test_two_owners_demoting_each_other_end_with_one_owner_and_a_clean_refusal(two_owners):
    org, a, b, (client_a, client_b) = two_owners

    outcomes = _race(
        [
            (client_a, f"/accounts/members/{b.pk}/role/", {"role": "member"}),
            (client_b, f"/accounts/members/{a.pk}/role/", {"role": "member"}),
        ]
    )

    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert [o.status_code for o in outcomes] == [302, 302]
    owners = list(Membership.objects.filter(organization=org, role=Membership.Role.OWNER))
    assert len(owners) == 1
    texts = [" ".join(_messages(o)) for o in outcomes]
    assert sum("is now member" in t for t in texts) == 1, texts
    # The second sees the first's commit: its actor is no longer an owner, and nothing changes.
    assert sum("nothing was changed" in t for t in texts) == 1, texts


def test_two_owners_removing_each_other_keep_one_owner(two_owners):
    org, a, b, (client_a, client_b) = two_owners

    outcomes = _race(
        [
            (client_a, f"/accounts/members/{b.pk}/remove/", {}),
            (client_b, f"/accounts/members/{a.pk}/remove/", {}),
        ]
    )

    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert [o.status_code for o in outcomes] == [302, 302]
    assert Membership.objects.filter(organization=org, role=Membership.Role.OWNER).count() == 1
    assert Membership.objects.filter(organization=org).count() == 1
