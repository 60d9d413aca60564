"""Trust: the reconciliation of spend, the data-quality checks and provisional days."""

from . import TOOLS, Metric, register
from .sources import CURSOR_EVENTS, CURSOR_SPEND

BOTH = {"cursor": f"{CURSOR_SPEND} and {CURSOR_EVENTS}"}
EVENTS = {"cursor": CURSOR_EVENTS}
KOALR = dict.fromkeys(TOOLS, "Koalr's checks after each sync (no upstream endpoint)")
ERRORED = 'Errored requests ("Errored, Not Charged") are left out of the events\' sum'


def _rec(key, name, definition, formula, unit="cents", sources=BOTH, caveats=(ERRORED,)):
    return Metric(
        key=key,
        name=name,
        definition=definition,
        formula=formula,
        unit=unit,
        sources=sources,
        caveats=caveats,
    )


register(
    _rec(
        "reconciliation_cursor_cents",
        "Cursor's cycle total",
        "What Cursor's /teams/spend reports for the billing cycle so far (included plus on-demand)",
        "sum of overallSpendCents of the cycle's spend rows",
        sources={"cursor": CURSOR_SPEND},
        caveats=(),
    ),
    _rec(
        "reconciliation_events_cents",
        "Sum of usage events",
        "The charged cents of the cycle's usage events Koalr stored",
        "sum of chargedCents of the events since the cycle started",
        sources=EVENTS,
    ),
    _rec(
        "reconciliation_difference_cents",
        "Difference",
        "How far Cursor's total and the events' sum are apart",
        "Cursor's cycle total − sum of the cycle's usage events' charged cents",
        caveats=(
            ERRORED,
            "Known causes: Cursor token fees, errored requests; possible: included usage, events "
            "of the last provisional days still arriving",
        ),
    ),
    _rec(
        "reconciliation_difference_pct",
        "Difference (%)",
        "The difference as a share of Cursor's total",
        "difference ÷ Cursor's cycle total × 100",
        unit="percent",
    ),
    _rec(
        "reconciliation_events",
        "Usage events",
        "Usage events of the cycle",
        "count of events",
        "count",
        EVENTS,
    ),
    _rec(
        "token_fee_cents",
        "Cursor token fees",
        "Cursor's token fee the events' charged cents include",
        "sum of cursorTokenFee of the cycle's events",
        sources=EVENTS,
    ),
    _rec(
        "included_zero_events",
        "Events within included usage",
        "Events charged 0 because they fall within the plan's included usage",
        "count of events whose kind is an included kind and chargedCents = 0",
        "count",
        EVENTS,
    ),
    _rec(
        "errored_events",
        "Errored requests",
        'Events Cursor marks "Errored, Not Charged", left out of every spend figure',
        'count of events of kind "Errored, Not Charged"',
        "count",
        EVENTS,
        caveats=(),
    ),
    _rec(
        "errored_cents",
        "Charges on errored requests",
        "Charged cents errored requests carry (left out of spend)",
        'sum of chargedCents of events of kind "Errored, Not Charged"',
        sources=EVENTS,
        caveats=(),
    ),
    _rec(
        "recent_cents",
        "Charges of provisional days",
        "Charged cents of the last days Cursor may still revise, whose events may still arrive",
        "sum of chargedCents of events on provisional days",
        sources=EVENTS,
    ),
    _rec(
        "reconciliation_tolerance_pct",
        "Tolerance (%)",
        "How far apart the figures may be, as a share, before a person is listed as differing",
        "setting DATA_QUALITY_SPEND_TOLERANCE_PCT",
        unit="percent",
        caveats=(
            "A person differs when the difference exceeds the larger of the cents and the percent tolerance",
        ),
    ),
    _rec(
        "reconciliation_tolerance_cents",
        "Tolerance (cents)",
        "How far apart the figures may be, in cents, before a person is listed as differing",
        "setting DATA_QUALITY_SPEND_TOLERANCE_CENTS",
        caveats=(
            "A person differs when the difference exceeds the larger of the cents and the percent tolerance",
        ),
    ),
    _rec(
        "reconciliation_matching",
        "People who agree",
        "People whose Cursor total and events' sum are within the tolerance",
        "count of people with |difference| ≤ tolerance",
        "people",
    ),
    _rec(
        "not_in_spend_cents",
        "Charges of people missing from /teams/spend",
        "Charged cents of usage events of people Cursor's spend report does not list",
        "sum of chargedCents of the cycle's events of members without a spend row",
    ),
    Metric(
        key="data_health_warnings",
        name="Data-quality warnings",
        definition="Checks of the latest checked sync that found a problem (missing or revised days, "
        "disagreeing totals, usage outside the roster, malformed or errored records)",
        formula="count of that run's checks with status warning",
        unit="count",
        sources=KOALR,
    ),
    Metric(
        key="provisional_days",
        name="Provisional days",
        definition="Recent days a later sync may still revise: drawn hatched in charts and flagged "
        "provisional in CSV and API rows",
        formula="Cursor: the last sync's day and the CURSOR_SYNC_LOOKBACK_DAYS before it; Copilot: its "
        "last 4 days; Claude Code: its settle days",
        unit="date",
        sources=dict.fromkeys(TOOLS, "Koalr's sync windows (no upstream endpoint)"),
    ),
)
