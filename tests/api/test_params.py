"""Date-range and metering parameter validation: 400s that name the offending field."""

from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.django_db

# Every endpoint with a date range; the metering view also takes grain and group_by.
RANGE_ENDPOINTS = ["usage", "usage/daily", "usage/models", "usage/members"]


def get(client, endpoint, **query):
    return client.get(f"/api/v1/orgs/acme/{endpoint}", query)


@pytest.mark.parametrize("endpoint", RANGE_ENDPOINTS)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"end": "2025-01-31"}, "start"),
        ({"start": "2025-01-01"}, "end"),
        ({"start": "", "end": "2025-01-31"}, "start"),
        ({"start": "2025-02-30", "end": "2025-03-01"}, "start"),
        ({"start": "20250101", "end": "2025-01-31"}, "start"),
        ({"start": "2025-W01-1", "end": "2025-01-31"}, "start"),
        ({"start": "yesterday", "end": "2025-01-31"}, "start"),
        ({"start": "2025-01-01", "end": "2025-1-31"}, "end"),
        ({"start": "2025-01-01", "end": "2025-01-31T00:00:00"}, "end"),
        ({"start": "2025-02-01", "end": "2025-01-31"}, "end"),
        ({"start": "2024-01-01", "end": "2025-01-01"}, "end"),  # 367 days
    ],
)
def test_bad_dates_answer_400_naming_the_field(admin_client, endpoint, query, field):
    response = get(admin_client, endpoint, **query)
    assert response.status_code == 400
    body = response.json()
    assert field in body, body
    assert field in body[field][0]  # the message itself names the field too


@pytest.mark.parametrize("endpoint", RANGE_ENDPOINTS)
def test_a_full_366_day_range_and_a_single_day_are_accepted(admin_client, endpoint):
    start = date(2024, 1, 1)
    assert get(admin_client, endpoint, start=start, end=start + timedelta(days=365)).status_code == 200
    assert get(admin_client, endpoint, start=start, end=start).status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"grain": "year"}, "grain"),
        ({"grain": "Week"}, "grain"),
        ({"group_by": "team"}, "group_by"),
        ({"group_by": "user,model"}, "group_by"),
    ],
)
def test_bad_grain_or_group_by_answers_400_naming_the_field(admin_client, query, field):
    response = get(admin_client, "usage", start="2025-01-01", end="2025-01-31", **query)
    assert response.status_code == 400
    assert field in response.json()[field][0]


def test_outsider_gets_404_before_any_parameter_check(outsider_client, org):
    # Validation messages must not reveal that Acme exists.
    assert get(outsider_client, "usage").status_code == 404
