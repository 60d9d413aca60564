"""Writes the alerts pages call: budgets, channels, acknowledging and resolving alerts.

Every function takes the organization (or an object looked up with it) explicitly.
"""

from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Alert, Budget, Channel


class AlertsError(Exception):
    """A refusal meant for the user, shown as is."""


def save_budget(organization, data: dict, *, user, budget: Budget | None = None) -> Budget:
    """Create or edit a budget. Editing keeps its id, so thresholds that already fired this
    period stay fired (their alerts are keyed by the budget's id)."""
    budget = budget or Budget(organization=organization, created_by=user)
    budget.scope = data["scope"]
    budget.person = data.get("person")
    budget.team = data.get("team")
    budget.period = data["period"]
    budget.amount_cents = data["amount"]
    budget.thresholds = data["thresholds"]
    budget.alert_on_projection = data["alert_on_projection"]
    try:
        with transaction.atomic():
            budget.save()
    except IntegrityError:
        who = {Budget.Scope.PERSON: "this person", Budget.Scope.TEAM: "this team"}.get(
            budget.scope, "the organization"
        )
        raise AlertsError(
            f"There is already a {budget.get_period_display().lower()} budget for {who}; edit that one."
        ) from None
    return budget


def delete_budget(budget: Budget) -> None:
    budget.delete()


def _hint(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname} …{url[-4:]}" if len(url) > 12 else (parts.hostname or "")


def create_channel(organization, data: dict, *, user) -> Channel:
    channel = Channel(
        organization=organization,
        kind=data["kind"],
        name=data["name"].strip(),
        include_person_details=data.get("include_person_details", False),
        created_by=user,
    )
    if channel.kind in (Channel.Kind.SLACK, Channel.Kind.WEBHOOK):
        channel.set_url(data["url"])
        channel.target_hint = _hint(data["url"])
    if channel.kind == Channel.Kind.WEBHOOK:
        channel.set_secret(data["secret"])
    channel.save()
    return channel


def set_channel_active(channel: Channel, active: bool) -> None:
    channel.is_active = active
    channel.save(update_fields=["is_active"])


def delete_channel(channel: Channel) -> None:
    channel.delete()


def acknowledge(alert: Alert, *, user, note: str) -> Alert:
    if alert.status == Alert.Status.RESOLVED:
        raise AlertsError("This alert is already resolved.")
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.note = note.strip()
    alert.acknowledged_by = user
    alert.acknowledged_at = alert.updated_at = timezone.now()
    alert.save(update_fields=["status", "note", "acknowledged_by", "acknowledged_at", "updated_at"])
    return alert


def resolve(alert: Alert, *, user, note: str = "") -> Alert:
    alert.status = Alert.Status.RESOLVED
    if note.strip():
        alert.note = note.strip()
    alert.resolved_at = alert.updated_at = timezone.now()
    if alert.acknowledged_by_id is None:
        alert.acknowledged_by = user
    alert.save(update_fields=["status", "note", "resolved_at", "acknowledged_by", "updated_at"])
    return alert
