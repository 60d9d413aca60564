"""The metering API carries Copilot records (from its ToolDay facts) and filters by `product`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from analytics.models import Tool, ToolDay
from analytics.selectors.metering import usage_metering
from analytics.services import refresh_after_sync
from analytics.services.copilot import store_copilot_user_report
from integrations.copilot.records import parse_user_day
from people.models import Person

from .fakes import TOKEN, user_line

pytestmark = pytest.mark.django_db

D1, D2 = date(2026, 11, 2), date(2026, 11, 3)
URL = "/api/v1/orgs/acme/usage"


@pytest.fixture
def copilot_days(org):
    now = datetime(2026, 11, 5, tzinfo=UTC)
    Person.objects.create(organization=org, name="Ada", primary_email="ada@acme.test", github_login="ada")
    store_copilot_user_report(
        org.pk, D1, [parse_user_day(user_line("ada", D1, ai_credits_used=10.5))], 0, now
    )
    store_copilot_user_report(
        org.pk,
        D2,
        [
            parse_user_day(user_line("ada", D2, ai_credits_used=2)),
            parse_user_day(user_line("octo", D2, ai_credits_used=1.25)),
        ],
        0,
        now,
    )
    refresh_after_sync(org.pk, Tool.COPILOT, D1, D2)
    # A Cursor fact on D1, to filter away.
    ToolDay.objects.create(
        organization=org, tool=Tool.CURSOR, person=Person.objects.get(github_login="ada"), day=D1, billed_requests=4,
        cost_cents=Decimal("9"), input_tokens=1, output_tokens=1, cache_read_tokens=0, cache_write_tokens=0,
        request_units=Decimal("1"), active=True,
    )  # fmt: skip


def test_copilot_records_leave_unreported_metrics_null(org, copilot_days):
    records = usage_metering(org, D1, D2, grain="month", product="copilot")
    assert len(records) == 1
    (record,) = records
    assert record["product"] == "copilot" and record["period"] == date(2026, 11, 1)
    m = record["metrics"]
    assert m["usage_events"] is None and m["tokens"] == {
        "input": None,
        "output": None,
        "cache_read": None,
        "cache_write": None,
    }
    assert m["cost_cents"] == Decimal("13.75") and m["request_cost_units"] == Decimal("13.75")
    assert m["cost_is_estimate"] is True and m["active_users"] == 2


def test_product_filter_and_per_user_keys(org, copilot_days):
    assert {r["product"] for r in usage_metering(org, D1, D2, grain="day")} == {"cursor", "copilot"}
    assert {r["product"] for r in usage_metering(org, D1, D2, grain="day", product="cursor")} == {"cursor"}
    by_user = usage_metering(org, D1, D2, grain="month", group_by="user", product="copilot")
    assert {r["key"]: r["metrics"]["cost_cents"] for r in by_user} == {
        "ada@acme.test": Decimal("12.5"),
        "octo": Decimal("1.25"),  # known by a GitHub login only
    }
    assert usage_metering(org, D1, D2, group_by="model", product="copilot") == []
    with pytest.raises(ValueError):
        usage_metering(org, D1, D2, product="bard")


def test_api_product_filter(admin_client, member_client, outsider_client, copilot_days):
    body = admin_client.get(URL, {"start": D1, "end": D2, "product": "copilot"}).json()
    assert [r["product"] for r in body["results"]] == ["copilot", "copilot"]
    assert body["results"][0]["metrics"]["usage_events"] is None
    assert body["results"][0]["metrics"]["cost_is_estimate"] is True
    assert TOKEN not in str(body)
    bad = admin_client.get(URL, {"start": D1, "end": D2, "product": "bard"})
    assert bad.status_code == 400 and "product must be one of" in bad.content.decode()
    assert member_client.get(URL, {"start": D1, "end": D2, "product": "copilot"}).status_code == 200
    assert (
        member_client.get(URL, {"start": D1, "end": D2, "product": "copilot", "group_by": "user"}).status_code
        == 403
    )
    assert outsider_client.get(URL, {"start": D1, "end": D2}).status_code == 404
