"""Drill (finding 10): the same sync message delivered twice, to two real workers at once.

Before the fix the loser of the race read the run while it was still queued, found the lock
taken and closed the run as "already running", and the winner then stopped at its next progress
save (3 of 8 trials). Now the run is decided under its claim: every trial must end succeeded,
with the connection healthy and the data of a clean run.
"""

import pytest

from integrations import services
from integrations.cursor import sync
from integrations.models import Connection, SyncRun
from integrations.tasks import sync_connection
from tests.factories import OrganizationFactory

from .compare import assert_same_data
from .conftest import FAST, org_fingerprint
from .procs import say, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
TRIALS = 6


def test_a_message_delivered_twice_never_cancels_the_sync(twin_teams, connect, start_worker):
    clean_team, drilled_team = twin_teams(seats=4, days=5, seed=92)
    clean_org, org = OrganizationFactory(slug="clean"), OrganizationFactory(slug="drilled")
    assert (
        sync.run_sync(services.trigger_sync(connect(clean_org, clean_team)).pk, options=FAST).status
        == "succeeded"
    )
    conn = connect(org, drilled_team)
    workers = [start_worker("a"), start_worker("b")]
    for trial in range(1, TRIALS + 1):
        run = services.trigger_sync(conn)  # the first message
        sync_connection.delay(run.pk)  # its duplicate
        wait_for(lambda run=run: not SyncRun.objects.get(pk=run.pk).is_active, 60, f"run {run.pk} to finish")
        run.refresh_from_db()
        conn.refresh_from_db()
        say(
            f"trial {trial}: run {run.pk} delivered twice to 2 workers -> {run.status}, connection {conn.status}"
        )
        assert run.status == SyncRun.Status.SUCCEEDED, run.message
        assert conn.status == Connection.Status.HEALTHY
    left_alone = sum(w.log().count("another delivery is working this run") for w in workers)
    say(f"duplicates that found their run claimed and left it alone: {left_alone} of {TRIALS}")
    assert_same_data(
        org_fingerprint(clean_org), org_fingerprint(org), "the organization synced with duplicates"
    )
