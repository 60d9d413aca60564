"""Data-quality checks per sync run: computed by analytics (analytics/selectors/data_quality.py)
over what the run left stored, kept here per SyncRun, read by the connection page and the API.

After each Cursor sync that finished (succeeded or partial), the runner calls
`record_cursor_checks`; it also keeps the run's per-day digest (events, charged cents, daily
rows, requests) so the next run can tell which ended days Cursor revised since, and by how much.
Every query filters by organization.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Min

from analytics.selectors import data_quality as dq
from analytics.selectors.data_quality_tools import copilot_missing_days

from .models import Provider, SyncCheck, SyncDigest, SyncRun

FINISHED = (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL)
# The order checks are shown in.
CURSOR_CHECKS = (
    "missing_days",
    "revised_days",
    "daily_vs_events",
    "spend_vs_events",
    "unlisted_usage",
    "roster_without_usage",
    "malformed_records",
    "errored_requests",
)


def _covered_from(organization_id: int) -> date | None:
    """The first day any finished Cursor sync covered: history is complete from there."""
    return SyncRun.objects.filter(
        organization_id=organization_id,
        provider=Provider.CURSOR,
        status__in=FINISHED,
        window_start__isnull=False,
    ).aggregate(first=Min("window_start"))["first"]


def data_through(digest: SyncDigest | None) -> date | None:
    """The last ended UTC day the run found daily usage for."""
    if digest is None:
        return None
    days = [date.fromisoformat(d) for d, v in digest.days.items() if v.get("daily_rows")]
    days = [d for d in days if d < digest.as_of]
    return max(days) if days else None


def cursor_checks(
    run: SyncRun, *, skipped_events: int, skipped_other: int, today: date, digest: dict
) -> list[dq.Check]:
    """Every check of one Cursor run (nothing stored)."""
    org_id, start, end = run.organization_id, run.window_start, run.window_end
    previous = (
        SyncDigest.objects.filter(
            organization_id=org_id, provider=Provider.CURSOR, sync_run__created_at__lte=run.created_at
        )
        .exclude(sync_run_id=run.pk)
        .order_by("-sync_run__created_at", "-pk")
        .first()
    )
    through = max(
        (
            date.fromisoformat(d)
            for d, v in digest.items()
            if v["daily_rows"] and date.fromisoformat(d) < today
        ),
        default=None,
    )
    errored = dq.errored_requests(digest)
    checks = [
        dq.missing_days(digest, start, end, today=today, covered_from=dq.first_daily_day(org_id)),
        dq.revised_days(previous.days if previous else None, previous.as_of if previous else None, digest),
        dq.daily_vs_events(
            digest,
            start,
            end,
            today=today,
            pct=settings.DATA_QUALITY_REQUESTS_TOLERANCE_PCT,
            absolute=settings.DATA_QUALITY_REQUESTS_TOLERANCE_ABS,
        ),
        dq.spend_vs_events(
            org_id,
            covered_from=_covered_from(org_id),
            today=today,
            pct=settings.DATA_QUALITY_SPEND_TOLERANCE_PCT,
            cents=settings.DATA_QUALITY_SPEND_TOLERANCE_CENTS,
        ),
        *dq.roster_matches(
            org_id, data_through=through, recent_days=settings.DATA_QUALITY_UNLISTED_RECENT_DAYS
        ),
        dq.malformed_records(skipped_events, skipped_other),
        dq.errored_charges(org_id, start, end, errored),
    ]
    return sorted(checks, key=lambda c: CURSOR_CHECKS.index(c.key))


def record_cursor_checks(
    run: SyncRun, *, skipped_events: int, skipped_other: int, today: date
) -> list[SyncCheck]:
    """Compute and store the checks and the per-day digest of a finished Cursor run
    (again for a run that has them: they are replaced)."""
    digest = dq.cursor_day_digest(run.organization_id, run.window_start, run.window_end)
    checks = cursor_checks(
        run, skipped_events=skipped_events, skipped_other=skipped_other, today=today, digest=digest
    )
    rows = [
        SyncCheck(
            organization_id=run.organization_id,
            sync_run=run,
            provider=Provider.CURSOR,
            key=c.key,
            status=c.status,
            title=c.title,
            message=c.message,
            numbers=c.numbers,
        )
        for c in checks
    ]
    with transaction.atomic():
        SyncDigest.objects.update_or_create(
            sync_run=run,
            organization_id=run.organization_id,
            defaults={"provider": Provider.CURSOR, "as_of": today, "days": digest},
        )
        SyncCheck.objects.filter(organization_id=run.organization_id, sync_run=run).delete()
        SyncCheck.objects.bulk_create(rows)
    return rows


def record_copilot_checks(run: SyncRun, *, today: date) -> list[SyncCheck]:
    """The Copilot checks of a finished run (the missing days), stored like Cursor's."""
    check = copilot_missing_days(run.organization_id, run.window_start, run.window_end, today=today)
    row = SyncCheck(
        organization_id=run.organization_id,
        sync_run=run,
        provider=Provider.COPILOT,
        key=check.key,
        status=check.status,
        title=check.title,
        message=check.message,
        numbers=check.numbers,
    )
    with transaction.atomic():
        SyncCheck.objects.filter(organization_id=run.organization_id, sync_run=run).delete()
        row.save()
    return [row]


def latest_checks(organization, provider: str = Provider.CURSOR) -> dict | None:
    """The newest run of the tool that has checks, its checks in display order, its overall
    status and data-through day; None when no run has been checked yet. Three queries."""
    run = (
        SyncRun.objects.filter(organization=organization, provider=provider, checks__isnull=False)
        .order_by("-created_at", "-pk")
        .distinct()
        .first()
    )
    if run is None:
        return None
    checks = list(SyncCheck.objects.filter(organization=organization, sync_run=run))
    order = {key: i for i, key in enumerate(CURSOR_CHECKS)}
    checks.sort(key=lambda c: (order.get(c.key, len(order)), c.pk))
    digest = SyncDigest.objects.filter(organization=organization, sync_run=run).first()
    warnings = [c for c in checks if c.status == SyncCheck.Status.WARNING]
    return {
        "run": run,
        "checks": checks,
        "status": SyncCheck.Status.WARNING if warnings else SyncCheck.Status.OK,
        "warnings": len(warnings),
        "data_through": data_through(digest),
    }


def _fact_label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _item_text(item) -> str:
    if isinstance(item, dict):
        head = item.get("day", "")
        rest = ", ".join(f"{_fact_label(k).lower()} {v}" for k, v in item.items() if k != "day")
        return f"{head}: {rest}" if head else rest
    return str(item)


def check_for_display(check: SyncCheck, *, can_see_people: bool) -> dict:
    """A stored check as the page shows it: plain facts, per-day details, and the people named
    (only for who may see per-person figures; the others get the counts alone)."""
    facts, details, people = [], [], []
    for key, value in dq.public_numbers(check.numbers, can_see_people=can_see_people).items():
        if key.endswith(dq.PERSON_KEYS_SUFFIX):
            if value:
                people.append(
                    {"label": _fact_label(key.removesuffix(dq.PERSON_KEYS_SUFFIX)), "emails": value}
                )
        elif isinstance(value, list):
            details.extend(_item_text(v) for v in value)
        elif isinstance(value, bool):
            facts.append((_fact_label(key), "yes" if value else "no"))
        elif value is not None:
            facts.append((_fact_label(key), value))
    return {
        "key": check.key,
        "title": check.title,
        "status": check.status,
        "ok": check.status == SyncCheck.Status.OK,
        "message": check.message,
        "facts": facts,
        "details": details,
        "people": people,
    }


def data_quality_section(
    organization, *, can_see_people: bool, provider: str = Provider.CURSOR
) -> dict | None:
    """The connection page's data-quality section: the latest checked run's checks."""
    latest = latest_checks(organization, provider)
    if latest is None:
        return None
    return latest | {
        "checks": [check_for_display(c, can_see_people=can_see_people) for c in latest["checks"]]
    }
