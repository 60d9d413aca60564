"""Every figure a page shows is in an API response, with the same value: the seeded team tree,
today pinned to END, each page's cards and table cells (as the page rendered them, read from
its context) looked up in the endpoint that serves them (issue 14)."""

from datetime import date
from decimal import Decimal

import pytest

from web import tables
from web.pages import teams as teams_page
from web.pages import usage

from .conftest import PAGE_RANGE, RANGE

pytestmark = pytest.mark.django_db
ORG = "/api/v1/orgs/acme/"


def same(page_value, api_value) -> bool:
    """A page's value and the API's JSON rendering of it: dates as ISO days, money as numbers."""
    if page_value is None or api_value is None:
        return page_value is None and api_value is None
    if isinstance(page_value, date):
        return page_value.isoformat() == str(api_value)[:10]
    if isinstance(page_value, int | float | Decimal) and not isinstance(page_value, bool):
        return abs(Decimal(str(page_value)) - Decimal(str(api_value))) <= Decimal("0.000001") * max(
            1, abs(Decimal(str(page_value)))
        )
    return page_value == api_value


def test_same_tells_values_apart():
    assert (
        same(Decimal("12.345"), 12.345)
        and same(date(2026, 3, 1), "2026-03-01T00:00:00Z")
        and same(None, None)
    )
    assert (
        not same(Decimal("12.34"), 12.35) and not same(0, None) and not same(date(2026, 3, 1), "2026-03-02")
    )


def assert_cards(stats, api_head, declared):
    """Each rendered card: its value and previous value are the API's, and its text is the
    card's format of the API's value."""
    cards = {c.key: c for c in declared}
    assert stats, "the page rendered no cards"
    for stat in stats:
        figure = api_head[stat["key"]]
        assert same(stat["figure"]["value"], figure["value"]), stat["key"]
        assert same(stat["figure"]["previous"], figure["previous"]), stat["key"]
        assert stat["value"] == cards[stat["key"]].format(figure["value"]), stat["key"]


def api_rows(client, path, query, key):
    body = client.get(ORG + path, {**query, "limit": 1000}).json()
    return {row[key]: row for row in body["results"]}


def test_the_dashboard_cards_and_member_table(page, api):
    context = page("owner").get("/ai-analytics/", PAGE_RANGE).context
    head = api("owner").get(ORG + "usage/headline", RANGE).json()
    assert_cards(context["stats"], head, usage.CARDS)
    assert {s["key"] for s in context["stats"]} >= {"avg_dau", "active_share", "spend_cents"}
    # WAU and MAU are in the first card's line under the figure.
    assert f"WAU {head['wau']['value']:,} · MAU {head['mau']['value']:,}" == context["stats"][0]["sub"]
    members = api_rows(api("owner"), "usage/members", RANGE, "email")
    page_rows = list(context["member_table"]["page"].object_list)
    assert len(page_rows) == context["member_table"]["count"] == len(members)
    for row in page_rows:
        for key, _, _kind in tables.MEMBER_COLUMNS:
            if key != "name":
                assert same(row[key], members[row["email"]][key]), (row["email"], key)


def test_the_team_dashboard_cards(page, api):
    context = page("lead").get("/ai-analytics/", {**PAGE_RANGE, "team": "platform"}).context
    head = api("lead").get(ORG + "teams/platform/headline", RANGE).json()
    assert_cards(context["stats"], head, teams_page.TEAM_CARDS)


def test_my_usage_cards_cycle_spend_and_tools(page, api):
    context = page("member").get("/ai-analytics/me/", PAGE_RANGE).context
    head = api("member").get(ORG + "usage/headline", {**RANGE, "member": "dev3@acme.test"}).json()
    assert_cards(context["stats"], head, usage.CARDS)
    for key in ("overall_spend_cents", "spend_cents", "cycle_start"):
        value = context["cycle_spend"][key]
        assert same(value.date() if key == "cycle_start" else value, head["cycle_spend"][key]), key
    mine = api("member").get(ORG + "me/teams", RANGE).json()
    assert mine["teams"] and [t.slug for t in context["own_teams"]] == [t["slug"] for t in mine["teams"]]
    for key, value in context["own_figures"].items():
        assert same(value, mine["own"][key]), key
    for row, api_row in zip(context["own_teams"], mine["teams"], strict=True):
        assert (row.seats, row.active_people, row.hidden) == (
            api_row["seats"],
            api_row["active_people"],
            api_row["hidden"],
        )
        for key, value in row.average.items():
            assert same(value, api_row["average"][key]), key
    tools = {t["tool"]: t for t in head["tools"]}
    for row in context["person_tools"]:
        for key in ("active_days", "accepted_suggestions", "accepted_lines", "cost_cents", "last_day"):
            assert same(row[key], tools[row["tool"]][key]), key


def test_the_spend_review(page, api):
    context = page("admin").get("/ai-analytics/spend/").context
    body = api("admin").get(ORG + "spend/review").json()
    o = context["overview"]
    for key in ("cycle_start", "cycle_end", "cycle_days", "days_elapsed", "total_cents", "projected_cents",
                "daily_rate_cents", "seat_price_cents", "monthly_saving_cents", "monthly_saving_14_cents"):  # fmt: skip
        assert same(o[key], body[key]), key
    assert (len(o["idle_30"]), len(o["idle_14"])) == (body["idle_30"], body["idle_14"])
    for page_row, api_row in zip(o["top_spenders"], body["top_spenders"], strict=True):
        for key in ("email", "overall_spend_cents", "spend_cents", "effective_per_user_limit_dollars"):
            assert same(page_row[key], api_row[key]), key
    for page_row, api_row in zip(o["by_model"], body["by_model"], strict=True):
        for key in ("model", "usage_events", "spend_cents", "cost_per_request_cents"):
            assert same(page_row[key], api_row[key]), key
    idle = api_rows(api("admin"), "seats/idle", {}, "email")
    for row in context["idle_rows"]:
        assert same(row["last_seen"], idle[row["email"]]["last_active"])
        assert row["idle_days"] == idle[row["email"]]["idle_days"]
    spend = {m["email"]: m for m in api("admin").get(ORG + "spend").json()["members"]}
    for row in context["view_table"]["page"].object_list:
        for key in ("spend_cents", "overall_spend_cents", "fast_premium_requests"):
            assert same(row[key], spend[row["email"]][key]), key


def test_the_tools_page_and_the_tool_switch(page, api):
    context = page("member").get("/ai-analytics/tools/", PAGE_RANGE).context
    body = api("member").get(ORG + "tools", RANGE).json()
    tools = {t["tool"]: t for t in body["tools"]}
    assert [t["tool"] for t in context["data"].tools] == list(tools)
    for row in context["data"].tools:
        for key in ("seats", "active_people", "active_share", "usage_cents", "cost_per_active_cents",
                    "acceptance_rate", "accepted_lines", "suggested_lines", "requests"):  # fmt: skip
            assert same(row[key], tools[row["tool"]][key]), key
    assert context["data"].tool_overlap["people"] == body["tool_overlap"]["people"]
    switch = page("member").get("/ai-analytics/", {**PAGE_RANGE, "tool": "all"}).context["data"]
    days = api("member").get(ORG + "usage/tools", {**RANGE, "limit": 1000}).json()["results"]
    for summary in switch.summaries:
        if not summary["has_data"]:
            continue
        api_tool = tools[summary["tool"]]
        for key, api_key in (("active_people", "active_people"), ("requests", "requests"),
                             ("cost_cents", "usage_cents"), ("acceptance_rate", "acceptance_rate")):  # fmt: skip
            assert same(summary[key], api_tool[api_key]), key
        per_day = {d["date"]: d for d in days if d["tool"] == summary["tool"]}
        for day, row in switch.daily[summary["tool"]].items():
            assert same(row["active_people"], per_day[day.isoformat()]["active_people"])


def test_the_team_comparison(page, api):
    for persona in ("member", "lead"):
        context = page(persona).get("/ai-analytics/teams/", PAGE_RANGE).context
        rows = api_rows(api(persona), "teams/compare", RANGE, "team")
        assert [item["row"].key for item in context["rows"]] == list(rows)
        api_key = {"active": "active_people", "sparkline": "daily_active"}
        for item in context["rows"]:
            r = item["row"]
            for column in teams_page.COLUMNS[1:]:
                if column.kind != "text":
                    assert same(getattr(r, column.key), rows[r.key][api_key.get(column.key, column.key)]), (
                        column.key
                    )
