"""The anomaly rules. Each yields (finding or None, rule, subject, period) per key it
evaluated on a day: None means the key does not (or no longer) qualify."""

import fnmatch
from datetime import date, timedelta

from ..models import Alert
from ..records import Finding
from ..stats import robust_z
from ..text import day_label, money, times
from .data import BASELINE_DAYS, Data, Thresholds


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


def _spend_findings(data: Data, day: date, th: Thresholds):
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


def _request_findings(data: Data, day: date, th: Thresholds):
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


def _first_use_findings(data: Data, day: date, th: Thresholds):
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


def _share_findings(data: Data, day: date, th: Thresholds):
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


def _team_share_findings(data: Data, day: date, th: Thresholds):
    """A person's spend above `team_share_percent` of a team's on a day, for each team (and
    parent team) they were in that day. Like the organization version, it needs a few
    spenders in the team and a spend above the floor, so a team of two never alerts."""
    period = day.isoformat()
    for team_id, by_day in data.team_spend.items():
        total = by_day.get(day)
        if total is None:
            continue
        team_name = data.team_names.get(team_id, "a team")
        people = data.team_people(team_id, day)
        spenders = [p for p in people if data.person_spend.get(p, {}).get(day, 0) > 0]
        for person_id in people:
            value = data.person_spend.get(person_id, {}).get(day)
            if value is None:
                continue
            subject = f"person:{person_id}:team:{team_id}"
            qualifies = (
                len(spenders) >= th.share_min_people
                and value >= th.spend_floor_cents
                and total > 0
                and value * 100 > total * th.team_share_percent
            )
            finding = None
            if qualifies:
                name = data.names.get(person_id, "Someone")
                share = value * 100 / total
                finding = Finding(
                    kind=Alert.Kind.SHARE_OF_TEAM,
                    rule="share_of_team",
                    subject=subject,
                    period=period,
                    person_id=person_id,
                    team_id=team_id,
                    day=day,
                    title=f"{name} made {share:.0f}% of {team_name}'s spend on {day_label(day)}",
                    reason=f"{name} spent {money(value)} on {day_label(day)}, {share:.0f}% of "
                    f"{team_name}'s {money(total)} that day.",
                    summary=f"One person made more than {th.team_share_percent:.0f}% of {team_name}'s "
                    f"spend on {day_label(day)}.",
                    metrics={
                        "value_cents": round(value, 2),
                        "team_cents": round(total, 2),
                        "share": round(share, 1),
                    },
                )
            yield finding, "share_of_team", subject, period


def _org_jump_findings(data: Data, day: date, th: Thresholds):
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


RULES = (
    _spend_findings,
    _request_findings,
    _first_use_findings,
    _share_findings,
    _team_share_findings,
    _org_jump_findings,
)
