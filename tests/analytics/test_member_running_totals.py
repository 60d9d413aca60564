"""The member table's range sums (differences of MemberRunningTotal's carried-forward running
totals) against a naive sum over the member rollup's daily rows: members with gaps, days on
which nobody has a row, ranges that start or end on such days or outside the data, removed
members, members who start late or stop early, incremental refreshes, other organizations."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from analytics.models import CursorMember, DailyUsage, MemberDailyRollup, MemberRunningTotal, Tool
from analytics.models.rollups import RUNNING_COUNTERS
from analytics.selectors.members import MEMBER_COUNTERS, member_usage, member_usage_page
from analytics.services import refresh_after_sync
from analytics.services.rollups import rewrite_running_days
from tests.fixtures.analytics_data import CursorMemberFactory, DailyUsageFactory, UsageEventFactory

pytestmark = pytest.mark.django_db

FIRST = date(2026, 4, 1)
LAST = date(2026, 4, 30)
QUIET = {date(2026, 4, 12), date(2026, 4, 13), date(2026, 4, 14)}  # nobody has a row


def _day(n: int) -> date:
    return FIRST + timedelta(days=n)


def _usage(org, member, day, n):
    DailyUsageFactory(
        organization=org,
        member=member,
        day=day,
        is_active=n % 4 != 0,
        agent_requests=n,
        chat_requests=n % 3,
        composer_requests=n % 5,
        cmdk_usages=n % 2,
        total_tabs_shown=3 * n,
        total_tabs_accepted=n,
        total_accepts=n % 7,
        total_rejects=n % 3,
        total_lines_added=10 * n,
        accepted_lines_added=4 * n,
    )


def _event(org, member, day, cents):
    UsageEventFactory(
        organization=org,
        member=member,
        day=day,
        timestamp=f"{day.isoformat()}T10:00:00Z",
        charged_cents=Decimal(cents),
        kind="Usage-based",
    )


def build(org, *, prefix="m"):
    """Members whose rows have every shape the reads must get right; returns them by name."""
    names = ("every_day", "gaps", "stopped", "late", "removed_early", "removed_late", "idle", "gone")
    m = {
        name: CursorMemberFactory(organization=org, email=f"{prefix}-{name}@{org.slug}.test")
        for name in names
    }
    for name in ("removed_early", "removed_late", "gone"):
        m[name].is_removed = True
    m["gaps"].last_seen = date(2026, 5, 9)  # after every row
    for member in m.values():
        member.save()
    n = 1
    for offset in range((LAST - FIRST).days + 1):
        day = _day(offset)
        if day in QUIET:
            continue
        shapes = {
            "every_day": True,
            "gaps": offset % 3 == 0,
            "stopped": offset < 9,
            "late": offset >= 19,
            "removed_early": offset < 5,
            "removed_late": offset >= 25,
        }
        for name, present in shapes.items():
            if present:
                _usage(org, m[name], day, n)
                n += 1
        if offset % 4 == 1:  # events with no daily row that day: an event-only rollup row
            _event(org, m["late"] if offset >= 19 else m["gaps"], day, 125 + offset)
        if offset % 5 == 0:
            _event(org, m["every_day"], day, 40 + offset)
    refresh_after_sync(org.pk, Tool.CURSOR, FIRST, LAST)
    return m


def naive(org, start, end) -> dict:
    """The member table's figures written plainly over the daily rows of the member rollup."""
    rows = list(MemberDailyRollup.objects.filter(organization=org, day__lte=end).order_by("day"))
    out = {}
    for member in CursorMember.objects.filter(organization=org):
        mine = [r for r in rows if r.member_id == member.pk]
        in_range = [r for r in mine if r.day >= start]
        if member.is_removed and not in_range:
            continue
        sums = {c: sum((getattr(r, c) for r in in_range), 0) for c in MEMBER_COUNTERS}
        sums["spend_cents"] = Decimal(sums["spend_cents"])
        sums["active_days"] = sum(1 for r in in_range if r.is_active)
        seen = member.last_seen
        latest_active = max((r.day for r in mine if r.is_active), default=None)
        if not in_range or latest_active is None or latest_active < start:
            sums["last_active"] = seen
        else:
            sums["last_active"] = latest_active if seen is None or latest_active > seen else seen
        a, r = sums["accepts"], sums["rejects"]
        sums["acceptance_rate"] = a / (a + r) if a + r else None
        out[member.pk] = sums
    return out


def assert_table_matches(org, windows):
    for start, end in windows:
        expected = naive(org, start, end)
        rows = member_usage(org, start, end)
        assert {r["member_id"] for r in rows} == set(expected), (start, end)
        for row in rows:
            e = expected[row["member_id"]]
            got = {k: row[k] for k in e}
            if got["acceptance_rate"] is not None:
                got["acceptance_rate"] = round(got["acceptance_rate"], 12)
                e = {**e, "acceptance_rate": round(e["acceptance_rate"], 12)}
            assert got == e, (start, end, row["email"])


# Boundaries: before the data, its first day, mid-gap days (QUIET), a member's last or first
# day, the last day, after the data.
BOUNDS = [
    date(2026, 3, 20),
    FIRST,
    _day(4),
    _day(5),
    _day(8),
    _day(9),
    date(2026, 4, 12),
    date(2026, 4, 13),
    date(2026, 4, 14),
    date(2026, 4, 15),
    _day(19),
    _day(24),
    _day(25),
    LAST,
    date(2026, 5, 10),
]
WINDOWS = [(a, b) for a in BOUNDS for b in BOUNDS if a <= b]


@pytest.fixture
def data(org, other_org):
    members = build(org)
    build(other_org, prefix="o")  # the same shapes elsewhere: never mixed in
    return org, members


def test_every_window_matches_the_naive_sums(data):
    org, _ = data
    assert_table_matches(org, WINDOWS)


def test_removed_members_are_listed_only_with_rows_in_the_range(data):
    org, m = data
    listed = {r["member_id"] for r in member_usage(org, _day(10), _day(20))}
    assert m["removed_early"].pk not in listed and m["removed_late"].pk not in listed
    assert m["gone"].pk not in listed
    assert m["idle"].pk in listed and m["stopped"].pk in listed  # on the roster, zeros
    listed = {r["member_id"] for r in member_usage(org, _day(3), _day(26))}
    assert {m["removed_early"].pk, m["removed_late"].pk} <= listed


def test_a_range_of_quiet_days_sums_to_zero_and_keeps_last_seen(data):
    org, m = data
    rows = {r["member_id"]: r for r in member_usage(org, date(2026, 4, 12), date(2026, 4, 14))}
    every = rows[m["every_day"].pk]
    assert (every["active_days"], every["agent_requests"], every["spend_cents"]) == (0, 0, Decimal(0))
    m["every_day"].refresh_from_db()  # the sync's refresh sets last_seen from the rows
    assert every["last_active"] == m["every_day"].last_seen != date(2026, 4, 11)


def test_incremental_refreshes_match_a_full_rebuild_and_the_naive_sums(data):
    org, m = data
    # A sync rewrites a few middle days (one member's row vanishes, another's grows) …
    DailyUsage.objects.filter(organization=org, member=m["gaps"], day=_day(9)).delete()
    DailyUsage.objects.filter(organization=org, member=m["every_day"], day=_day(10)).update(
        agent_requests=500, is_active=True
    )
    refresh_after_sync(org.pk, Tool.CURSOR, _day(8), _day(10))
    # … another adds a day after the last one, on which only one member has a row, then a
    # day on a quiet day.
    extra = LAST + timedelta(days=1)
    _usage(org, m["late"], extra, 999)
    refresh_after_sync(org.pk, Tool.CURSOR, extra, extra)
    _usage(org, m["stopped"], date(2026, 4, 13), 321)
    refresh_after_sync(org.pk, Tool.CURSOR, date(2026, 4, 13), date(2026, 4, 13))
    bounds = [*BOUNDS, extra]
    assert_table_matches(org, [(a, b) for a in bounds for b in bounds if a <= b])

    fields = [
        "member_id", "day", "last_row_day", "last_active_day", "running_active_days",
        *(f"running_{c}" for c in RUNNING_COUNTERS),
    ]  # fmt: skip
    incremental = list(
        MemberRunningTotal.objects.filter(organization=org).order_by("day", "member_id").values_list(*fields)
    )
    first = (
        MemberDailyRollup.objects.filter(organization=org).order_by("day").values_list("day", flat=True)[0]
    )
    with connection.cursor() as cursor:
        rewrite_running_days(cursor, org.pk, first)
    rebuilt = list(
        MemberRunningTotal.objects.filter(organization=org).order_by("day", "member_id").values_list(*fields)
    )
    assert incremental == rebuilt


def test_carried_rows_cover_every_member_from_their_first_row(data):
    org, m = data
    rows = MemberRunningTotal.objects.filter(organization=org)
    days = set(MemberDailyRollup.objects.filter(organization=org).values_list("day", flat=True))
    assert set(rows.values_list("day", flat=True)) == days  # the organization's rollup days only
    assert not rows.filter(member=m["idle"]).exists()
    late = rows.filter(member=m["late"]).order_by("day")
    assert late[0].day == _day(19)
    stopped = rows.filter(member=m["stopped"], day=LAST).get()
    assert stopped.last_row_day == _day(8)
    assert (
        MemberRunningTotal.objects.exclude(organization=org).exclude(member__organization=org).count()
        == MemberRunningTotal.objects.exclude(organization=org).count()
    )


def test_the_paged_table_is_the_full_table_sorted(data):
    org, _ = data
    full = member_usage(org, _day(5), _day(24), sort="-agent_requests")
    page, total = member_usage_page(org, _day(5), _day(24), sort="-agent_requests", page=1, page_size=4)
    assert total == len(full)
    assert [r["member_id"] for r in page] == [r["member_id"] for r in full[:4]]
