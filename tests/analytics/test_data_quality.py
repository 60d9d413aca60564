"""The data-quality checks' rules on hand-made digests (no database): what counts as revised,
missing or disagreeing, and what stays quiet. The loopback tests in tests/sync/ drive them
through real syncs."""

from datetime import date, timedelta

from analytics.selectors import data_quality as dq

D = date(2026, 11, 20)


def entry(events=10, cents="5.5", daily_rows=3, requests=10, errored=0):
    return {
        "events": events,
        "cents": cents,
        "daily_rows": daily_rows,
        "requests": requests,
        "errored": errored,
    }


def digest(days: dict) -> dict:
    return {d.isoformat(): e for d, e in days.items()}


def test_a_day_not_yet_ended_at_the_previous_sync_is_filling_up_not_revised():
    before = digest({D: entry(), D + timedelta(days=1): entry(events=3)})
    after = digest({D: entry(), D + timedelta(days=1): entry(events=9)})
    check = dq.revised_days(before, D + timedelta(days=1), after)
    assert check.status == dq.OK and check.numbers["compared_days"] == 1
    check = dq.revised_days(before, D + timedelta(days=2), after)
    assert check.status == dq.WARNING
    assert check.numbers["days"] == [
        {"day": (D + timedelta(days=1)).isoformat(), "events": 6, "cents": "0.0", "requests": 0}
    ]


def test_a_spend_only_revision_counts():
    check = dq.revised_days(
        digest({D: entry(cents="5.5")}), D + timedelta(days=1), digest({D: entry(cents="7.25")})
    )
    assert check.status == dq.WARNING and check.numbers["days"][0]["cents"] == "1.75"


def test_no_previous_sync_is_quiet():
    assert dq.revised_days(None, None, digest({D: entry()})).status == dq.OK


def test_missing_days_only_from_coverage_and_only_ended_days():
    days = {D + timedelta(days=i): entry() for i in range(5)}
    days[D + timedelta(days=2)] = entry(daily_rows=0)
    days[D + timedelta(days=4)] = entry(daily_rows=0)  # today: not ended, not missing
    check = dq.missing_days(
        digest(days), D, D + timedelta(days=4), today=D + timedelta(days=4), covered_from=D
    )
    assert check.numbers["missing_days"] == [(D + timedelta(days=2)).isoformat()]
    quiet = dq.missing_days(
        digest(days),
        D,
        D + timedelta(days=4),
        today=D + timedelta(days=4),
        covered_from=D + timedelta(days=3),
    )
    assert quiet.status == dq.OK and quiet.numbers["checked_days"] == 1


def test_events_without_any_daily_usage_ever_are_missing_days():
    days = {D: entry(daily_rows=0), D + timedelta(days=1): entry(daily_rows=0)}
    check = dq.missing_days(
        digest(days), D, D + timedelta(days=1), today=D + timedelta(days=2), covered_from=None
    )
    assert check.status == dq.WARNING and check.numbers["missing"] == 2
    empty = {D: entry(events=0, daily_rows=0)}
    assert (
        dq.missing_days(digest(empty), D, D, today=D + timedelta(days=1), covered_from=None).status == dq.OK
    )


def test_daily_vs_events_tolerance():
    days = {D: entry(events=100, requests=102), D + timedelta(days=1): entry(events=100, requests=103)}
    check = dq.daily_vs_events(
        digest(days), D, D + timedelta(days=1), today=D + timedelta(days=2), pct=2.0, absolute=2
    )
    assert [d["day"] for d in check.numbers["days"]] == [(D + timedelta(days=1)).isoformat()]
    loose = dq.daily_vs_events(
        digest(days), D, D + timedelta(days=1), today=D + timedelta(days=2), pct=5.0, absolute=2
    )
    assert loose.status == dq.OK


def test_public_numbers_hide_people_from_who_may_not_see_them():
    numbers = {"recent": 1, "recent_emails": ["a@x.test"]}
    assert dq.public_numbers(numbers, can_see_people=False) == {"recent": 1}
    assert dq.public_numbers(numbers, can_see_people=True) == numbers


def test_malformed_records():
    assert dq.malformed_records(0, 0).status == dq.OK
    check = dq.malformed_records(2, 1)
    assert check.status == dq.WARNING and "2 usage events and 1 other record" in check.message
