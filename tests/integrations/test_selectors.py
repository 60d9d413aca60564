"""The Cursor connection lookup and the connection status the dashboard shows."""

import pytest
from django.db import transaction

from integrations import selectors
from integrations.models import Connection, SyncRun

from .conftest import make_connection

pytestmark = pytest.mark.django_db


def test_cursor_connection_is_the_organizations_own(org, other_org):
    assert selectors.cursor_connection(org) is None
    theirs = make_connection(other_org)
    assert selectors.cursor_connection(org) is None
    ours = make_connection(org)
    assert selectors.cursor_connection(org) == ours
    assert selectors.cursor_connection(org.pk) == ours  # an id does as well
    assert selectors.cursor_connection(other_org) == theirs


def test_cursor_connection_can_lock_and_load_only_some_fields(org, django_assert_num_queries):
    ours = make_connection(org)
    with transaction.atomic(), django_assert_num_queries(1) as queries:
        locked = selectors.cursor_connection(org, for_update=True, only=("pk", "status"))
    assert locked == ours and locked.status == ours.status
    sql = queries.captured_queries[0]["sql"]
    assert sql.endswith("FOR UPDATE") and "encrypted_api_key" not in sql


def test_connection_status_when_not_connected(org, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        status = selectors.connection_status(org)
    assert status["connected"] is False and status["connection"] is None and status["run"] is None
    assert not (status["syncing"] or status["key_rejected"] or status["failing"])


def test_connection_status_while_syncing_shows_the_latest_run(org, other_org, django_assert_max_num_queries):
    conn = make_connection(org, status=Connection.Status.SYNCING)
    SyncRun.objects.create(organization=org, connection=conn, status=SyncRun.Status.FAILED)
    latest = SyncRun.objects.create(organization=org, connection=conn, status=SyncRun.Status.RUNNING)
    SyncRun.objects.create(organization=other_org, connection=make_connection(other_org))
    with django_assert_max_num_queries(2):
        status = selectors.connection_status(org)
    assert status["connected"] and status["syncing"] and status["status"] == Connection.Status.SYNCING
    assert status["run"] == latest and status["percent"] == latest.percent


@pytest.mark.parametrize(
    "state, flag", [(Connection.Status.KEY_REJECTED, "key_rejected"), (Connection.Status.FAILING, "failing")]
)
def test_connection_status_flags_a_connection_in_trouble(org, state, flag):
    conn = make_connection(org, status=state)
    SyncRun.objects.create(organization=org, connection=conn, status=SyncRun.Status.FAILED)
    status = selectors.connection_status(org)
    assert status[flag] and not status["syncing"]
    assert status["run"] is None  # the run is only looked up while a sync is under way
