"""Every page and export answers without a server error, on whichever database runs the tests.

`make test` runs this module a second time on SQLite (the embedded mode `make demo` uses),
since raw SQL that is fine on PostgreSQL can return text for dates and decimals there.
"""

from datetime import UTC, datetime, timedelta

import pytest

from analytics.models import CursorMember
from integrations.models import Connection, SyncRun
from koalr.accounts.models import ApiToken

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]

TODAY = datetime.now(UTC).date()
RANGE = f"start={(TODAY - timedelta(days=13)).isoformat()}&end={TODAY.isoformat()}"


@pytest.fixture
def connected_org(seeded_org, owner):
    connection = Connection(organization=seeded_org, status=Connection.Status.HEALTHY, created_by=owner)
    connection.capabilities = {"admin": True, "analytics": True, "ai_code": True}
    connection.set_api_key("crsr_" + "x" * 64)
    connection.last_synced_at = datetime.now(UTC)
    connection.save()
    SyncRun.objects.create(
        organization=seeded_org, connection=connection, status=SyncRun.Status.SUCCEEDED, trigger="connect"
    )
    return seeded_org


def pages(org):
    member = CursorMember.objects.filter(organization=org).first()
    api = f"/api/v1/orgs/{org.slug}"
    return [
        "/ai-analytics/",
        "/ai-analytics/?range=7",
        "/ai-analytics/?range=90",
        f"/ai-analytics/?{RANGE}&model=gpt-5",
        f"/ai-analytics/?{RANGE}&sort=-spend_cents",
        "/ai-analytics/members.csv",
        f"/ai-analytics/members/{member.pk}/",
        "/ai-analytics/me/",
        "/ai-analytics/spend/",
        "/ai-analytics/spend/export.csv",
        "/ai-analytics/sync-status.json",
        "/settings/integrations/",
        "/settings/integrations/cursor/",
        "/settings/integrations/cursor/progress.json",
        "/settings/integrations/audit/",
        "/settings/api-tokens/",
        "/accounts/members/",
        f"{api}/members",
        f"{api}/usage/daily?{RANGE}",
        f"{api}/usage/models?{RANGE}",
        f"{api}/usage/members?{RANGE}",
        f"{api}/spend",
        f"{api}/sync-runs",
        f"{api}/usage?{RANGE}&grain=week&group_by=model",
        f"{api}/usage?{RANGE}&grain=month&group_by=user",
        f"{api}/usage?{RANGE}&grain=day&group_by=kind",
        "/api/v1/schema/",
    ]


def test_every_page_renders_for_an_admin(connected_org, owner_client):
    for url in pages(connected_org):
        response = owner_client.get(url)
        assert response.status_code == 200, url


def test_every_page_a_member_may_open_renders(connected_org, member_client):
    for url in pages(connected_org):
        response = member_client.get(url)
        # Members are refused admin pages, never served an error.
        assert response.status_code in (200, 302, 403), (url, response.status_code)


def test_token_auth_works(connected_org, owner):
    from django.test import Client

    token, digest = ApiToken.new_token()
    ApiToken.objects.create(organization=connected_org, user=owner, token_hash=digest, prefix=token[:12])
    response = Client().get(
        f"/api/v1/orgs/{connected_org.slug}/usage/daily?{RANGE}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200
    assert len(response.json()["results"]) == 14
