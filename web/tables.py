"""Column definitions and sorting for the per-member tables.

The page and its CSV export share these columns, so an export holds exactly what the
table shows (every row across pages, in the same order: both sort in the database).
"""

from django.core.paginator import Paginator

from analytics.defaults import PAGE_SIZE

from .templatetags.analytics_format import cell_text

# (row key, header, kind) — kinds are formatted by analytics_format.cell_text.
MEMBER_COLUMNS = [
    ("name", "Name", "text"),
    ("email", "Email", "text"),
    ("active_days", "Active days", "int"),
    ("last_active", "Last active", "date"),
    ("agent_requests", "Agent", "int"),
    ("chat_requests", "Chat", "int"),
    ("composer_requests", "Composer", "int"),
    ("cmdk_usages", "Cmd-K", "int"),
    ("tabs_accepted", "Tab accepts", "int"),
    ("acceptance_rate", "Acceptance rate (%)", "rate"),
    ("top_model", "Top model", "text"),
    ("spend_cents", "Spend in range ($)", "cents"),
    ("cycle_spend_cents", "Spend cycle to date ($)", "cents"),
]
# Column key → the analytics.metrics key its header's info control explains (text columns
# such as name and email have none).
COLUMN_METRICS: dict[str, str] = {
    # the member table
    "active_days": "active_days",
    "last_active": "last_active",
    "agent_requests": "agent_requests",
    "chat_requests": "chat_requests",
    "composer_requests": "composer_requests",
    "cmdk_usages": "cmdk_usages",
    "tabs_accepted": "tabs_accepted",
    "acceptance_rate": "acceptance_rate",
    "top_model": "top_model",
    "spend_cents": "spend_cents",
    "cycle_spend_cents": "cycle_spend",
    # the spend table (its spend_cents is this cycle's on-demand spend: see SPEND_COLUMN_METRICS)
    "included_cents": "included_spend",
    "overall_spend_cents": "cycle_spend",
    "fast_premium_requests": "fast_premium_requests",
    "monthly_limit_dollars": "monthly_limit",
    "effective_per_user_limit_dollars": "effective_limit",
}
# Where one key means something else in the spend table than in the member table.
SPEND_COLUMN_METRICS = {**COLUMN_METRICS, "spend_cents": "on_demand_spend"}

# The top model is picked per page, after sorting, so it is not a sort key.
MEMBER_UNSORTABLE = frozenset({"top_model"})

SPEND_COLUMNS = [
    ("name", "Name", "text"),
    ("email", "Email", "text"),
    ("included_cents", "Included ($)", "cents"),
    ("spend_cents", "On-demand ($)", "cents"),
    ("overall_spend_cents", "Total ($)", "cents"),
    ("fast_premium_requests", "Fast premium requests", "int"),
    ("monthly_limit_dollars", "Monthly limit ($)", "dollars"),
    ("effective_per_user_limit_dollars", "Effective limit ($)", "dollars"),
    ("last_active", "Last active", "date"),
]
SPEND_DEFAULT_SORT = "-overall_spend_cents"

# The dashboard's daily series (its charts' rows) as a CSV: one row per UTC day, with whether a
# later sync may still revise it (analytics/freshness.py).
DAILY_COLUMNS = [
    ("day", "Date", "date"),
    ("active_users", "Active users", "int"),
    ("agent_requests", "Agent", "int"),
    ("chat_requests", "Chat", "int"),
    ("composer_requests", "Composer", "int"),
    ("cmdk_usages", "Cmd-K", "int"),
    ("tabs_accepted", "Tab accepts", "int"),
    ("total_lines_added", "Lines added", "int"),
    ("accepted_lines_added", "Accepted AI lines", "int"),
    ("usage_events", "Billed requests", "int"),
    ("spend_cents", "Spend ($)", "cents"),
    ("provisional", "provisional", "bool"),
]


def clean_sort(requested: str | None, columns, default: str, unsortable=frozenset()) -> str:
    """A sort key among the table's columns ("-key" for descending), else the default."""
    requested = (requested or "").strip()
    key = requested.lstrip("-")
    if key in {k for k, _, _ in columns} and key not in unsortable:
        return requested
    return default


def header_links(columns, sort: str, unsortable=frozenset(), metrics=None) -> list[dict]:
    """Header cells: the sort a click asks for (None: not sortable), the aria-sort state and
    the metric key its info control explains (`metrics`: COLUMN_METRICS by default)."""
    metrics = COLUMN_METRICS if metrics is None else metrics
    current, descending = sort.lstrip("-"), sort.startswith("-")
    headers = []
    for key, label, kind in columns:
        numeric = kind in ("int", "rate", "cents", "dollars", "date")
        if key in unsortable:
            next_sort, aria = None, "none"
        elif key == current:
            next_sort = key if descending else f"-{key}"
            aria = "descending" if descending else "ascending"
        else:
            next_sort = f"-{key}" if numeric else key
            aria = "none"
        headers.append(
            {
                "key": key,
                "label": label,
                "sort": next_sort,
                "aria": aria,
                "numeric": numeric,
                "metric": metrics.get(key, ""),
            }
        )
    return headers


# Far beyond any real table (a million pages of 50 rows); anything larger is read as this, so
# a hand-typed ?page=10**18 gets the last page rather than an error from the database.
MAX_PAGE = 1_000_000


def page_number(raw) -> int:
    try:
        return min(max(1, int(raw)), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


class _Prefetched:
    """One page of rows already fetched by the database, posing as the whole list so
    Paginator can number pages from the total."""

    def __init__(self, rows, total):
        self.rows, self.total = rows, total

    def count(self):
        return self.total

    def __len__(self):
        return self.total

    def __getitem__(self, _slice):
        return self.rows


def prefetched_page(rows, total, number):
    """A Paginator page for rows the database already sorted and sliced."""
    paginator = Paginator(_Prefetched(rows, total), PAGE_SIZE)
    return paginator.page(min(number, paginator.num_pages) if rows else 1)


def with_cells(rows, columns):
    """Pre-format every cell but the first (the linked name) once, in Python: cheaper than
    a template tag per cell on a 50-row page."""
    for row in rows:
        row["cells"] = [(cell_text(row, column), column[2] != "text") for column in columns[1:]]
    return rows
