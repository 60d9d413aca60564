"""Claude Code beside Cursor and Copilot: the Tools page row and its own figures (equal to the
stored rows), the roster-gap caveat, the overlap of people active in two or three tools, the
dashboard's tool switch and the metering API's product=claude_code, for every persona."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from analytics.models import Tool, ToolDay
from analytics.selectors.overlap import tool_overlap
from analytics.services import refresh_after_sync
from analytics.services.claude_code import store_console_day, upsert_claude_code_users
from integrations.claude_code.records import parse_console_row, parse_roster_user
from people.models import Person
from tests.fixtures.analytics_data import rebuild_from_facts

from .fakes import console_row
from .test_views import text as page_text

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
TOOLS, DASHBOARD, METERING = "/ai-analytics/tools/", "/ai-analytics/", "/api/v1/orgs/{}/usage"


def text(response) -> str:
    return re.sub(r"<[^>]+>", "", page_text(response))


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr("web.tools_views._today", lambda: TODAY)
    monkeypatch.setattr("web.views._today", lambda: TODAY)


def day(n: int) -> date:
    return TODAY - timedelta(days=n)


@pytest.fixture
def claude(org):
    """Three days of Claude Code: ada (local + remote), bob, and the ci-bot API key; a roster of
    four (dee never appears: the subscription-seat gap)."""
    upsert_claude_code_users(
        org.pk,
        [parse_roster_user({"id": f"u{n}", "email": f"{n}@x.io"}) for n in ("ada", "bob", "cy", "dee")],
        NOW,
    )
    for n in range(3):
        d = day(n).isoformat()
        rows = [
            console_row("ada@x.io", d, added=100, removed=10, commits=2, prs=1, sessions=3),
            console_row("ada@x.io", d, remote=True, added=5, removed=0, commits=0, prs=0, sessions=1),
            console_row("bob@x.io", d, added=50, removed=5, commits=1, prs=0, sessions=2,
                        tool_actions={"edit_tool": {"accepted": 3, "rejected": 3}}),
            console_row(day=d, api_key="ci-bot", added=7, removed=1, commits=1, prs=1, sessions=1),
        ]  # fmt: skip
        store_console_day(org.pk, day(n), [parse_console_row(r) for r in rows], NOW)
    refresh_after_sync(org.pk, Tool.CLAUDE_CODE, day(2), day(0))
    return org


def test_the_tools_page_row_equals_the_stored_figures(admin_client, claude):
    response = admin_client.get(TOOLS, {"range": "7"})
    assert response.status_code == 200
    row = next(t for t in response.context["data"].tools if t["tool"] == Tool.CLAUDE_CODE)
    assert row["seats"] == 4 and row["active_people"] == 2
    # Every row costs 42 cents (one model each); 4 rows a day (ada ×2, bob, ci-bot) × 3 days.
    assert row["usage_cents"] == Decimal(42 * 4 * 3)
    assert row["cost_per_active_cents"] == Decimal(42 * 4 * 3) / 2
    assert row["accepted_lines"] == (100 + 5 + 50 + 7) * 3
    assert row["acceptance_rate"] == pytest.approx((5 + 5 + 3 + 5) / (6 + 6 + 6 + 6))
    assert row["cost_is_estimate"]
    own = response.context["data"].claude_code
    assert (own["commits"], own["pull_requests"], own["sessions"], own["remote_sessions"]) == (12, 6, 21, 3)
    assert own["api_keys"] == ["API key: ci-bot"] and own["api_key_cents"] == 42 * 3
    body = text(response)
    assert "API key: ci-bot" in body and "Commits by Claude Code" in body
    assert "Known gap" in body and "2 of 4" in body  # cy and dee never appear


def test_a_member_sees_the_aggregates_and_no_names(member_client, claude):
    response = member_client.get(TOOLS, {"range": "7"})
    assert response.status_code == 200
    assert any(t["tool"] == Tool.CLAUDE_CODE for t in response.context["data"].tools)
    body = text(response)
    assert "ada@x.io" not in body and "bob@x.io" not in body


def test_an_outsider_sees_none_of_it(outsider_client, claude):
    response = outsider_client.get(TOOLS, {"range": "7"})
    assert not any(t["tool"] == Tool.CLAUDE_CODE for t in response.context["data"].tools)
    assert "ci-bot" not in text(response)


def test_overlap_counts_people_in_one_two_and_three_tools(org, claude):
    ada = Person.objects.get(organization=org, primary_email="ada@x.io")
    bob = Person.objects.get(organization=org, primary_email="bob@x.io")
    cy = Person.objects.create(organization=org, primary_email="cy@x.io")
    for person, tools in ((ada, (Tool.CURSOR, Tool.COPILOT)), (bob, (Tool.CURSOR,)), (cy, (Tool.COPILOT,))):
        for tool in tools:
            ToolDay.objects.create(organization=org, tool=tool, person=person, day=day(1), active=True)
    ToolDay.objects.create(
        organization=org, tool=Tool.COPILOT, person=bob, day=day(40), active=True
    )  # outside
    rebuild_from_facts(org)
    overlap = tool_overlap(org, day(6), TODAY)
    assert overlap["people"] == 3 and overlap["by_count"] == {1: 1, 2: 1, 3: 1}
    assert [(c["labels"], c["people"]) for c in overlap["combos"]] == [
        ("Cursor + Claude Code", 1),
        ("Cursor + GitHub Copilot + Claude Code", 1),
    ]


def test_the_tools_page_shows_the_overlap(admin_client, org, claude):
    ada = Person.objects.get(organization=org, primary_email="ada@x.io")
    ToolDay.objects.create(organization=org, tool=Tool.CURSOR, person=ada, day=day(1), active=True)
    rebuild_from_facts(org)
    body = text(admin_client.get(TOOLS, {"range": "7"}))
    assert "People active in more than one tool" in body and "Cursor + Claude Code" in body


def test_the_tool_switch_offers_claude_code_and_all_three(admin_client, claude):
    response = admin_client.get(DASHBOARD, {"tool": "claude_code", "range": "7"})
    assert response.status_code == 200
    (summary,) = response.context["data"].summaries
    assert summary["tool"] == "claude_code" and summary["active_people"] == 2
    assert summary["cost_cents"] == Decimal(42 * 4 * 3) and summary["cost_is_estimate"]
    assert summary["models"][0]["unit"] == "output tokens"
    response = admin_client.get(DASHBOARD, {"tool": "all", "range": "7"})
    fig = next(f["script"] for f in response.context["figures"] if f["id"] == "fig-tool-dau")
    data = json.loads(re.search(r">(.*)</script>", str(fig), re.S).group(1))
    traces = {t["name"]: t["y"] for t in data["data"]}
    assert set(traces) == {"Cursor", "GitHub Copilot", "Claude Code"}
    assert traces["Claude Code"][-3:] == [2, 2, 2]
    assert "Claude Code" in text(admin_client.get(DASHBOARD))  # the switch on Cursor's dashboard


def test_metering_api_product_claude_code(admin_client, member_client, outsider_client, org, claude):
    url = METERING.format(org.slug)
    body = admin_client.get(url, {"start": day(2), "end": TODAY, "product": "claude_code"}).json()
    assert {r["product"] for r in body["results"]} == {"claude_code"} and len(body["results"]) == 3
    metrics = body["results"][0]["metrics"]
    assert metrics["cost_is_estimate"] is True and metrics["usage_events"] is None
    by_user = admin_client.get(
        url, {"start": day(2), "end": TODAY, "product": "claude_code", "group_by": "user"}
    ).json()
    assert {r["key"] for r in by_user["results"]} == {"ada@x.io", "bob@x.io"}  # the API key is nobody
    assert (
        member_client.get(url, {"start": day(2), "end": TODAY, "product": "claude_code"}).status_code == 200
    )
    window = {"start": day(2), "end": TODAY, "product": "claude_code"}
    assert member_client.get(url, {**window, "group_by": "user"}).status_code == 403
    assert outsider_client.get(url, window).status_code == 404


def test_each_persons_page_lists_their_tools(admin_client, member_client, member_user, org, claude):
    from analytics.models import CursorMember

    ada = Person.objects.get(organization=org, primary_email="ada@x.io")
    member = CursorMember.objects.create(organization=org, email="ada@x.io", name="Ada", person=ada)
    ToolDay.objects.create(
        organization=org, tool=Tool.CURSOR, person=ada, day=day(1), active=True, accepted_lines=9
    )
    response = admin_client.get(f"/ai-analytics/members/{member.pk}/", {"range": "7"})
    rows = {r["tool"]: r for r in response.context["person_tools"]}
    assert set(rows) == {"cursor", "claude_code"}
    assert rows["claude_code"]["active_days"] == 3 and rows["claude_code"]["accepted_lines"] == 105 * 3
    assert rows["claude_code"]["cost_cents"] == Decimal(42 * 2 * 3) and rows["claude_code"]["estimate"]
    assert "AI tools used" in text(response)
    # A member sees their own page only.
    assert member_client.get(f"/ai-analytics/members/{member.pk}/").status_code == 403
    own = CursorMember.objects.create(organization=org, email=member_user.email, name="Me")
    assert member_client.get("/ai-analytics/me/").context["person_tools"] == []
    assert own.person_id is None


def test_metering_by_model_includes_api_keys(admin_client, org, claude):
    from analytics.selectors.metering import usage_metering

    records = usage_metering(org, day(2), TODAY, grain="month", group_by="model", product="claude_code")
    (record,) = records  # every row of the fixture is claude-sonnet-5
    assert record["key"] == "claude-sonnet-5" and record["product"] == "claude_code"
    assert record["metrics"]["cost_cents"] == Decimal(42 * 4 * 3)  # ada ×2, bob and ci-bot, 3 days
    assert record["metrics"]["tokens"]["input"] == 1000 * 4 * 3
    assert record["metrics"]["active_users"] == 2 and record["metrics"]["cost_is_estimate"] is True
    assert record["metrics"]["usage_events"] is None
    body = admin_client.get(METERING.format(org.slug), {"start": day(2), "end": TODAY, "product": "claude_code",
                                                        "group_by": "model", "grain": "month"}).json()  # fmt: skip
    assert body["results"][0]["metrics"]["cost_cents"] == 42 * 4 * 3
