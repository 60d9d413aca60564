"""A NUL character in a query parameter answers 400 everywhere, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url, params",
    [
        ("/ai-analytics/", {"team": "\x00"}),
        ("/ai-analytics/people/", {"q": "a\x00b"}),
        ("/api/v1/orgs/acme/usage", {"team": "x\x00"}),
        ("/ai-analytics/", {"\x00": "1"}),
    ],
)
def test_a_nul_character_in_a_parameter_is_a_clear_400(admin_client, url, params):
    response = admin_client.get(url, params)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_ordinary_parameters_pass(admin_client):
    assert admin_client.get("/ai-analytics/", {"range": "7"}).status_code == 200
