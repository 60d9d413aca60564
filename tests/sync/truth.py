"""Ground truth from the simulator next to what the sync stored, in comparable shapes.

Money is compared exactly: the simulator's JSON numbers are read back as Decimal through their
shortest repr (what the JSON text held), the database returns Decimal.
"""

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Sum

from analytics.models import DailyUsage, UsageEvent
from analytics.services.cursor import DAILY_USAGE_COUNTERS as DAILY_COUNTERS


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def dec(value) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value or 0)


def day_ms(day: date, end=False) -> int:
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    return start + 86_400_000 - 1 if end else start


def truth_daily(team, start: date, end: date) -> dict:
    """{(email, day): {counter: value}} for every member-day Cursor serves (inactive included)."""
    out = {}
    for row in team.daily_rows(start, end, include_inactive=True):
        key = (row["email"].lower(), date.fromisoformat(row["day"]))
        out[key] = {c: row[_camel(c)] for c in DAILY_COUNTERS} | {"is_active": row["isActive"]}
    return out


def stored_daily(org) -> dict:
    fields = [*DAILY_COUNTERS, "is_active"]
    return {
        (r["member__email"], r["day"]): {c: r[c] for c in fields}
        for r in DailyUsage.objects.filter(organization=org).values("member__email", "day", *fields)
    }


def truth_events(team, start: date, end: date) -> list[dict]:
    return team.usage_events(day_ms(start), day_ms(end, end=True))


def event_totals(events: list[dict], key) -> dict:
    """{key: (count, charged cents, request units, input tokens)} over the simulator's events."""
    count, cents, units, tokens = Counter(), defaultdict(Decimal), defaultdict(Decimal), Counter()
    for e in events:
        k = key(e)
        count[k] += 1
        cents[k] += dec(e.get("chargedCents"))
        units[k] += dec(e.get("requestsCosts"))
        tokens[k] += (e.get("tokenUsage") or {}).get("inputTokens", 0)
    return {k: (count[k], cents[k], units[k], tokens[k]) for k in count}


def ev_day(e) -> date:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(e["timestamp"]))).date()


def stored_event_totals(org, field: str) -> dict:
    rows = (
        UsageEvent.objects.filter(organization=org)
        .values(field)
        .annotate(
            n=Count("id"), cents=Sum("charged_cents"), units=Sum("requests_costs"), tokens=Sum("input_tokens")
        )
    )
    return {r[field]: (r["n"], r["cents"], r["units"], r["tokens"]) for r in rows}
