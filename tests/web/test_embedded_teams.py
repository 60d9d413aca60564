"""The team pages, exports and endpoints answer without a server error on either database
(`make test` runs the `embedded` marker again on SQLite, where raw SQL returns text for
dates and decimals), with small groups merged, a team filter and a chargeback."""

import pytest
from django.test import Client

from koalr.accounts import services

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]
RANGE = "range=custom&start=2026-03-02&end=2026-03-31"
PAGES = [
    f"/ai-analytics/teams/?{RANGE}",
    f"/ai-analytics/teams/export.csv?{RANGE}&sort=-spend_cents",
    f"/ai-analytics/?{RANGE}&team=engineering",
    f"/ai-analytics/?{RANGE}&team=none",
    f"/ai-analytics/members.csv?{RANGE}&team=apps",
    "/ai-analytics/chargeback/?month=2026-03",
    "/ai-analytics/chargeback/export.csv?cycle=2026-03-01",
    "/ai-analytics/people/?view=unmatched",
    "/ai-analytics/teams/manage/",
    "/ai-analytics/teams/manage/platform/",
    "/ai-analytics/people/import/",
]
API = [
    "/api/v1/orgs/acme/teams",
    "/api/v1/orgs/acme/people",
    "/api/v1/orgs/acme/teams/compare?start=2026-03-02&end=2026-03-31",
    "/api/v1/orgs/acme/chargeback?month=2026-03",
    "/api/v1/orgs/acme/usage?start=2026-03-02&end=2026-03-31&team=apps&group_by=user",
    "/api/v1/orgs/acme/usage/members?start=2026-03-02&end=2026-03-31&team=none",
]


@pytest.fixture
def teams(tree):
    return tree


@pytest.mark.parametrize("url", PAGES)
def test_team_pages_answer(url, admin_user, member_user, teams):
    admin = Client()
    admin.force_login(admin_user)
    assert admin.get(url).status_code == 200
    member = Client()
    member.force_login(member_user)
    assert member.get(url).status_code in (200, 403)


@pytest.mark.parametrize("url", API)
def test_team_endpoints_answer(url, org, admin_user, member_user, teams):
    for user in (admin_user, member_user):
        _, raw = services.create_api_token(organization=org, user=user)
        assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(url).status_code in (200, 403)
