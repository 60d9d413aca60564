"""The spend review's reconciliation as CSV (owners and admins, like the page)."""

import csv

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from analytics import selectors
from analytics.selectors.reconciliation import spend_reconciliation
from koalr.accounts.tenancy import org_required

from .exports import _neutralise
from .views import SPEND_CAPABILITY, _spend_team, _today

COLUMNS = (
    ("email", "Email"),
    ("name", "Name"),
    ("cursor_cents", "Cursor total (cents)"),
    ("events_cents", "Usage events (cents)"),
    ("difference_cents", "Difference (cents)"),
    ("difference_pct", "Difference (%)"),
    ("off", "Beyond tolerance"),
    ("causes", "Likely causes"),
)


def _cell(row: dict, key: str) -> str:
    value = row.get(key)
    if key == "causes":
        return " ".join(f"{c['confidence'].title()}: {c['text']}" for c in value)
    if key == "off":
        return "yes" if value else "no"
    return "" if value is None else str(value)


@require_GET
@org_required(capability=SPEND_CAPABILITY)
def spend_reconciliation_csv(request):
    """Every person of the cycle with Cursor's total, the events' sum, the difference and its
    likely causes; the same team filter as the page."""
    filters, _ = _spend_team(request)
    overview = selectors.spend_overview(
        request.organization, today=_today(), include_members=False, team=filters.team
    )
    rec = spend_reconciliation(
        request.organization,
        today=_today(),
        member_q=overview.get("member_q"),
        cycle_start_at=overview["snapshot_cycle_start"],
        read_cycle=False,
    )
    team = f"-team-{filters.team}" if filters.team else ""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="spend-reconciliation{team}-cycle-{rec["cycle_start"] or "none"}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow([label for _, label in COLUMNS])
    for row in rec["rows"]:
        writer.writerow([_neutralise(_cell(row, key)) for key, _ in COLUMNS])
    return response
