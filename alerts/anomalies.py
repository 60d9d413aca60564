"""Daily anomaly detection, run after each sync.

Rules (thresholds in settings, `ALERTS_*`):
- spend_spike: a person's spend on a day, in total and per model, against their own trailing
  14 days (robust z-score on median/MAD, days without usage count as $0), above an absolute
  floor and at least `ALERTS_MIN_RATIO` × their usual day;
- request_spike: the same for a person's AI requests;
- expensive_model: the first day a person used a model matching `ALERTS_EXPENSIVE_MODELS`;
- share_of_org: one person's spend above `ALERTS_PERSON_SHARE_PERCENT` % of the organization's
  that day (a team version comes with teams);
- org_jump: the organization's spend jumping by `ALERTS_ORG_JUMP_RATIO` × over the day before
  (and over the previous week's average day, so a Monday after a quiet weekend is no jump).

Cursor restates the last `CURSOR_SYNC_LOOKBACK_DAYS` days, so every run re-evaluates those
days (and today): an alert for a day is keyed by the day, a restated figure updates the open
alert rather than sending a second one, and a day that no longer qualifies resolves it.
Every query filters by organization; one run costs a constant number of queries.
"""

import fnmatch
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from django.conf import settings
from django.db.models import Count, Min, Sum
from django.utils import timezone

from analytics.models import Tool, ToolDay, ToolOrgDay, UsageEvent
from people.models import Person

from .models import Alert
from .records import Finding, raise_alert, withdraw
from .stats import robust_z
from .text import day_label, money, times

BASELINE_DAYS = 14
REVISED_NOTE = "Cursor revised the figures; no longer unusual."


@dataclass(frozen=True)
class Thresholds:
    z: float
    min_ratio: float
    spend_floor_cents: int
    requests_floor: int
    share_percent: float
    share_min_people: int
    org_jump_ratio: float
    org_jump_floor_cents: int
    expensive_models: tuple[str, ...]

    @classmethod
    def from_settings(cls) -> "Thresholds":
        return cls(
            z=settings.ALERTS_Z_THRESHOLD,
            min_ratio=settings.ALERTS_MIN_RATIO,
            spend_floor_cents=settings.ALERTS_SPEND_FLOOR_CENTS,
            requests_floor=settings.ALERTS_REQUESTS_FLOOR,
            share_percent=settings.ALERTS_PERSON_SHARE_PERCENT,
            share_min_people=settings.ALERTS_SHARE_MIN_PEOPLE,
            org_jump_ratio=settings.ALERTS_ORG_JUMP_RATIO,
            org_jump_floor_cents=settings.ALERTS_ORG_JUMP_FLOOR_CENTS,
            expensive_models=tuple(settings.ALERTS_EXPENSIVE_MODELS),
        )


def evaluated_days(today: date) -> list[date]:
    """The days Cursor may still restate, and today."""
    lookback = settings.CURSOR_SYNC_LOOKBACK_DAYS
    return [today - timedelta(days=n) for n in range(lookback, -1, -1)]


class _Data:
    """Everything the rules read for the evaluated days and their baselines (five queries)."""

    def __init__(self, org, days: list[date]):
        self.first, self.last = days[0] - timedelta(days=BASELINE_DAYS), days[-1]
        org_id = org.pk
        self.person_spend = defaultdict(dict)  # person → day → cents
        self.person_requests = defaultdict(dict)
        for row in ToolDay.objects.filter(
            organization_id=org_id, tool=Tool.CURSOR, day__range=(self.first, self.last)
        ).values("person_id", "day", "cost_cents", "requests"):
            self.person_spend[row["person_id"]][row["day"]] = float(row["cost_cents"] or 0)
            self.person_requests[row["person_id"]][row["day"]] = float(row["requests"] or 0)
        self.model_spend = defaultdict(dict)  # (person, model) → day → cents
        for row in (
            UsageEvent.objects.filter(
                organization_id=org_id, day__range=(self.first, self.last), member__person__isnull=False
            )
            .values("member__person_id", "model", "day")
            .annotate(cents=Sum("charged_cents"), events=Count("id"))
        ):
            key = (row["member__person_id"], row["model"] or "unknown")
            self.model_spend[key][row["day"]] = float(row["cents"] or 0)
        self.org_spend = {
            row["day"]: float(row["cost_cents"] or 0)
            for row in ToolOrgDay.objects.filter(
                organization_id=org_id,
                tool=Tool.CURSOR,
                day__range=(self.first - timedelta(days=7), self.last),
            ).values("day", "cost_cents")
        }
        first_org_day = ToolOrgDay.objects.filter(organization_id=org_id, tool=Tool.CURSOR).aggregate(
            first=Min("day")
        )["first"]
        self.history_from = first_org_day
        used = {key for key, by_day in self.model_spend.items() if any(d in by_day for d in days)}
        self.first_use = {}
        if used:
            rows = (
                UsageEvent.objects.filter(
                    organization_id=org_id,
                    member__person_id__in={p for p, _ in used},
                    model__in={m for _, m in used},
                )
                .values("member__person_id", "model")
                .annotate(first=Min("day"))
            )
            self.first_use = {(r["member__person_id"], r["model"]): r["first"] for r in rows}
        ids = set(self.person_spend) | {p for p, _ in self.model_spend}
        self.names = {p.pk: p.display_name for p in Person.objects.filter(organization_id=org_id, pk__in=ids)}

    def has_baseline(self, day: date) -> bool:
        """Stored history covers the 14 days before `day` (else there is no "usual")."""
        return self.history_from is not None and self.history_from <= day - timedelta(days=BASELINE_DAYS)


def _baseline(by_day: dict, day: date) -> list[float]:
    return [by_day.get(day - timedelta(days=n), 0.0) for n in range(1, BASELINE_DAYS + 1)]


def _usual(baseline: list[float]) -> float:
    ordered = sorted(baseline)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _spike(value: float, baseline: list[float], floor: float, th: Thresholds) -> tuple[bool, float]:
    usual = _usual(baseline)
    if value < floor or value < usual * th.min_ratio:
        return False, usual
    return robust_z(value, baseline) >= th.z, usual


def _against(value: float, usual: float, fmt) -> str:
    if usual > 0:
        return f"{times(value / usual)} their usual daily {fmt(usual)}"
    return f"against a usual day of {fmt(0)}"


def _spend_findings(data: _Data, day: date, th: Thresholds):
    """Yields (finding or None, rule, subject): None means the key no longer qualifies."""
    period = day.isoformat()
    for person_id, by_day in data.person_spend.items():
        value = by_day.get(day)
        if value is None:
            continue
        hit, usual = _spike(value, _baseline(by_day, day), th.spend_floor_cents, th)
        subject = f"person:{person_id}"
        name = data.names.get(person_id, "Someone")
        finding = None
        if hit:
            finding = Finding(
                kind=Alert.Kind.SPEND_SPIKE,
                rule="spend_spike",
                subject=subject,
                period=period,
                person_id=person_id,
                day=day,
                title=f"Unusual spend by {name} on {day_label(day)}",
                reason=f"{name} spent {money(value)} on {day_label(day)}, {_against(value, usual, money)}.",
                summary=f"One person's spend on {day_label(day)} was well above their usual day.",
                metrics={"value_cents": round(value, 2), "usual_cents": round(usual, 2)},
            )
        yield finding, "spend_spike", subject, period
    for (person_id, model), by_day in data.model_spend.items():
        value = by_day.get(day)
        if value is None:
            continue
        hit, usual = _spike(value, _baseline(by_day, day), th.spend_floor_cents, th)
        subject = f"person:{person_id}:model:{model}"
        name = data.names.get(person_id, "Someone")
        finding = None
        if hit:
            finding = Finding(
                kind=Alert.Kind.SPEND_SPIKE,
                rule="model_spend_spike",
                subject=subject,
                period=period,
                person_id=person_id,
                day=day,
                title=f"Unusual {model} spend by {name} on {day_label(day)}",
                reason=f"{name} spent {money(value)} on {model} on {day_label(day)}, "
                f"{_against(value, usual, money)}.",
                summary=f"One person's {model} spend on {day_label(day)} was well above their usual day.",
                metrics={"value_cents": round(value, 2), "usual_cents": round(usual, 2), "model": model},
            )
        yield finding, "model_spend_spike", subject, period


def _request_findings(data: _Data, day: date, th: Thresholds):
    period = day.isoformat()
    for person_id, by_day in data.person_requests.items():
        value = by_day.get(day)
        if value is None:
            continue
        hit, usual = _spike(value, _baseline(by_day, day), th.requests_floor, th)
        subject = f"person:{person_id}"
        name = data.names.get(person_id, "Someone")
        finding = None
        if hit:
            finding = Finding(
                kind=Alert.Kind.REQUEST_SPIKE,
                rule="request_spike",
                subject=subject,
                period=period,
                person_id=person_id,
                day=day,
                title=f"Unusual number of requests by {name} on {day_label(day)}",
                reason=f"{name} made {value:,.0f} AI requests on {day_label(day)}, "
                f"{_against(value, usual, lambda v: f'{v:,.0f}')}.",
                summary=f"One person's AI requests on {day_label(day)} were well above their usual day.",
                metrics={"value": value, "usual": usual},
            )
        yield finding, "request_spike", subject, period


def _expensive(model: str, patterns) -> bool:
    return any(fnmatch.fnmatch(model.lower(), p.lower()) for p in patterns)


def _first_use_findings(data: _Data, day: date, th: Thresholds):
    for (person_id, model), by_day in data.model_spend.items():
        if day not in by_day or not _expensive(model, th.expensive_models):
            continue
        if data.first_use.get((person_id, model)) != day:
            continue
        name = data.names.get(person_id, "Someone")
        # Keyed by the model, not the day: a first use happens once.
        yield (
            Finding(
                kind=Alert.Kind.EXPENSIVE_MODEL,
                rule="expensive_model",
                subject=f"person:{person_id}:model:{model}",
                period="first",
                person_id=person_id,
                day=day,
                title=f"{name} used {model} for the first time",
                reason=f"{name} used {model}, an expensive model, for the first time on {day_label(day)} "
                f"({money(by_day[day])} that day).",
                summary=f"Someone used {model}, an expensive model, for the first time on {day_label(day)}.",
                metrics={"value_cents": round(by_day[day], 2), "model": model},
            ),
            "expensive_model",
            f"person:{person_id}:model:{model}",
            "first",
        )


def _share_findings(data: _Data, day: date, th: Thresholds):
    total = data.org_spend.get(day, 0.0)
    spenders = [p for p, by_day in data.person_spend.items() if by_day.get(day, 0) > 0]
    period = day.isoformat()
    for person_id, by_day in data.person_spend.items():
        value = by_day.get(day)
        if value is None:
            continue
        subject = f"person:{person_id}"
        qualifies = (
            len(spenders) >= th.share_min_people
            and value >= th.spend_floor_cents
            and total > 0
            and value * 100 > total * th.share_percent
        )
        finding = None
        if qualifies:
            name = data.names.get(person_id, "Someone")
            share = value * 100 / total
            finding = Finding(
                kind=Alert.Kind.SHARE_OF_ORG,
                rule="share_of_org",
                subject=subject,
                period=period,
                person_id=person_id,
                day=day,
                title=f"{name} made {share:.0f}% of the organization's spend on {day_label(day)}",
                reason=f"{name} spent {money(value)} on {day_label(day)}, {share:.0f}% of the "
                f"organization's {money(total)} that day.",
                summary=f"One person made more than {th.share_percent:.0f}% of the organization's spend "
                f"on {day_label(day)}.",
                metrics={
                    "value_cents": round(value, 2),
                    "org_cents": round(total, 2),
                    "share": round(share, 1),
                },
            )
        yield finding, "share_of_org", subject, period


def _org_jump_findings(data: _Data, day: date, th: Thresholds):
    """The day against the day before and against the previous seven days' average, whichever
    is higher, so the Monday after a quiet weekend is not a jump."""
    value = data.org_spend.get(day)
    if value is None:
        return
    previous = data.org_spend.get(day - timedelta(days=1), 0.0)
    week = [data.org_spend.get(day - timedelta(days=n), 0.0) for n in range(1, 8)]
    average = sum(week) / len(week)
    usual = max(previous, average)
    qualifies = (
        value - usual >= th.org_jump_floor_cents and previous > 0 and value >= usual * th.org_jump_ratio
    )
    finding = None
    if qualifies:
        against = (
            f"the {money(previous)} of the day before"
            if previous >= average
            else f"the previous seven days' average of {money(average)} a day"
        )
        text = f"The organization spent {money(value)} on {day_label(day)}, {times(value / usual)} {against}."
        finding = Finding(
            kind=Alert.Kind.ORG_JUMP,
            rule="org_jump",
            subject="org",
            period=day.isoformat(),
            day=day,
            title=f"Organization spend jumped on {day_label(day)}",
            reason=text,
            summary=text,
            metrics={
                "value_cents": round(value, 2),
                "previous_cents": round(previous, 2),
                "average_cents": round(average, 2),
            },
        )
    yield finding, "org_jump", "org", day.isoformat()


RULES = (_spend_findings, _request_findings, _first_use_findings, _share_findings, _org_jump_findings)


def detect_anomalies(org, *, today: date | None = None, thresholds: Thresholds | None = None) -> list[Alert]:
    """Evaluate the restatable days; returns the alerts newly raised (the ones notified)."""
    today = today or timezone.now().astimezone(UTC).date()
    th = thresholds or Thresholds.from_settings()
    days = evaluated_days(today)
    data = _Data(org, days)
    periods = {d.isoformat() for d in days}
    open_keys = set(
        Alert.objects.filter(organization=org, status=Alert.Status.OPEN, period__in=periods).values_list(
            "rule", "subject", "period"
        )
    )
    raised = []
    for day in days:
        if not data.has_baseline(day):
            continue
        for rule in RULES:
            for finding, rule_name, subject, period in rule(data, day, th):
                if finding is None:
                    if (rule_name, subject, period) in open_keys:
                        withdraw(org.pk, rule_name, subject, period, REVISED_NOTE)
                    continue
                alert, created = raise_alert(org.pk, finding, revise=True)
                if created:
                    raised.append(alert)
    return raised
