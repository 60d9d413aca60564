"""Column definitions and sorting for the per-member tables.

The page and its CSV export share these columns, so an export holds exactly what the
table shows (every row across pages, in the same order).
"""

from django.core.paginator import Paginator

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
MEMBER_DEFAULT_SORT = "-active_days"

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
PAGE_SIZE = 50


def clean_sort(requested: str | None, columns, default: str) -> str:
    """A sort key among the table's columns ("-key" for descending), else the default."""
    requested = (requested or "").strip()
    if requested.lstrip("-") in {key for key, _, _ in columns}:
        return requested
    return default


def sort_rows(rows: list[dict], sort: str) -> list[dict]:
    """Sort by one column; empty values always last, ties by email."""
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    rows = sorted(rows, key=lambda r: r.get("email") or "")

    def value(row):
        v = row.get(key)
        return v.lower() if isinstance(v, str) else v

    filled = [r for r in rows if value(r) not in (None, "")]
    empty = [r for r in rows if value(r) in (None, "")]
    return sorted(filled, key=value, reverse=descending) + empty


def header_links(columns, sort: str) -> list[dict]:
    """Header cells: the sort a click asks for and the current aria-sort state."""
    current, descending = sort.lstrip("-"), sort.startswith("-")
    headers = []
    for key, label, kind in columns:
        numeric = kind in ("int", "rate", "cents", "dollars", "date")
        if key == current:
            next_sort = key if descending else f"-{key}"
            aria = "descending" if descending else "ascending"
        else:
            next_sort = f"-{key}" if numeric else key
            aria = "none"
        headers.append({"key": key, "label": label, "sort": next_sort, "aria": aria, "numeric": numeric})
    return headers


def paginate(rows, page_number):
    return Paginator(rows, PAGE_SIZE).get_page(page_number)
