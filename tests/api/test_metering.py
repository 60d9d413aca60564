"""The unified metering view: every grain × group_by, checked against raw usage events."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.models import UsageEvent
from analytics.selectors.metering import usage_metering
from tests.fixtures.analytics_data import seed_usage

from .conftest import ADMINS_ONLY, EVERY_MEMBER

pytestmark = pytest.mark.django_db

URL = "/api/v1/orgs/acme/usage"


def period_of(day, grain):
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def expected_records(org, start, end, grain, group_by):
    """Aggregate the stored events in Python, independently of the selector's SQL."""
    buckets = defaultdict(lambda: {"events": 0, "units": Decimal(0), "cents": Decimal(0), "users": set(),
                                   "input": 0, "output": 0, "cache_read": 0, "cache_write": 0})  # fmt: skip
    events = UsageEvent.objects.filter(organization=org, day__range=(start, end)).select_related("member")
    for e in events:
        key = {None: None, "user": e.member.email, "model": e.model, "kind": e.kind}[group_by]
        b = buckets[(period_of(e.day, grain), key)]
        b["events"] += 1
        b["units"] += e.requests_costs
        b["cents"] += e.charged_cents
        b["users"].add(e.member_id)
        b["input"] += e.input_tokens
        b["output"] += e.output_tokens
        b["cache_read"] += e.cache_read_tokens
        b["cache_write"] += e.cache_write_tokens
    return {
        (period.isoformat(), key): {
            "usage_events": b["events"],
            "request_cost_units": b["units"],
            "tokens": {k: b[k] for k in ("input", "output", "cache_read", "cache_write")},
            "cost_cents": b["cents"],
            "cost_is_estimate": False,
            "active_users": len(b["users"]),
        }
        for (period, key), b in buckets.items()
    }


def as_decimal(number, places):
    return Decimal(str(number)).quantize(Decimal(1).scaleb(-places))


@pytest.fixture
def metered(seeded_org, other_org):
    # Globex's usage shares days and models with Acme's: it must never leak into Acme's figures.
    seed_usage(other_org, members=4, days=20, seed=3)
    end = datetime.now(UTC).date()
    return seeded_org, end - timedelta(days=19), end


@pytest.mark.parametrize("grain", ["day", "week", "month"])
@pytest.mark.parametrize("group_by", [None, "user", "model", "kind"])
def test_records_equal_sums_of_the_stored_events(metered, admin_client, grain, group_by):
    org, start, end = metered
    query = {"start": start, "end": end, "grain": grain, "limit": 1000}
    if group_by:
        query["group_by"] = group_by
    response = admin_client.get(URL, query)
    assert response.status_code == 200
    body = response.json()
    expected = expected_records(org, start, end, grain, group_by)
    assert expected, "the seeded data must produce records"
    assert body["count"] == len(expected)

    got = {}
    for record in body["results"]:
        assert record["product"] == "cursor"
        assert record["group_by"] == group_by
        m = dict(record["metrics"])
        m["request_cost_units"] = as_decimal(m["request_cost_units"], 4)
        m["cost_cents"] = as_decimal(m["cost_cents"], 6)
        got[(record["period"], record["key"])] = m
    assert got == expected
    # Records come ordered by period, then key.
    order = [(r["period"], r["key"] or "") for r in body["results"]]
    assert order == sorted(order)


def test_weeks_and_months_count_only_days_inside_the_range(metered, admin_client):
    org, _, end = metered
    # A Wednesday..Thursday range: the week's record starts on Monday but holds 2 days only.
    start = end - timedelta(days=end.weekday()) + timedelta(days=2)
    if start > end:
        start -= timedelta(days=7)
    stop = start + timedelta(days=1)
    body = admin_client.get(URL, {"start": start, "end": stop, "grain": "week"}).json()
    expected = expected_records(org, start, stop, "week", None)
    assert [r["period"] for r in body["results"]] == [p for p, _ in expected]
    if body["results"]:
        assert body["results"][0]["period"] == (start - timedelta(days=start.weekday())).isoformat()
        assert body["results"][0]["metrics"]["usage_events"] == next(iter(expected.values()))["usage_events"]


def test_range_without_events_has_no_records(seeded_org, admin_client):
    body = admin_client.get(URL, {"start": "2001-01-01", "end": "2001-12-31", "grain": "month"}).json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_selector_unions_every_tool_with_tool_day_facts(metered):
    # Another AI tool joins by writing ToolDay rows: its records appear beside Cursor's.
    from analytics.models import Tool, ToolDay
    from people.services import people_for_emails

    org, start, end = metered
    person_id = people_for_emails(org.pk, ["dana@acme.test"])["dana@acme.test"]
    ToolDay.objects.create(
        organization=org, tool=Tool.CLAUDE_CODE, person_id=person_id, day=start, billed_requests=3
    )
    records = usage_metering(org, start, end, grain="month")
    assert {r["product"] for r in records} == {"cursor", "claude_code"}
    claude = [r for r in records if r["product"] == "claude_code"]
    assert [r["metrics"]["usage_events"] for r in claude] == [3]
    assert claude[0]["metrics"]["active_users"] == 1


def test_selector_unions_every_registered_model_source(metered, monkeypatch):
    # Groups only a tool's own tables know (model, kind) come from that tool's source.
    from analytics.selectors import metering as selectors_metering

    org, start, end = metered

    def other_tool(organization, start, end, *, grain, group_by):
        assert organization == org
        return [
            {
                "period": start,
                "product": "claude_code",
                "group_by": group_by,
                "key": "claude-sonnet",
                "metrics": {"usage_events": 1},
            }
        ]

    monkeypatch.setitem(selectors_metering.METERING_SOURCES, "claude_code", other_tool)
    records = usage_metering(org, start, end, grain="month", group_by="model")
    assert {r["product"] for r in records} == {"cursor", "claude_code"}


def test_selector_refuses_unknown_grain_or_group(seeded_org):
    today = datetime.now(UTC).date()
    with pytest.raises(ValueError, match="grain"):
        usage_metering(seeded_org, today, today, grain="year")
    with pytest.raises(ValueError, match="group_by"):
        usage_metering(seeded_org, today, today, group_by="team")


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_metering_per_persona(metered, persona_client, persona):
    _, start, end = metered
    response = persona_client(persona).get(URL, {"start": start, "end": end, "group_by": "model"})
    assert response.status_code == EVERY_MEMBER[persona]


@pytest.mark.parametrize("persona", ["owner", "admin", "member", "outsider"])
def test_per_member_metering_is_for_owners_and_admins(metered, persona_client, persona):
    # group_by=user reveals each member's cost: the spend capability applies.
    _, start, end = metered
    response = persona_client(persona).get(URL, {"start": start, "end": end, "group_by": "user"})
    assert response.status_code == ADMINS_ONLY[persona]
    if persona == "member":
        assert "owners and admins" in response.json()["detail"]
