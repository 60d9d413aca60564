"""The data-quality section of the Cursor connection page (templates/integrations/_data_quality.html)."""

import pytest

from integrations.models import SyncCheck
from tests.quality_seed import ALICE, BOB, GHOST, seed_quality

pytestmark = pytest.mark.django_db
URL = "/settings/integrations/cursor/"


@pytest.fixture
def checked(org):
    return seed_quality(org)


def section(response) -> str:
    html = response.content.decode()
    start = html.index('id="data-quality"')
    return html[start : html.index("</section>", start)]


@pytest.mark.parametrize("persona", ["owner_client", "admin_client"])
def test_owners_and_admins_see_the_latest_checks_with_status_and_people(request, persona, checked):
    response = request.getfixturevalue(persona).get(URL)
    assert response.status_code == 200
    html = section(response)
    warnings = SyncCheck.objects.filter(sync_run=checked, status="warning").count()
    assert warnings >= 4
    assert f"{warnings} warnings" in html
    for key in ("missing_days", "unlisted_usage", "spend_vs_events", "malformed_records"):
        assert f'data-check="{key}" data-status="warning"' in html
    assert 'data-check="daily_vs_events" data-status="ok"' in html
    assert GHOST in html and BOB in html and ALICE in html
    assert "<summary>The numbers behind it</summary>" in html
    assert '<section class="card data-quality" aria-labelledby="quality-heading"' in response.content.decode()


def test_a_member_cannot_open_the_page(member_client, checked):
    assert member_client.get(URL).status_code == 403


def test_an_outsider_sees_nothing_of_the_organization(outsider_client, checked):
    response = outsider_client.get(URL, follow=True)
    assert response.status_code == 200  # their own organization has no Cursor connection: connect page
    assert GHOST not in response.content.decode()


def test_before_any_checked_sync_the_section_says_so(owner_client, org):
    from tests.integrations.conftest import make_connection

    make_connection(org)
    html = section(owner_client.get(URL))
    assert "No sync has been checked yet" in html
