"""The connection page's live progress (static/js/connection.js) in headless Chromium."""

import os

import pytest
from django.conf import settings
from django.test import Client

from integrations.models import Connection, SyncRun

from .conftest import make_connection

pytestmark = [pytest.mark.browser]


@pytest.fixture
def page(chromium, live_server):
    # One Playwright session for the whole run (tests/fixtures/browser.py): a second
    # sync_playwright() inside the first one's event loop is refused.
    context = chromium.new_context()
    yield context
    context.close()


def login(context, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_progress_bar_updates_live_and_the_page_reloads_when_done(page, live_server, org, admin_user):
    assert os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE") == "true"
    conn = make_connection(org, status=Connection.Status.SYNCING)
    run = SyncRun.objects.create(
        organization=org,
        connection=conn,
        status=SyncRun.Status.RUNNING,
        progress={"members": {"status": "running", "rows": 0, "done": 0, "total": 2}},
    )
    login(page, live_server, admin_user)
    tab = page.new_page()
    tab.goto(f"{live_server.url}/settings/integrations/cursor/")
    assert tab.inner_text("#sync-percent") == "0"

    run.progress = {
        "members": {"status": "running", "rows": 7, "done": 1, "total": 2},
        "usage_events": {"status": "running", "rows": 99, "done": 0, "total": 1},
    }
    run.save(update_fields=["progress"])
    # A function, not an expression string: Playwright evals strings, which the CSP forbids.
    tab.wait_for_function(
        "() => document.getElementById('sync-percent').textContent === '25'", timeout=10_000
    )
    assert tab.get_attribute("#sync-progress .progress-bar", "style").replace(" ", "") == "width:25%;"
    assert tab.inner_text('tr[data-stream="usage_events"] .stream-rows') == "99"

    run.status = SyncRun.Status.SUCCEEDED
    run.message = "all-done-marker"
    run.save(update_fields=["status", "message"])
    Connection.objects.filter(pk=conn.pk).update(status=Connection.Status.HEALTHY)
    tab.wait_for_selector("text=all-done-marker", timeout=10_000)  # reloaded: recent runs table
    assert tab.query_selector("#sync-progress") is None
    assert "Healthy" in tab.inner_text("#connection-status")
