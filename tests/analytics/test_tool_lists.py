"""The Tools page's counts done in SQL equal a naive computation over the stored rows: people in
several tools, the seats held in both Cursor and Copilot (with the row cap), Copilot's idle
seats, the Claude Code roster gap and each tool's own per-day totals. Edge cases: a person
active in one tool only, a seat with no activity, no Copilot at all, a long list cut at 100
rows with the "more" line."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from analytics.models import (
    ClaudeCodeActorDay,
    ClaudeCodeModelDay,
    ClaudeCodeUser,
    CopilotSeat,
    CopilotUserDay,
    CursorMember,
    Tool,
    ToolDay,
)
from analytics.selectors import claude_code as claude_code_selectors
from analytics.selectors.overlap import tool_overlap
from analytics.selectors.tools import SeatPrice, copilot_idle_seats, seat_overlap, tool_summaries
from analytics.services.tool_days import refresh_claude_code_tool_days, refresh_copilot_tool_days
from people.models import Person
from tests.fixtures.analytics_data import rebuild_from_facts

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 1)  # its 30-day window spans three months (30 Jan – 1 Mar)
PRICES = {
    Tool.CURSOR: SeatPrice(4000, False),
    Tool.COPILOT: SeatPrice(1900, True),
    Tool.CLAUDE_CODE: SeatPrice(0, False),
}
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def at(days_ago: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=7
    )


@pytest.fixture
def people(org):
    """40 people with random seats and 70 days of random activity in the three tools (seeded:
    the same data every run), a few named alike to test the order, some without a name."""
    rng = random.Random(18)
    names = ["Ann Lee", "anna", "Bob", "bob", "Émile", "zoë", "", "O'Neil"]
    out = []
    for i in range(40):
        name = names[i] if i < len(names) else f"Person {rng.randint(0, 999):03d}"
        person = Person.objects.create(organization=org, name=name, primary_email=f"p{i}@acme.test")
        out.append(person)
        if rng.random() < 0.8:
            CursorMember.objects.create(
                organization=org, person=person, email=person.primary_email, name=name,
                is_removed=rng.random() < 0.1, not_in_roster=rng.random() < 0.05,
            )  # fmt: skip
        if rng.random() < 0.7:
            last = rng.choice([None, 0, 5, 13, 14, 15, 29, 30, 31, 60])
            CopilotSeat.objects.create(
                organization=org, person=person if rng.random() < 0.9 else None, login=f"gh{i}",
                synced_at=NOW, last_activity_at=at(last) if last is not None else None,
                seat_created_at=at(rng.choice([3, 20, 100])) if rng.random() < 0.9 else None,
                removed_at=NOW if rng.random() < 0.1 else None,
                pending_cancellation_date=date(2026, 4, 1) if rng.random() < 0.2 else None,
            )  # fmt: skip
        for tool in Tool.values:
            if rng.random() < 0.5:
                for d in rng.sample(range(70), rng.randint(1, 12)):
                    ToolDay.objects.create(
                        organization=org, tool=tool, person=person, day=TODAY - timedelta(days=d),
                        active=rng.random() < 0.85,
                    )  # fmt: skip
    rebuild_from_facts(org)  # the per-month activity bitmasks the SQL reads
    return out


# -- naive computations -------------------------------------------------------------------------


def active_days(org, start, end) -> dict[tuple[int, str], list[date]]:
    days: dict = {}
    for f in ToolDay.objects.filter(organization=org, active=True, day__range=(start, end)):
        days.setdefault((f.person_id, f.tool), []).append(f.day)
    return days


def naive_overlap(org, today, window=30) -> list[dict]:
    start = today - timedelta(days=window - 1)
    cursor = {
        m.person_id
        for m in CursorMember.objects.filter(organization=org, is_removed=False, not_in_roster=False)
        if m.person_id
    }
    copilot = {}
    for s in CopilotSeat.objects.filter(organization=org, removed_at__isnull=True, person__isnull=False):
        copilot[s.person_id] = min(copilot.get(s.person_id, s.login), s.login)
    days = active_days(org, start, today)
    rows = []
    for pid in cursor & copilot.keys():
        person = Person.objects.get(pk=pid)
        c, g = days.get((pid, Tool.CURSOR), []), days.get((pid, Tool.COPILOT), [])
        uses, drop, cents = {
            (True, True): ("both", "", 0),
            (True, False): ("cursor", "copilot", 1900),
            (False, True): ("copilot", "cursor", 4000),
            (False, False): ("neither", "both", 5900),
        }[(bool(c), bool(g))]
        rows.append(
            {
                "person_id": pid, "name": person.name or person.primary_email, "email": person.primary_email,
                "github_login": copilot[pid], "cursor_days": len(c), "copilot_days": len(g),
                "cursor_last": max(c, default=None), "copilot_last": max(g, default=None),
                "uses": uses, "drop": drop, "saving_cents": cents,
            }
        )  # fmt: skip
    return sorted(rows, key=lambda r: (-r["saving_cents"], r["name"].lower(), r["person_id"]))


def naive_idle(org, today) -> list[dict]:
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
    seats = CopilotSeat.objects.filter(organization=org, removed_at__isnull=True)
    far = datetime.max.replace(tzinfo=UTC)
    rows = []
    for s in sorted(seats, key=lambda s: (s.last_activity_at or far, s.login)):
        since = s.last_activity_at or s.seat_created_at
        if since is None or since > now - timedelta(days=14):
            continue
        rows.append(
            {
                "login": s.login,
                "name": (s.person.name or s.person.primary_email) if s.person else s.login,
                "last_activity_at": s.last_activity_at,
                "idle_days": 30 if since <= now - timedelta(days=30) else 14,
                "pending_cancellation_date": s.pending_cancellation_date,
            }
        )
    return rows


# -- seats in both tools ------------------------------------------------------------------------


def test_the_seat_overlap_equals_a_naive_computation(org, people):
    expected = naive_overlap(org, TODAY)
    got = seat_overlap(org, TODAY, prices=PRICES)
    assert len(expected) > 10 and {r["uses"] for r in expected} == {"both", "cursor", "copilot", "neither"}
    assert got["rows"] == expected
    assert got["people"] == len(expected)
    assert got["saving_cents"] == sum(r["saving_cents"] for r in expected)
    assert (got["start"], got["end"]) == (date(2026, 1, 31), TODAY)


def test_the_seat_overlap_cut_keeps_the_order_and_every_rows_totals(org, people):
    expected = naive_overlap(org, TODAY)
    got = seat_overlap(org, TODAY, prices=PRICES, limit=5)
    assert got["rows"] == expected[:5]
    assert got["people"] == len(expected) > 5
    assert got["saving_cents"] == sum(r["saving_cents"] for r in expected)


@pytest.mark.parametrize("today", [date(2026, 2, 28), date(2026, 1, 15), date(2026, 3, 31)])
def test_the_seat_overlap_window_within_and_across_months(org, people, today):
    assert seat_overlap(org, today, prices=PRICES)["rows"] == naive_overlap(org, today)


def test_a_person_active_in_one_tool_only(org):
    ann = Person.objects.create(organization=org, name="Ann", primary_email="ann@acme.test")
    CursorMember.objects.create(organization=org, person=ann, email=ann.primary_email)
    CopilotSeat.objects.create(organization=org, person=ann, login="ann", synced_at=NOW)
    for d in (0, 1, 33):  # day 33 is outside the 30 days
        ToolDay.objects.create(
            organization=org, tool=Tool.CURSOR, person=ann, day=TODAY - timedelta(days=d), active=True
        )
    rebuild_from_facts(org)
    (row,) = seat_overlap(org, TODAY, prices=PRICES)["rows"]
    assert (row["uses"], row["drop"], row["saving_cents"]) == ("cursor", "copilot", 1900)
    assert (row["cursor_days"], row["cursor_last"], row["copilot_days"], row["copilot_last"]) == (
        2,
        TODAY,
        0,
        None,
    )
    overlap = tool_overlap(org, TODAY - timedelta(days=29), TODAY)
    assert overlap == {"people": 1, "by_count": {1: 1, 2: 0, 3: 0}, "combos": [], "by_tool": {Tool.CURSOR: 1}}


def test_without_copilot_nobody_is_in_both_and_no_seat_is_idle(org, people):
    CopilotSeat.objects.filter(organization=org).delete()
    assert seat_overlap(org, TODAY, prices=PRICES) == {
        "rows": [], "people": 0, "saving_cents": 0, "start": date(2026, 1, 31), "end": TODAY
    }  # fmt: skip
    idle = copilot_idle_seats(org, TODAY, price=PRICES[Tool.COPILOT], limit=100)
    assert idle == {
        "idle_14": [],
        "idle_30": [],
        "idle_14_count": 0,
        "idle_30_count": 0,
        "monthly_saving_cents": 0,
    }


# -- Copilot's idle seats -----------------------------------------------------------------------


@pytest.mark.parametrize("limit", [None, 3])
def test_the_idle_seats_equal_a_naive_computation(org, people, limit):
    expected = naive_idle(org, TODAY)
    got = copilot_idle_seats(org, TODAY, price=PRICES[Tool.COPILOT], limit=limit)
    idle_30 = [r for r in expected if r["idle_days"] == 30]
    assert len(expected) > 3 and 0 < len(idle_30) < len(expected)
    assert got["idle_14"] == expected[:limit]
    assert got["idle_30"] == [r for r in expected[:limit] if r["idle_days"] == 30]
    assert (got["idle_14_count"], got["idle_30_count"]) == (len(expected), len(idle_30))
    assert got["monthly_saving_cents"] == 1900 * sum(1 for r in idle_30 if not r["pending_cancellation_date"])


# -- people in several tools --------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 7, 30, 70])
def test_people_in_several_tools_equal_a_naive_computation(org, people, days):
    start = TODAY - timedelta(days=days - 1)
    tools_of: dict[int, set] = {}
    for (pid, tool), _ in active_days(org, start, TODAY).items():
        tools_of.setdefault(pid, set()).add(tool)
    order = {t: i for i, t in enumerate(Tool.values)}
    combos = Counter(tuple(sorted(t, key=order.get)) for t in tools_of.values() if len(t) > 1)
    got = tool_overlap(org, start, TODAY)
    assert got["people"] == len(tools_of)
    assert got["by_count"] == {n: sum(1 for t in tools_of.values() if len(t) == n) for n in (1, 2, 3)}
    assert [(c["tools"], c["people"]) for c in got["combos"]] == sorted(
        combos.items(), key=lambda kv: (-kv[1], kv[0])
    )
    assert got["by_tool"] == {
        tool: n for tool in Tool.values if (n := sum(1 for t in tools_of.values() if tool in t))
    }
    # The Tools page's active people per tool read these counts; the same as counting again.
    assert [r["active_people"] for r in tool_summaries(org, start, TODAY, prices=PRICES, overlap=got)] == [
        r["active_people"] for r in tool_summaries(org, start, TODAY, prices=PRICES)
    ]


# -- the Claude Code roster gap -----------------------------------------------------------------


def test_the_roster_gap_equals_a_naive_computation(org, other_org):
    for email in ("ada@x.io", "bob@x.io", "cy@x.io", "dee@x.io", "eve@x.io", "user:odd@x.io"):
        ClaudeCodeUser.objects.create(organization=org, user_id=email, email=email, synced_at=NOW)
    ClaudeCodeUser.objects.create(
        organization=org, user_id="gone", email="gone@x.io", synced_at=NOW, removed_at=NOW
    )
    common = {"source": "console", "day": TODAY}
    ClaudeCodeActorDay.objects.create(
        organization=org, actor_type="user_actor", actor_key="user:ada@x.io", email="ada@x.io", **common
    )
    ClaudeCodeModelDay.objects.create(  # seen in the cost rows only, as user:<email>
        organization=org, actor_type="user_actor", actor_key="user:bob@x.io", model="m", **common
    )
    ClaudeCodeModelDay.objects.create(  # a bare email as the actor key
        organization=org, actor_type="user_actor", actor_key="cy@x.io", model="m", **common
    )
    ClaudeCodeModelDay.objects.create(  # an API key named like a member: not a user
        organization=org, actor_type="api_actor", actor_key="api:dee@x.io", model="m", **common
    )
    ClaudeCodeActorDay.objects.create(  # another organization's usage does not count
        organization=other_org, actor_type="user_actor", actor_key="user:eve@x.io", email="eve@x.io", **common
    )
    ClaudeCodeModelDay.objects.create(  # "user:odd@x.io" as a bare key starts with "user:": not that member
        organization=org, actor_type="user_actor", actor_key="user:odd@x.io", model="m", **common
    )
    members = ClaudeCodeUser.objects.filter(organization=org, removed_at__isnull=True)
    seen = set(
        ClaudeCodeActorDay.objects.filter(organization=org, actor_type="user_actor").values_list(
            "email", flat=True
        )
    )
    for key in ClaudeCodeModelDay.objects.filter(organization=org, actor_type="user_actor").values_list(
        "actor_key", flat=True
    ):
        seen.add(key.removeprefix("user:") if key.startswith("user:") else key)
    never = [m.email for m in members if m.email not in seen]
    assert sorted(never) == ["dee@x.io", "eve@x.io", "user:odd@x.io"]
    assert claude_code_selectors.roster_gap(org) == {"members": 6, "never_in_usage": 3}


def test_no_roster_no_gap(org):
    assert claude_code_selectors.roster_gap(org) is None


# -- each tool's own per-day totals -------------------------------------------------------------


def test_the_per_day_totals_equal_the_raw_rows(org):
    rng = random.Random(7)
    start = TODAY - timedelta(days=9)
    for d in range(10):
        day = start + timedelta(days=d)
        for u in range(4):
            CopilotUserDay.objects.create(
                organization=org, login=f"gh{u}", day=day, generations=rng.randint(0, 50),
                acceptances=rng.randint(0, 20),
            )  # fmt: skip
            ClaudeCodeActorDay.objects.create(
                organization=org, source="console", day=day, actor_type="user_actor", actor_key=f"user:u{u}@x.io",
                email=f"u{u}@x.io", is_remote=u == 1, sessions=None if u == 2 else rng.randint(0, 5),
                commits=rng.randint(0, 3), pull_requests=rng.randint(0, 2), lines_added=rng.randint(0, 99),
                lines_removed=rng.randint(0, 9), actions_accepted=rng.randint(0, 9), actions_rejected=rng.randint(0, 4),
            )  # fmt: skip
        ClaudeCodeModelDay.objects.create(
            organization=org, source="console", day=day, actor_type="api_actor", actor_key="api:ci",
            model="m", cost_cents=Decimal("12.345678"),
        )  # fmt: skip
        ClaudeCodeModelDay.objects.create(
            organization=org, source="console", day=day, actor_type="user_actor", actor_key="user:u0@x.io",
            model="m", cost_cents=Decimal("3.5"),
        )  # fmt: skip
    refresh_copilot_tool_days(org.pk, start, TODAY)
    refresh_claude_code_tool_days(org.pk, start, TODAY)
    lo, hi = start + timedelta(days=2), TODAY - timedelta(days=3)  # a range inside the stored days
    g = [r for r in CopilotUserDay.objects.filter(organization=org) if lo <= r.day <= hi]
    a = [r for r in ClaudeCodeActorDay.objects.filter(organization=org) if lo <= r.day <= hi]
    api_costs = [
        m
        for m in ClaudeCodeModelDay.objects.filter(organization=org, actor_type="api_actor")
        if lo <= m.day <= hi
    ]
    assert len(api_costs) == 5
    rows = {r["tool"]: r for r in tool_summaries(org, lo, hi, prices=PRICES)}
    assert rows[Tool.COPILOT]["acceptance_rate"] == pytest.approx(
        sum(r.acceptances for r in g) / sum(r.generations for r in g)
    )
    accepted, rejected = sum(r.actions_accepted for r in a), sum(r.actions_rejected for r in a)
    assert rows[Tool.CLAUDE_CODE]["acceptance_rate"] == pytest.approx(accepted / (accepted + rejected))
    assert claude_code_selectors.own_figures(org, lo, hi) == {
        "sessions": sum(r.sessions or 0 for r in a),
        "remote_sessions": sum(r.sessions or 0 for r in a if r.is_remote),
        "commits": sum(r.commits for r in a),
        "pull_requests": sum(r.pull_requests for r in a),
        "accepted": accepted,
        "rejected": rejected,
        "lines_added": sum(r.lines_added for r in a),
        "lines_removed": sum(r.lines_removed for r in a),
        "api_key_cents": sum(m.cost_cents for m in api_costs),
        "api_keys": ["API key: ci"],
    }
    assert (
        claude_code_selectors.own_figures(org, TODAY + timedelta(days=1), TODAY + timedelta(days=5)) is None
    )


# -- the page: the first 100 rows and the "more" line -------------------------------------------


def test_the_page_shows_100_rows_of_a_long_list_and_says_how_many_more(admin_client, org, monkeypatch):
    monkeypatch.setattr("web.tools_views._today", lambda: TODAY)
    for i in range(105):
        person = Person.objects.create(organization=org, name=f"P{i:03d}", primary_email=f"p{i}@acme.test")
        CursorMember.objects.create(organization=org, person=person, email=person.primary_email)
        CopilotSeat.objects.create(
            organization=org, person=person, login=f"gh{i:03d}", synced_at=NOW, seat_created_at=at(60)
        )
    html = admin_client.get("/ai-analytics/tools/").content.decode()
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    overlap_table = html.split('id="overlap-table"', 1)[1].split("</table>", 1)[0]
    assert overlap_table.count("<tr data-person=") == 100
    assert "P099" in overlap_table and "P100" not in overlap_table
    assert "105 people hold a seat in both tools" in page
    assert "Showing the first 100 of 105 people; the CSV has every one." in page
    idle_table = html.split('id="copilot-idle-table"', 1)[1].split("</table>", 1)[0]
    assert idle_table.split("<tbody>", 1)[1].count("<tr>") == 100
    assert "105 seats without activity for 30 days (105 for 14)" in page
    assert "Showing the first 100 of 105 idle seats" in page
    csv_lines = admin_client.get("/ai-analytics/tools/overlap.csv").content.decode().strip().splitlines()
    assert len(csv_lines) == 1 + 105


def test_a_short_list_has_no_more_line(admin_client, org, monkeypatch):
    monkeypatch.setattr("web.tools_views._today", lambda: TODAY)
    person = Person.objects.create(organization=org, name="Solo", primary_email="solo@acme.test")
    CursorMember.objects.create(organization=org, person=person, email=person.primary_email)
    CopilotSeat.objects.create(
        organization=org, person=person, login="solo", synced_at=NOW, seat_created_at=at(60)
    )
    html = admin_client.get("/ai-analytics/tools/").content.decode()
    assert 'id="overlap-more"' not in html and 'id="copilot-idle-more"' not in html
    assert html.split('id="overlap-table"', 1)[1].count("<tr data-person=") == 1


def test_names_sort_as_python_does_not_as_the_database_collation(org):
    """Lowercased, by code point: "ann lee" before "anna" (a linguistic collation that skips
    spaces would put "anna" first), "bob" and "Bob" by person id, "zoë" before "éva" (é is
    U+00E9, after z; a linguistic collation puts it with the e's). The names column is given a
    linguistic collation (ICU's root) first, so the test fails wherever the read falls back to
    the column's collation: the test database's own C.UTF-8 sorts by code point anyway."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'")
        if cursor.fetchone() is None:
            pytest.skip("PostgreSQL without ICU collations")
        cursor.execute(
            f'ALTER TABLE {Person._meta.db_table} ALTER COLUMN name TYPE varchar(200) COLLATE "und-x-icu"'
        )
    for i, name in enumerate(("zoë", "anna", "Bob", "Ann Lee", "bob", "Éva", "fred")):
        person = Person.objects.create(organization=org, name=name, primary_email=f"p{i}@a.test")
        CursorMember.objects.create(organization=org, person=person, email=person.primary_email)
        CopilotSeat.objects.create(organization=org, person=person, login=f"gh{i}", synced_at=NOW)
    names = [r["name"] for r in seat_overlap(org, TODAY, prices=PRICES)["rows"]]
    assert names == ["Ann Lee", "anna", "Bob", "bob", "fred", "zoë", "Éva"]
