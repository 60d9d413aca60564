"""The digest emailed to owners and admins: weekly on Mondays, and three days before a
billing cycle ends.

Contents: the last seven full UTC days against the seven before (spend, AI requests, active
people, from the tool-neutral `ToolDay` facts), the three largest changes in plain words
(per person and per model spend), every budget's status, idle seats with the monthly saving
(the spend review's), and one suggested action. It names people: owners and admins only.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from analytics.models import Tool, ToolDay, UsageEvent
from analytics.selectors import spend_overview

from .budgets import budget_statuses
from .models import Alert, DigestSent
from .notify.messages import absolute
from .notify.senders import recipients
from .text import day_label, money

CYCLE_END_LEAD_DAYS = 3
CHANGE_FLOOR_CENTS = 500  # changes under $5 are noise, not news


@dataclass
class Figure:
    label: str
    current: float
    previous: float
    fmt: str = "number"

    @property
    def change_percent(self) -> float | None:
        return (self.current - self.previous) * 100 / self.previous if self.previous else None

    def show(self, value) -> str:
        return money(value) if self.fmt == "money" else f"{value:,.0f}"

    @property
    def current_text(self) -> str:
        return self.show(self.current)

    @property
    def previous_text(self) -> str:
        return self.show(self.previous)

    @property
    def change_text(self) -> str:
        pct = self.change_percent
        if pct is None:
            return "new" if self.current else "no change"
        return f"{pct:+.0f}%"


@dataclass
class Digest:
    organization: object
    kind: str
    today: date
    week_start: date
    week_end: date
    figures: list[Figure]
    changes: list[str]
    budgets: list
    idle_seats: int
    idle_saving_cents: float
    seat_price_cents: int
    cycle_end: date
    open_alerts: int
    action: str
    links: dict = field(default_factory=dict)

    @property
    def idle_saving_text(self) -> str:
        return money(self.idle_saving_cents)

    @property
    def subject(self) -> str:
        if self.kind == DigestSent.Kind.CYCLE_END:
            return f"[Koalr] {self.organization.name}: the billing cycle ends {day_label(self.cycle_end)}"
        return f"[Koalr] {self.organization.name}: your week of AI coding, {day_label(self.week_start)}–{day_label(self.week_end)}"


def _week_totals(org, start: date, end: date) -> dict:
    return ToolDay.objects.filter(organization=org, tool=Tool.CURSOR, day__range=(start, end)).aggregate(
        spend=Sum("cost_cents"),
        requests=Sum("requests"),
        active=Count("person", distinct=True, filter=Q(active=True)),
    )


def _changes(org, start: date, end: date, prev_start: date) -> list[str]:
    """The three largest spend changes, per person and per model, in plain words."""
    candidates = []
    people = (
        ToolDay.objects.filter(organization=org, tool=Tool.CURSOR, day__range=(prev_start, end))
        .values("person_id", "person__name", "person__primary_email")
        .annotate(
            now=Sum("cost_cents", filter=Q(day__gte=start)),
            before=Sum("cost_cents", filter=Q(day__lt=start)),
        )
    )
    for row in people:
        who = row["person__name"] or row["person__primary_email"]
        candidates.append((f"{who}'s spend", row["now"] or Decimal(0), row["before"] or Decimal(0)))
    models = (
        UsageEvent.objects.filter(organization=org, day__range=(prev_start, end))
        .exclude(kind=UsageEvent.ERRORED_KIND)  # not charged: left out of every spend figure
        .values("model")
        .annotate(
            now=Sum("charged_cents", filter=Q(day__gte=start)),
            before=Sum("charged_cents", filter=Q(day__lt=start)),
        )
    )
    for row in models:
        candidates.append(
            (
                f"Spend on {row['model'] or 'unknown models'}",
                row["now"] or Decimal(0),
                row["before"] or Decimal(0),
            )
        )
    candidates = [c for c in candidates if abs(c[1] - c[2]) >= CHANGE_FLOOR_CENTS]
    candidates.sort(key=lambda c: (-abs(c[1] - c[2]), c[0]))
    lines = []
    for what, now, before in candidates[:3]:
        verb = "rose" if now > before else "fell"
        delta = now - before
        sign = "+" if delta > 0 else "−"
        lines.append(f"{what} {verb} from {money(before)} to {money(now)} ({sign}{money(abs(delta))}).")
    return lines


def _action(budgets, idle_seats: int, saving, open_alerts: int) -> str:
    over = [s for s in budgets if s.projected_to_exceed]
    if over:
        worst = max(over, key=lambda s: s.projected_percent)
        who = (
            "The organization's" if worst.budget.scope == "organization" else worst.budget.subject_name + "'s"
        )
        return (
            f"{who} budget is projected at {worst.projected_percent:.0f}% ({money(worst.projected_cents)} of "
            f"{money(worst.amount_cents)}): set Cursor spend limits or raise the budget."
        )
    if idle_seats:
        return f"Reclaim the {idle_seats} seat{'s' if idle_seats != 1 else ''} idle for 30 days to save {money(saving)} a month."
    if open_alerts:
        return f"Review the {open_alerts} open alert{'s' if open_alerts != 1 else ''}."
    return "Nothing needs your attention this week."


def build_digest(org, *, today: date | None = None, kind: str = DigestSent.Kind.WEEKLY) -> Digest:
    today = today or timezone.now().date()
    week_end = today - timedelta(days=1)
    week_start = today - timedelta(days=7)
    prev_start = week_start - timedelta(days=7)
    now = _week_totals(org, week_start, week_end)
    before = _week_totals(org, prev_start, week_start - timedelta(days=1))
    figures = [
        Figure("Spend", float(now["spend"] or 0), float(before["spend"] or 0), "money"),
        Figure("AI requests", float(now["requests"] or 0), float(before["requests"] or 0)),
        Figure("Active people", float(now["active"] or 0), float(before["active"] or 0)),
    ]
    overview = spend_overview(org, today=today, include_members=False)
    budgets = budget_statuses(org, today=today)
    open_alerts = Alert.objects.filter(organization=org, status=Alert.Status.OPEN).count()
    idle = len(overview["idle_30"])
    return Digest(
        organization=org,
        kind=kind,
        today=today,
        week_start=week_start,
        week_end=week_end,
        figures=figures,
        changes=_changes(org, week_start, week_end, prev_start),
        budgets=budgets,
        idle_seats=idle,
        idle_saving_cents=overview["monthly_saving_cents"],
        seat_price_cents=overview["seat_price_cents"],
        cycle_end=overview["cycle_end"] - timedelta(days=1),
        open_alerts=open_alerts,
        action=_action(budgets, idle, overview["monthly_saving_cents"], open_alerts),
        links={
            "spend": absolute(reverse("analytics:spend")),
            "budgets": absolute(reverse("alerts:budgets")),
            "alerts": absolute(reverse("alerts:index")),
        },
    )


def render(digest: Digest) -> tuple[str, str]:
    """(plain text, HTML)."""
    context = {"d": digest}
    return (
        render_to_string("alerts/email/digest.txt", context),
        render_to_string("alerts/email/digest.html", context),
    )


def send_digest(org, *, today: date, kind: str, period: str) -> bool:
    """Email the digest to the organization's owners and admins once per (kind, period)."""
    to = recipients(org.pk)
    if not to:
        return False
    try:
        with transaction.atomic():
            DigestSent.objects.create(
                organization=org, kind=kind, period=period, recipients=len(to), sent_at=timezone.now()
            )
            digest = build_digest(org, today=today, kind=kind)
            text, html = render(digest)
            mail = EmailMultiAlternatives(digest.subject, text, settings.DEFAULT_FROM_EMAIL, to)
            mail.attach_alternative(html, "text/html")
            mail.send()
    except IntegrityError:
        return False  # already sent for this period
    return True


def cycle_ends_soon(org, today: date) -> date | None:
    """The cycle's first day if it ends in CYCLE_END_LEAD_DAYS days, else None."""
    overview = spend_overview(org, today=today, include_members=False)
    last_day = overview["cycle_end"] - timedelta(days=1)
    return overview["cycle_start"] if (last_day - today).days == CYCLE_END_LEAD_DAYS else None
