"""Data-quality checks over an organization's stored Cursor data, computed after each sync.

Each check returns a `Check`: a key, a status (ok / warning), a title, a message in plain words
and the numbers behind it. Per-person lists in the numbers sit under keys ending in "_emails"
(see `PERSON_KEYS_SUFFIX`), so a reader that may not see people drops them and keeps the counts.
Storing the checks per sync run is the integrations layer's job (integrations/quality.py); this
module only reads. Every query filters by organization; each check costs a constant number of
queries (aggregates in SQL, grouped by day or by member).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Min, Q, Sum

from ..models import CursorMember, DailyUsage, UsageEvent
from .reconciliation import spend_reconciliation

OK = "ok"
WARNING = "warning"
PERSON_KEYS_SUFFIX = "_emails"
LISTED_AT_MOST = 20  # days or people named in a message; the numbers hold them all (up to 500)
NUMBERS_AT_MOST = 500


@dataclass(frozen=True)
class Check:
    key: str
    status: str
    title: str
    message: str
    numbers: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def public_numbers(numbers: dict, *, can_see_people: bool) -> dict:
    """The numbers a reader may see: per-person lists only for who may see people."""
    if can_see_people:
        return dict(numbers)
    return {k: v for k, v in numbers.items() if not k.endswith(PERSON_KEYS_SUFFIX)}


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:LISTED_AT_MOST])
    return shown + (f" and {len(items) - LISTED_AT_MOST:,} more" if len(items) > LISTED_AT_MOST else "")


def _dollars(cents: Decimal) -> str:
    sign = "-" if cents < 0 else "+"
    return f"{sign}${abs(cents) / 100:,.2f}"


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# -- the per-day digest ---------------------------------------------------------------------------


def cursor_day_digest(organization_id: int, start: date, end: date) -> dict[str, dict]:
    """{ISO day: {events, cents, errored, daily_rows, requests}} for start..end, in two queries.

    `cents` is the day's charged cents without errored requests (a string: exact decimal);
    `requests` the daily rows' agent + chat + composer + Cmd-K requests, which count every
    usage event of the day (errored ones included) the way `events` does."""
    digest = {
        d.isoformat(): {"events": 0, "cents": "0", "errored": 0, "daily_rows": 0, "requests": 0}
        for d in _days(start, end)
    }
    errored = Q(kind=UsageEvent.ERRORED_KIND)
    events = (
        UsageEvent.objects.filter(organization_id=organization_id, day__range=(start, end))
        .values("day")
        .annotate(
            n=Count("id"), cents=Sum("charged_cents", filter=~errored), errored=Count("id", filter=errored)
        )
    )
    for row in events:
        entry = digest[row["day"].isoformat()]
        entry.update(events=row["n"], cents=str(row["cents"] or 0), errored=row["errored"])
    daily = (
        DailyUsage.objects.filter(organization_id=organization_id, day__range=(start, end))
        .values("day")
        .annotate(
            n=Count("id"),
            requests=Sum(
                F("agent_requests") + F("chat_requests") + F("composer_requests") + F("cmdk_usages")
            ),
        )
    )
    for row in daily:
        digest[row["day"].isoformat()].update(daily_rows=row["n"], requests=row["requests"] or 0)
    return digest


def first_daily_day(organization_id: int) -> date | None:
    """The first UTC day the organization has any daily-usage row for: coverage starts there."""
    return DailyUsage.objects.filter(organization_id=organization_id).aggregate(first=Min("day"))["first"]


def complete_days(start: date, end: date, today: date) -> tuple[date, date]:
    """The days of start..end that have ended (before `today`)."""
    return start, min(end, today - timedelta(days=1))


# -- the checks -----------------------------------------------------------------------------------


def missing_days(digest: dict, start: date, end: date, *, today: date, covered_from: date | None) -> Check:
    """Ended days of the range with no daily-usage row at all, from the first day with data on
    (`covered_from`; with no daily usage ever, from the start when events exist)."""
    if covered_from is None and any(d["events"] for d in digest.values()):
        covered_from = start
    first, last = complete_days(max(start, covered_from) if covered_from else start, end, today)
    checked = _days(first, last) if covered_from and first <= last else []
    missing = [d.isoformat() for d in checked if not digest.get(d.isoformat(), {}).get("daily_rows")]
    numbers = {
        "checked_days": len(checked),
        "missing_days": missing[:NUMBERS_AT_MOST],
        "missing": len(missing),
    }
    if checked:
        numbers |= {"first_day": first.isoformat(), "last_day": last.isoformat()}
    if missing:
        message = (
            f"Cursor sent no daily usage at all for {_plural(len(missing), 'day')} between "
            f"{first.isoformat()} and {last.isoformat()}: {_listed(missing)}. Charts show a gap there; "
            "the next sync asks again for the last days, and “Sync now” with a longer range re-reads older ones."
        )
        return Check("missing_days", WARNING, "Missing days", message, numbers)
    if not checked:
        return Check("missing_days", OK, "Missing days", "No ended day to check yet.", numbers)
    message = (
        f"Every one of the {_plural(len(checked), 'ended day')} from {first.isoformat()} has daily usage."
    )
    return Check("missing_days", OK, "Missing days", message, numbers)


def revised_days(previous: dict | None, previous_as_of: date | None, current: dict) -> Check:
    """Days that had ended at the previous sync and whose events or spend changed since."""
    if previous is None or previous_as_of is None:
        return Check(
            "revised_days", OK, "Revised days", "No earlier sync to compare with yet.", {"compared_days": 0}
        )
    revised = []
    compared = 0
    for day, now in sorted(current.items()):
        before = previous.get(day)
        if before is None or date.fromisoformat(day) >= previous_as_of:
            continue  # not fetched then, or not yet ended then (still filling up, not revised)
        compared += 1
        events = now["events"] - before["events"]
        cents = Decimal(now["cents"]) - Decimal(before["cents"])
        requests = now["requests"] - before["requests"]
        if events or cents or requests:
            revised.append({"day": day, "events": events, "cents": str(cents), "requests": requests})
    numbers = {"compared_days": compared, "revised": len(revised), "days": revised[:NUMBERS_AT_MOST]}
    if not revised:
        message = (
            f"Cursor's figures for the {_plural(compared, 'ended day')} fetched again match the last sync."
            if compared
            else "No ended day was fetched by both this sync and the last one."
        )
        return Check("revised_days", OK, "Revised days", message, numbers)
    parts = [f"{r['day']} ({r['events']:+,} events, {_dollars(Decimal(r['cents']))})" for r in revised]
    message = (
        f"Cursor changed its figures for {_plural(len(revised), 'day')} since the last sync: {_listed(parts)}. "
        "Cursor revises recent days; every page now shows the latest figures."
    )
    return Check("revised_days", WARNING, "Revised days", message, numbers)


def roster_matches(organization_id: int, *, data_through: date | None, recent_days: int) -> list[Check]:
    """Emails seen in usage but not in the roster (recently active ones warn), and roster
    members with no usage ever. Two queries."""
    unlisted = list(
        CursorMember.objects.filter(
            organization_id=organization_id, not_in_roster=True, last_seen__isnull=False
        )
        .order_by("-last_seen", "email")
        .values_list("email", "last_seen")
    )
    recent_from = (data_through - timedelta(days=recent_days - 1)) if data_through else None
    recent = [e for e, seen in unlisted if recent_from and seen >= recent_from]
    former = [e for e, seen in unlisted if not (recent_from and seen >= recent_from)]
    numbers = {
        "recent": len(recent),
        "former": len(former),
        "recent_days": recent_days,
        "recent_emails": recent[:NUMBERS_AT_MOST],
        "former_emails": former[:NUMBERS_AT_MOST],
    }
    if recent:
        message = (
            f"{_plural(len(recent), 'person', 'people')} used Cursor in the last {_plural(recent_days, 'day')} "
            "but {} not on the team's member list (/teams/members): their usage is counted, but they have "
            "no seat here. Check they belong to this team.".format("is" if len(recent) == 1 else "are")
        )
        unlisted_check = Check(
            "unlisted_usage", WARNING, "Usage from people not in the roster", message, numbers
        )
    else:
        message = "Everyone with recent usage is on the team's member list."
        if former:
            message += f" {_plural(len(former), 'former member')} with older usage only (Cursor lists former members no longer)."
        unlisted_check = Check("unlisted_usage", OK, "Usage from people not in the roster", message, numbers)

    unused = list(
        CursorMember.objects.filter(
            organization_id=organization_id, not_in_roster=False, is_removed=False, last_seen__isnull=True
        )
        .order_by("email")
        .values_list("email", flat=True)
    )
    numbers = {"members": len(unused), "member_emails": unused[:NUMBERS_AT_MOST]}
    if unused:
        message = (
            f"{_plural(len(unused), 'member')} on the roster {'has' if len(unused) == 1 else 'have'} no usage in "
            "any synced day: seats nobody uses yet (see idle seats on the spend review)."
        )
    else:
        message = "Every member on the roster has used Cursor on a synced day."
    return [
        unlisted_check,
        Check("roster_without_usage", OK, "Roster members with no usage", message, numbers),
    ]


def daily_vs_events(digest: dict, start: date, end: date, *, today: date, pct: float, absolute: int) -> Check:
    """Ended days where the daily rows' requests and the usage events disagree beyond the
    tolerance (the larger of `absolute` and `pct` % of the larger figure). Days without daily
    rows are left to the missing-days check."""
    first, last = complete_days(start, end, today)
    off = []
    checked = 0
    for day in _days(first, last) if first <= last else []:
        entry = digest.get(day.isoformat())
        if not entry or not entry["daily_rows"]:
            continue
        checked += 1
        requests, events = entry["requests"], entry["events"]
        allowed = max(absolute, max(requests, events) * pct / 100)
        if abs(requests - events) > allowed:
            off.append({"day": day.isoformat(), "daily_requests": requests, "events": events})
    numbers = {
        "checked_days": checked,
        "tolerance_pct": pct,
        "tolerance_abs": absolute,
        "days": off[:NUMBERS_AT_MOST],
    }
    numbers["disagreeing"] = len(off)
    title = "Daily usage against usage events"
    if off:
        parts = [
            f"{o['day']} ({o['daily_requests']:,} requests in daily usage, {o['events']:,} events)"
            for o in off
        ]
        message = (
            f"On {_plural(len(off), 'day')} the requests Cursor counts in daily usage and the usage events it "
            f"lists disagree by more than {pct:g} % (or {absolute}): {_listed(parts)}. Request counts and spend "
            "come from events; activity figures from daily usage."
        )
        return Check("daily_vs_events", WARNING, title, message, numbers)
    message = (
        f"Daily usage and usage events agree on every one of the {_plural(checked, 'ended day')} checked."
    )
    return Check("daily_vs_events", OK, title, message, numbers)


def spend_vs_events(
    organization_id: int, *, covered_from: date | None, today: date, pct: float, cents: float
) -> Check:
    """`/teams/spend` cycle totals against the sum of the cycle's events' charged cents."""
    rec = spend_reconciliation(organization_id, today=today, tolerance_pct=pct, tolerance_cents=cents)
    title = "Cursor's spend against usage events"
    if rec["cycle_start"] is None:
        return Check(
            "spend_vs_events",
            OK,
            title,
            "Cursor has not reported this cycle's spend yet.",
            {"compared": False},
        )
    cycle = rec["cycle_start"]
    totals = rec["totals"]
    numbers = {
        "cycle_start": cycle.isoformat(),
        "compared": True,
        "cursor_cents": str(totals["cursor_cents"]),
        "events_cents": str(totals["events_cents"]),
        "difference_cents": str(totals["difference_cents"]),
        "difference_pct": totals["difference_pct"],
        "people_off": len(rec["differences"]),
        "off_emails": [r["email"] for r in rec["differences"]][:NUMBERS_AT_MOST],
    }
    if covered_from is None or covered_from > cycle:
        numbers["compared"] = False
        message = (
            f"Not compared: the synced history starts after this billing cycle began ({cycle.isoformat()}). "
            "“Sync now” with a range reaching back to it makes the comparison possible."
        )
        return Check("spend_vs_events", OK, title, message, numbers)
    diff = totals["difference_cents"]
    pct_text = f" ({totals['difference_pct']:+.2f} %)" if totals["difference_pct"] is not None else ""
    if rec["differences"]:
        message = (
            f"For {_plural(len(rec['differences']), 'person', 'people')} Cursor's cycle total differs from the sum "
            f"of their usage events' charged cents by more than {pct:g} % (or {cents:g}¢); all together "
            f"{_dollars(diff)}{pct_text}. The spend review lists each difference and its likely cause."
        )
        return Check("spend_vs_events", WARNING, title, message, numbers)
    message = (
        f"Cursor's cycle total (${totals['cursor_cents'] / 100:,.2f}) matches the events' charged cents "
        f"within {pct:g} % for everyone (difference {_dollars(diff)}{pct_text})."
    )
    return Check("spend_vs_events", OK, title, message, numbers)


def malformed_records(events_skipped: int, other_skipped: int) -> Check:
    numbers = {"events": events_skipped, "other": other_skipped}
    title = "Malformed records"
    if events_skipped or other_skipped:
        parts = []
        if events_skipped:
            parts.append(_plural(events_skipped, "usage event"))
        if other_skipped:
            parts.append(_plural(other_skipped, "other record"))
        message = (
            f"Skipped {' and '.join(parts)} Cursor sent in a shape we could not read (logged, never stored). "
            "Figures leave them out; if this repeats, Cursor's API may have changed."
        )
        return Check("malformed_records", WARNING, title, message, numbers)
    return Check("malformed_records", OK, title, "Every record Cursor sent could be read.", numbers)


def errored_requests(digest: dict) -> Check:
    """Errored requests of the window: counted, and left out of spend (one query for their cents)."""
    count = sum(d["errored"] for d in digest.values())
    numbers = {"errored": count}
    title = "Errored requests"
    if not count:
        return Check("errored_requests", OK, title, "No errored requests in the synced days.", numbers)
    message = (
        f"{_plural(count, 'request')} ended in an error (“{UsageEvent.ERRORED_KIND}”); "
        "they are left out of every spend figure."
    )
    return Check("errored_requests", OK, title, message, numbers)


def errored_charges(organization_id: int, start: date, end: date, check: Check) -> Check:
    """Warn when Cursor put charges on errored requests (Koalr leaves them out of spend)."""
    if not check.numbers.get("errored"):
        return check
    charged = UsageEvent.objects.filter(
        organization_id=organization_id,
        day__range=(start, end),
        kind=UsageEvent.ERRORED_KIND,
        charged_cents__gt=0,
    ).aggregate(n=Count("id"), cents=Sum("charged_cents"))
    if not charged["n"]:
        return check
    numbers = check.numbers | {"charged": charged["n"], "charged_cents": str(charged["cents"])}
    message = (
        f"{check.message} Cursor put {_dollars(charged['cents'])[1:]} of charges on {charged['n']:,} of them; "
        "Koalr leaves those out, so its spend is lower than the events' raw sum."
    )
    return Check(check.key, WARNING, check.title, message, numbers)
