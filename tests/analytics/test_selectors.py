"""Selectors against sums computed here from the stored raw rows (DailyUsage, UsageEvent,
SpendSnapshot), never from the rollups the selectors read."""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from analytics import selectors
from analytics.models import CursorMember, DailyUsage, SpendSnapshot, UsageEvent
from tests.fixtures.analytics_data import seed_usage

pytestmark = pytest.mark.django_db


def today():
    return datetime.now(UTC).date()


@pytest.fixture
def two_orgs(org, other_org):
    seed_usage(org, members=7, days=40, seed=3, idle_members=2)
    seed_usage(other_org, members=4, days=40, seed=4)
    return org, other_org


def test_daily_series_equals_sums_of_stored_rows_and_is_zero_filled(two_orgs):
    org, _ = two_orgs
    end = today()
    start = end - timedelta(days=44)  # five days before the data starts
    series = selectors.daily_series(org, start, end)
    assert [r["day"] for r in series] == [start + timedelta(days=i) for i in range(45)]
    for row in series:
        daily = DailyUsage.objects.filter(organization=org, day=row["day"])
        events = UsageEvent.objects.filter(organization=org, day=row["day"])
        assert row["agent_requests"] == sum(d.agent_requests for d in daily)
        assert row["tabs_accepted"] == sum(d.total_tabs_accepted for d in daily)
        assert row["accepted_lines_added"] == sum(d.accepted_lines_added for d in daily)
        assert row["usage_events"] == events.count()
        assert row["spend_cents"] == sum((e.charged_cents for e in events), Decimal(0))
        active = {d.member_id for d in daily if d.is_active} | {e.member_id for e in events}
        assert row["active_users"] == len(active)
    assert series[0]["agent_requests"] == 0 and series[0]["spend_cents"] == 0


def test_daily_series_for_one_member_and_one_model(two_orgs):
    org, other_org = two_orgs
    member = CursorMember.objects.filter(organization=org).order_by("email").first()
    end, start = today(), today() - timedelta(days=9)
    series = selectors.daily_series(org, start, end, member=member, model="gpt-5")
    for row in series:
        daily = DailyUsage.objects.filter(organization=org, member=member, day=row["day"]).first()
        events = UsageEvent.objects.filter(organization=org, member=member, day=row["day"], model="gpt-5")
        assert row["chat_requests"] == (daily.chat_requests if daily else 0)
        assert row["usage_events"] == events.count()
        assert row["spend_cents"] == sum((e.charged_cents for e in events), Decimal(0))
    # Another organization's member yields nothing, not their data.
    stranger = CursorMember.objects.filter(organization=other_org).first()
    assert all(r["usage_events"] == 0 for r in selectors.daily_series(org, start, end, member=stranger))


def test_model_filter_narrows_event_fields_only(two_orgs):
    org, _ = two_orgs
    end, start = today(), today() - timedelta(days=6)
    everything = selectors.daily_series(org, start, end)
    one_model = selectors.daily_series(org, start, end, model="auto")
    for a, b in zip(everything, one_model, strict=True):
        assert a["agent_requests"] == b["agent_requests"]
        expected = UsageEvent.objects.filter(organization=org, day=a["day"], model="auto").count()
        assert b["usage_events"] == expected


def test_model_usage_counts_distinct_users_over_the_range(two_orgs):
    org, _ = two_orgs
    end, start = today(), today() - timedelta(days=13)
    events = UsageEvent.objects.filter(organization=org, day__range=(start, end))
    counts, users, spend = Counter(), defaultdict(set), defaultdict(Decimal)
    for e in events:
        counts[e.model] += 1
        users[e.model].add(e.member_id)
        spend[e.model] += e.charged_cents
    rows = selectors.model_usage(org, start, end)
    assert {r["model"]: r["usage_events"] for r in rows} == dict(counts)
    assert {r["model"]: r["users"] for r in rows} == {m: len(u) for m, u in users.items()}
    assert {r["model"]: r["spend_cents"] for r in rows} == dict(spend)
    assert [r["usage_events"] for r in rows] == sorted(counts.values(), reverse=True)


def test_headline_figures_and_previous_period(two_orgs):
    org, _ = two_orgs
    end = today()
    start = end - timedelta(days=6)
    prev_start, prev_end = start - timedelta(days=7), start - timedelta(days=1)
    h = selectors.headline(org, start, end)

    def sums(a, b):
        daily = DailyUsage.objects.filter(organization=org, day__range=(a, b))
        events = UsageEvent.objects.filter(organization=org, day__range=(a, b))
        accepts = sum(d.total_accepts for d in daily)
        rejects = sum(d.total_rejects for d in daily)
        active_days = defaultdict(set)
        for d in daily:
            if d.is_active:
                active_days[d.day].add(d.member_id)
        for e in events:
            active_days[e.day].add(e.member_id)
        return {
            "requests": sum(
                d.agent_requests + d.chat_requests + d.composer_requests + d.cmdk_usages for d in daily
            ),
            "rate": accepts / (accepts + rejects),
            "tab_rate": sum(d.total_tabs_accepted for d in daily) / sum(d.total_tabs_shown for d in daily),
            "accepted_lines": sum(d.accepted_lines_added for d in daily),
            "spend": sum((e.charged_cents for e in events), Decimal(0)),
            "dau": sum(len(s) for s in active_days.values()) / 7,
            "users": len(set().union(*active_days.values())),
        }

    cur, prev = sums(start, end), sums(prev_start, prev_end)
    assert h["ai_requests"]["value"] == cur["requests"]
    assert h["ai_requests"]["previous"] == prev["requests"]
    assert h["ai_requests"]["change"] == cur["requests"] - prev["requests"]
    assert h["acceptance_rate"]["value"] == pytest.approx(cur["rate"])
    assert h["acceptance_rate"]["change"] == pytest.approx(cur["rate"] - prev["rate"])
    assert h["tab_acceptance_rate"]["value"] == pytest.approx(cur["tab_rate"])
    assert h["accepted_lines"]["value"] == cur["accepted_lines"]
    assert h["spend_cents"]["value"] == cur["spend"]
    assert h["spend_cents"]["previous"] == prev["spend"]
    assert h["avg_dau"]["value"] == pytest.approx(cur["dau"])
    assert h["avg_dau"]["previous"] == pytest.approx(prev["dau"])
    assert h["wau"]["value"] == cur["users"]  # a 7-day range is its own week
    assert h["active_users"]["previous"] == prev["users"]
    assert h["seats"] == 7
    assert h["active_share"]["value"] == pytest.approx(cur["users"] / 7)
    if prev["spend"]:
        expected_pct = float(cur["spend"] - prev["spend"]) / float(prev["spend"]) * 100
        assert h["spend_cents"]["change_pct"] == pytest.approx(expected_pct)


def test_headline_mau_spans_thirty_days_before_the_end(two_orgs):
    org, _ = two_orgs
    end = today()
    h = selectors.headline(org, end - timedelta(days=6), end)
    window = (end - timedelta(days=29), end)
    active = {
        d.member_id for d in DailyUsage.objects.filter(organization=org, day__range=window, is_active=True)
    } | set(
        UsageEvent.objects.filter(organization=org, day__range=window).values_list("member_id", flat=True)
    )
    assert h["mau"]["value"] == len(active)


def test_member_usage_rows(two_orgs):
    org, other_org = two_orgs
    end, start = today(), today() - timedelta(days=19)
    rows = selectors.member_usage(org, start, end)
    assert {r["email"] for r in rows} == set(
        CursorMember.objects.filter(organization=org).values_list("email", flat=True)
    )
    for row in rows:
        daily = DailyUsage.objects.filter(
            organization=org, member_id=row["member_id"], day__range=(start, end)
        )
        events = UsageEvent.objects.filter(
            organization=org, member_id=row["member_id"], day__range=(start, end)
        )
        assert row["active_days"] == sum(1 for d in daily if d.is_active)
        assert row["agent_requests"] == sum(d.agent_requests for d in daily)
        assert row["spend_cents"] == sum((e.charged_cents for e in events), Decimal(0))
        accepts, rejects = sum(d.total_accepts for d in daily), sum(d.total_rejects for d in daily)
        assert row["acceptance_rate"] == (accepts / (accepts + rejects) if accepts + rejects else None)
        snapshot = SpendSnapshot.objects.get(organization=org, member_id=row["member_id"])
        assert row["cycle_spend_cents"] == snapshot.overall_spend_cents
        models = Counter(d.most_used_model for d in daily if d.most_used_model)
        if models:
            top = max(models.values())
            assert row["top_model"] == min(m for m, n in models.items() if n == top)
        else:
            assert row["top_model"] == ""


def test_member_for_user_matches_email_case_insensitively(org, other_org, member_user):
    seed_usage(other_org, members=2, days=3)
    mine = CursorMember.objects.create(organization=org, email=member_user.email.upper())
    assert selectors.member_for_user(org, member_user) == mine
    assert selectors.member_for_user(other_org, member_user) is None


def test_spend_overview(two_orgs):
    org, _ = two_orgs
    overview = selectors.spend_overview(org)
    snapshots = SpendSnapshot.objects.filter(organization=org)
    assert overview["total_cents"] == sum((s.overall_spend_cents for s in snapshots), Decimal(0))
    t = today()
    assert overview["cycle_start"] == t.replace(day=1)
    cycle_events = UsageEvent.objects.filter(organization=org, day__gte=t.replace(day=1))
    daily_total = sum((e.charged_cents for e in cycle_events), Decimal(0))
    elapsed = (t - t.replace(day=1)).days + 1
    remaining = overview["cycle_days"] - elapsed
    assert overview["projected_cents"] == overview["total_cents"] + daily_total / elapsed * remaining
    by_member = {m["email"]: m for m in overview["members"]}
    for s in snapshots.select_related("member"):
        row = by_member[s.member.email]
        assert row["included_cents"] == s.overall_spend_cents - s.spend_cents
        assert row["monthly_limit_dollars"] == s.monthly_limit_dollars
    assert [m["email"] for m in overview["top_spenders"]] == [
        s.member.email
        for s in snapshots.select_related("member").order_by("-overall_spend_cents", "member__email")
    ][:10]
    # Two seats never active since first seen 40 days ago: idle for 14 and 30 days.
    assert len(overview["idle_30"]) == 2 and len(overview["idle_14"]) == 2
    assert overview["monthly_saving_cents"] == 2 * org.seat_price_cents
    by_model = {m["model"]: m for m in overview["by_model"]}
    for model, row in by_model.items():
        events = cycle_events.filter(model=model)
        assert row["usage_events"] == events.count()
        assert (
            row["cost_per_request_cents"]
            == sum((e.charged_cents for e in events), Decimal(0)) / events.count()
        )


def test_idle_windows_use_last_seen(org):
    seed_usage(org, members=3, days=5, idle_members=0)
    t = today()
    recent, fortnight, month = CursorMember.objects.filter(organization=org).order_by("email")
    CursorMember.objects.filter(pk=fortnight.pk).update(last_seen=t - timedelta(days=20))
    CursorMember.objects.filter(pk=month.pk).update(last_seen=t - timedelta(days=30))
    overview = selectors.spend_overview(org)
    assert [m["email"] for m in overview["idle_14"]] == [month.email, fortnight.email]
    assert [m["email"] for m in overview["idle_30"]] == [month.email]
    assert recent.email not in {m["email"] for m in overview["idle_14"]}
