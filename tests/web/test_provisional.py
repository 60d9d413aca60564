"""Provisional days: exactly the days a later sync may still revise (analytics/freshness.py) are
drawn differently in every daily chart (hatched bars, a dotted overlay on lines, one legend
entry) and flagged `provisional` in the daily CSV and the API's daily rows."""

import json
import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.test import override_settings

from analytics.freshness import PROVISIONAL_LABEL
from analytics.models import Tool, ToolOrgDay
from integrations.models import Connection, Provider
from tests.analytics.conftest import csv_rows, figure
from tests.fixtures.analytics_data import seed_usage
from web import charts

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def clock():
    from django.core.cache import cache

    cache.clear()
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield
    cache.clear()


@pytest.fixture
def usage(org, other_org):
    seed_usage(org, members=5, days=20, end=TODAY, seed=3)
    seed_usage(other_org, members=2, days=20, end=TODAY, seed=4)
    conn = Connection(organization=org, provider=Provider.CURSOR, status=Connection.Status.HEALTHY)
    conn.set_api_key("key_test_0123456789abcd")
    conn.last_synced_at = NOW - timedelta(minutes=14)
    conn.save()
    return org


def days_back(*ns):
    return {(TODAY - timedelta(days=n)).isoformat() for n in ns}


def hatched_days(trace) -> set[str]:
    shapes = trace["marker"]["pattern"]["shape"]
    return {x for x, shape in zip(trace["x"], shapes, strict=True) if shape}


def test_the_rule_on_figure_data_bars_and_lines(usage, member_client):
    html = member_client.get("/ai-analytics/?range=7").content.decode()
    requests = figure(html, "fig-requests")
    bars = [t for t in requests["data"] if t["type"] == "bar" and t["name"] != PROVISIONAL_LABEL]
    assert len(bars) == 5
    for bar in bars:
        assert hatched_days(bar) == days_back(0, 1, 2)  # today and the 2 lookback days
        assert bar["marker"]["opacity"][-4:] == [1, 0.55, 0.55, 0.55]
    legend = [t for t in requests["data"] if t["name"] == PROVISIONAL_LABEL]
    assert len(legend) == 1 and legend[0]["showlegend"]

    dau = figure(html, "fig-dau")
    (line,) = [t for t in dau["data"] if t["name"] == "Active users"]
    assert len(line["x"]) == 7  # the line's own data stay whole
    overlays = [t for t in dau["data"] if t["name"] == PROVISIONAL_LABEL and t["type"] == "scatter"]
    assert len(overlays) == 1
    # From the last settled day (to join the line) through today, dotted.
    assert set(overlays[0]["x"]) == days_back(0, 1, 2, 3) and overlays[0]["line"]["dash"] == "dot"
    shape = dau["layout"]["shapes"][0]
    assert shape["x0"].startswith((TODAY - timedelta(days=3)).isoformat())  # the band starts mid-day before
    # The model mix is not a daily chart: left as it is.
    assert all(t.get("name") != PROVISIONAL_LABEL for t in figure(html, "fig-model-mix")["data"])


def test_the_lookback_setting_moves_the_boundary(usage, member_client):
    with override_settings(CURSOR_SYNC_LOOKBACK_DAYS=4):
        html = member_client.get("/ai-analytics/?range=7").content.decode()
    agent = next(t for t in figure(html, "fig-requests")["data"] if t["name"] == "Agent")
    assert hatched_days(agent) == days_back(0, 1, 2, 3, 4)


def test_a_stalled_sync_keeps_its_last_days_provisional(usage, member_client):
    Connection.objects.filter(organization=usage).update(last_synced_at=NOW - timedelta(days=6))
    html = member_client.get("/ai-analytics/?range=30").content.decode()
    agent = next(t for t in figure(html, "fig-requests")["data"] if t["name"] == "Agent")
    assert hatched_days(agent) == days_back(*range(0, 9))  # the sync's day - 2 .. today


def test_the_daily_csv_flags_exactly_the_lookback_days(usage, member_client, outsider_client):
    response = member_client.get("/ai-analytics/daily.csv?range=7")
    assert response.status_code == 200
    rows = csv_rows(response)
    assert [r["Date"] for r in rows] == sorted(days_back(*range(7)))
    assert {r["Date"] for r in rows if r["provisional"] == "true"} == days_back(0, 1, 2)
    assert {r["provisional"] for r in rows} == {"true", "false"}
    # Another organization's export is its own (a different roster, its own rows).
    assert outsider_client.get("/ai-analytics/daily.csv?range=7").status_code == 200


def test_the_api_daily_rows_flag_exactly_the_lookback_days(usage, admin_client, outsider_client):
    params = {"start": TODAY - timedelta(days=6), "end": TODAY}
    response = admin_client.get(f"/api/v1/orgs/{usage.slug}/usage/daily", params)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["date"] for r in rows if r["provisional"] is True} == days_back(0, 1, 2)
    assert {r["date"] for r in rows if r["provisional"] is False} == days_back(3, 4, 5, 6)
    assert outsider_client.get(f"/api/v1/orgs/{usage.slug}/usage/daily", params).status_code == 404


def test_each_tool_uses_its_own_window_on_the_tool_switch(org, member_client):
    for tool in (Tool.CURSOR, Tool.COPILOT):
        for n in range(1, 8):
            ToolOrgDay.objects.create(
                organization=org,
                tool=tool,
                day=TODAY - timedelta(days=n),
                active_people=2,
                people=2,
                requests=5,
            )
    html = member_client.get("/ai-analytics/?tool=all&range=7").content.decode()
    requests = figure(html, "fig-tool-requests")
    by_name = {t["name"]: t for t in requests["data"] if t["name"] != PROVISIONAL_LABEL}
    assert hatched_days(by_name["Cursor"]) == days_back(0, 1, 2)
    assert hatched_days(by_name["GitHub Copilot"]) == days_back(0, 1, 2, 3, 4)  # GitHub's 4 days


def test_mark_provisional_leaves_non_daily_figures_alone():
    fig = charts.model_spend_figure([{"model": "gpt-5", "spend_cents": 100, "cost_per_request_cents": 2}])
    before = json.dumps(fig, sort_keys=True, default=str)
    charts.mark_provisional(fig, TODAY - timedelta(days=2))
    assert json.dumps(fig, sort_keys=True, default=str) == before


def test_nothing_is_marked_when_the_range_ends_before_the_window(usage, member_client):
    end = TODAY - timedelta(days=10)
    html = member_client.get(f"/ai-analytics/?start={end - timedelta(days=6)}&end={end}").content.decode()
    assert PROVISIONAL_LABEL not in json.dumps(figure(html, "fig-requests"))
    assert re.search(r"provisional", figure_text := json.dumps(figure(html, "fig-dau"))) is None, figure_text


def test_the_metering_api_flags_each_tools_own_days(org, admin_client):
    from analytics.models import ToolDay
    from people.models import Person

    ada = Person.objects.create(organization=org, name="Ada", primary_email="ada@acme.test")
    for tool in (Tool.CURSOR, Tool.COPILOT):
        for n in range(0, 8):
            day = TODAY - timedelta(days=n)
            ToolDay.objects.create(organization=org, tool=tool, person=ada, day=day, active=True, requests=3)
            ToolOrgDay.objects.create(
                organization=org, tool=tool, day=day, active_people=1, people=1, requests=3
            )
    params = {"start": TODAY - timedelta(days=7), "end": TODAY, "grain": "day"}
    rows = admin_client.get(f"/api/v1/orgs/{org.slug}/usage", params).json()["results"]
    flagged = {(r["product"], r["period"]) for r in rows if r["provisional"]}
    settled = {(r["product"], r["period"]) for r in rows if not r["provisional"]}
    assert {p for t, p in flagged if t == "cursor"} <= days_back(0, 1, 2)
    assert {p for t, p in settled if t == "cursor"}.isdisjoint(days_back(0, 1, 2))
    assert {p for t, p in flagged if t == "copilot"} <= days_back(0, 1, 2, 3, 4)
    assert {p for t, p in settled if t == "copilot"}.isdisjoint(days_back(0, 1, 2, 3, 4))
    assert flagged and settled
    weeks = admin_client.get(f"/api/v1/orgs/{org.slug}/usage", {**params, "grain": "week"}).json()["results"]
    # The week holding today is provisional; a week that ended before the window is not.
    latest = max(r["period"] for r in weeks)
    assert all(r["provisional"] for r in weeks if r["period"] == latest)
