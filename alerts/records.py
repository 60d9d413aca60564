"""Raising, revising and closing alerts: the one place `Alert` rows are written.

De-duplication is the unique key (organization, rule, subject, period): raising an alert that
exists never creates a second one and never notifies again. A revision (Cursor restated a
day) updates the open alert's figures in place.
"""

import logging
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Alert

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    """What a rule found, before it becomes (or updates) an alert."""

    kind: str
    rule: str
    subject: str
    period: str
    title: str
    reason: str
    summary: str
    person_id: int | None = None
    budget_id: int | None = None
    team_id: int | None = None
    day: date | None = None
    metrics: dict = field(default_factory=dict)


def raise_alert(organization_id: int, finding: Finding, *, revise: bool = False) -> tuple[Alert, bool]:
    """Create the finding's alert and notify, or (revise=True) update an open one in place.

    Returns (alert, created). An existing alert is never notified again; a resolved or
    acknowledged one keeps its status (someone already looked at it).
    """
    from .notify.dispatch import notify  # notify reads records' models; imported late

    now = timezone.now()
    key = {
        "organization_id": organization_id,
        "rule": finding.rule,
        "subject": finding.subject,
        "period": finding.period,
    }
    existing = Alert.objects.filter(**key).first()
    if existing is not None:
        if revise and existing.status == Alert.Status.OPEN and _changed(existing, finding):
            existing.title, existing.reason, existing.summary = finding.title, finding.reason, finding.summary
            existing.metrics = finding.metrics
            existing.revisions += 1
            existing.updated_at = now
            existing.save(update_fields=["title", "reason", "summary", "metrics", "revisions", "updated_at"])
        return existing, False
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                **key,
                kind=finding.kind,
                person_id=finding.person_id,
                budget_id=finding.budget_id,
                team_id=finding.team_id,
                day=finding.day,
                title=finding.title,
                reason=finding.reason,
                summary=finding.summary,
                metrics=finding.metrics,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:  # raised concurrently by another worker: theirs stands
        return Alert.objects.get(**key), False
    notify(alert)
    return alert, True


def withdraw(organization_id: int, rule: str, subject: str, period: str, why: str) -> bool:
    """Resolve an open alert whose figures no longer qualify (Cursor revised the day)."""
    now = timezone.now()
    updated = Alert.objects.filter(
        organization_id=organization_id, rule=rule, subject=subject, period=period, status=Alert.Status.OPEN
    ).update(status=Alert.Status.RESOLVED, resolved_at=now, updated_at=now, note=why)
    return bool(updated)


def _changed(alert: Alert, finding: Finding) -> bool:
    return alert.reason != finding.reason or alert.metrics != finding.metrics
