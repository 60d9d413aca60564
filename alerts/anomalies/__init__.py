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

from datetime import UTC, date, timedelta

from django.conf import settings
from django.utils import timezone

from ..models import Alert
from ..records import raise_alert, withdraw
from .data import BASELINE_DAYS, Data, Thresholds
from .rules import RULES

REVISED_NOTE = "Cursor revised the figures; no longer unusual."

__all__ = ["BASELINE_DAYS", "REVISED_NOTE", "Thresholds", "detect_anomalies", "evaluated_days"]


def evaluated_days(today: date) -> list[date]:
    """The days Cursor may still restate, and today."""
    lookback = settings.CURSOR_SYNC_LOOKBACK_DAYS
    return [today - timedelta(days=n) for n in range(lookback, -1, -1)]


def detect_anomalies(org, *, today: date | None = None, thresholds: Thresholds | None = None) -> list[Alert]:
    """Evaluate the restatable days; returns the alerts newly raised (the ones notified)."""
    today = today or timezone.now().astimezone(UTC).date()
    th = thresholds or Thresholds.from_settings()
    days = evaluated_days(today)
    data = Data(org, days)
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
