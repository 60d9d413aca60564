"""The dashboard's tool switch: Cursor (the existing dashboard), Copilot and All read ToolOrgDay,
each tool on the same axes, with per-tool figures equal to the stored facts."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from analytics.models import Tool, ToolDay, ToolOrgDay
from people.models import Person
from tests.fixtures.analytics_data import rebuild_from_facts

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
URL = "/ai-analytics/"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr("web.tools_views._today", lambda: TODAY)
    monkeypatch.setattr("web.views._today", lambda: TODAY)


@pytest.fixture
def facts(org):
    ada = Person.objects.create(
        organization=org, name="Ada", primary_email="ada@acme.test", github_login="ada"
    )
    bob = Person.objects.create(organization=org, name="Bob", primary_email="bob@acme.test")
    for tool, person, ago in [
        (Tool.COPILOT, ada, 1),
        (Tool.COPILOT, ada, 2),
        (Tool.CURSOR, bob, 1),
        (Tool.CURSOR, ada, 3),
    ]:
        ToolDay.objects.create(
            organization=org, tool=tool, person=person, day=TODAY - timedelta(days=ago), active=True
        )
    ToolOrgDay.objects.create(
        organization=org, tool=Tool.COPILOT, day=TODAY - timedelta(days=1), active_people=1, people=1,
        requests=12, cost_cents=Decimal("250"), cost_is_estimate=True,
    )  # fmt: skip
    ToolOrgDay.objects.create(
        organization=org, tool=Tool.COPILOT, day=TODAY - timedelta(days=2), active_people=1, people=1,
        requests=8, cost_cents=Decimal("50"), cost_is_estimate=True,
    )  # fmt: skip
    ToolOrgDay.objects.create(
        organization=org, tool=Tool.CURSOR, day=TODAY - timedelta(days=1), active_people=1, people=1,
        requests=30, cost_cents=Decimal("999"),
    )  # fmt: skip
    rebuild_from_facts(org)  # the facts were written by hand: derive what a refresh would


def test_all_shows_each_tool_on_the_same_axes(member_client, facts):
    response = member_client.get(URL, {"tool": "all", "range": "7"})
    assert response.status_code == 200
    summaries = {s["tool"]: s for s in response.context["data"].summaries}
    assert (summaries["copilot"]["active_people"], summaries["copilot"]["requests"]) == (1, 20)
    assert summaries["copilot"]["cost_cents"] == Decimal("300") and summaries["copilot"]["cost_is_estimate"]
    assert (summaries["cursor"]["active_people"], summaries["cursor"]["requests"]) == (2, 30)
    page = response.content.decode()
    assert 'id="tool-switch"' in page and "(estimate)" in page
    assert "Ada" not in page and "ada@acme.test" not in page  # aggregates only, for every persona


def test_the_dau_chart_has_one_trace_per_tool_with_gaps_for_unreported_days(admin_client, facts):
    response = admin_client.get(URL, {"tool": "all", "range": "7"})
    ids = [f["id"] for f in response.context["figures"]]
    assert ids == ["fig-tool-dau", "fig-tool-requests", "fig-tool-cost"]
    fig_script = next(f["script"] for f in response.context["figures"] if f["id"] == "fig-tool-dau")
    data = json.loads(re.search(r">(.*)</script>", str(fig_script), re.S).group(1))
    traces = {t["name"]: t["y"] for t in data["data"]}
    assert set(traces) == {"Cursor", "GitHub Copilot"}
    assert traces["GitHub Copilot"][-3:] == [1, 1, None]  # today: no report, not zero


def test_copilot_only(admin_client, facts):
    response = admin_client.get(URL, {"tool": "copilot"})
    assert [s["tool"] for s in response.context["data"].summaries] == ["copilot"]


def test_cursor_is_the_default_dashboard_with_the_switch(admin_client, facts):
    response = admin_client.get(URL)
    assert (
        response.status_code == 200
        and "data" not in response.context
        or response.context.get("tool") == "cursor"
    )
    assert 'id="tool-switch"' in response.content.decode()
    assert admin_client.get(URL, {"tool": "bard"}).status_code == 200  # unknown: the Cursor view


def test_outsider_sees_only_their_own_org(outsider_client, facts):
    response = outsider_client.get(URL, {"tool": "all"})
    assert all(not s["has_data"] for s in response.context["data"].summaries)
