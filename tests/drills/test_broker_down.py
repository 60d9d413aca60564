"""Drill (finding 9): Redis is down when someone presses "Sync now", and Redis restarts empty
while a run is queued.

Neither may leave a queued run that no message backs: the first answers "Couldn't queue the
sync; try again" within 2 s (page and API); the second is taken over by the next request.
"""

import time

import pytest
from django.test import Client
from django.urls import reverse

from integrations import services
from integrations.cursor.sync import dispatch
from integrations.models import SyncRun
from koalr.accounts.models import Membership
from koalr.accounts.services import create_api_token
from tests.factories import MembershipFactory, OrganizationFactory

from .compare import assert_same_data
from .conftest import FAST, org_fingerprint
from .procs import say, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_sync_now_with_redis_down_then_redis_restarted_empty(
    twin_teams, connect, start_worker, broker, monkeypatch
):
    from integrations.cursor import sync

    clean_team, drilled_team = twin_teams(seats=5, days=6, seed=91)
    clean_org, org = OrganizationFactory(slug="clean"), OrganizationFactory(slug="drilled")
    assert (
        sync.run_sync(services.trigger_sync(connect(clean_org, clean_team)).pk, options=FAST).status
        == "succeeded"
    )
    conn = connect(org, drilled_team)
    owner = MembershipFactory(organization=org, role=Membership.Role.OWNER).user
    page = Client()
    page.force_login(owner)
    _, token = create_api_token(organization=org, user=owner, name="drill")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    broker.kill()
    started = time.monotonic()
    html = page.post(reverse("integrations:cursor_sync"), follow=True).content.decode()
    page_seconds = time.monotonic() - started
    started = time.monotonic()
    response = api.post(f"/api/v1/orgs/{org.slug}/integrations/cursor/sync")
    api_seconds = time.monotonic() - started
    say(
        f"with Redis down: the page answered in {page_seconds:.2f} s, the API in {api_seconds:.2f} s ({response.status_code})"
    )
    assert "Couldn&#x27;t queue the sync; try again." in html
    assert response.status_code == 503 and response.json()["detail"] == "Couldn't queue the sync; try again."
    assert page_seconds < 2 and api_seconds < 2
    assert not SyncRun.objects.filter(organization=org, status__in=SyncRun.ACTIVE_STATUSES).exists()

    # Redis back, no worker yet: the run is queued and its message waits in Redis.
    broker.start()
    queued = services.trigger_sync(conn)
    assert dispatch.broker.message_pending(dispatch.task_id(queued.pk)) is True
    broker.kill()
    broker.start()  # no persistence: the message is gone
    say(f"restarted Redis empty while run {queued.pk} was queued")
    monkeypatch.setattr(
        dispatch, "QUEUED_RUN_GRACE", dispatch.QUEUED_RUN_GRACE * 0
    )  # no 30 s wait in a drill
    assert dispatch.broker.message_pending(dispatch.task_id(queued.pk)) is False
    response = api.post(f"/api/v1/orgs/{org.slug}/integrations/cursor/sync")
    assert response.status_code == 202, response.content
    successor = response.json()["id"]
    assert successor != queued.pk
    queued.refresh_from_db()
    assert queued.status == SyncRun.Status.FAILED
    say(f"the next request took over: run {queued.pk} closed, run {successor} queued")

    start_worker("after-restart")
    wait_for(lambda: not SyncRun.objects.get(pk=successor).is_active, 90, f"run {successor} to finish")
    assert SyncRun.objects.get(pk=successor).status == SyncRun.Status.SUCCEEDED
    assert_same_data(org_fingerprint(clean_org), org_fingerprint(org), "the drilled organization")
