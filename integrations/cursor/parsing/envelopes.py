"""Pagination envelopes: whether another page follows, whichever variant Cursor sent."""

from __future__ import annotations

from ..values import to_bool, to_int

_ITEM_TOTALS = ("totalCount", "totalItems", "totalUsageEventsCount", "totalMembers")
_USER_TOTALS = ("totalUsers",)


def _first(sources: tuple[dict, ...], names: tuple[str, ...]):
    for src in sources:
        for name in names:
            v = src.get(name)
            if v is not None:
                return v
    return None


def has_next_page(envelope: dict, page: int, page_size: int, n_items: int, fetched: int) -> bool:
    """Whether another page follows ``page``, whatever envelope variant Cursor used.

    Order of trust: ``hasNextPage``; ``totalPages``/``numPages``; an item total
    (``totalCount``, ``totalItems``, ``totalUsageEventsCount``, ``totalMembers``) compared with
    the items fetched so far; a user total (``totalUsers``, daily usage pages by user) compared
    with ``page * pageSize``. No information, or an empty page, ends the listing. Raises
    ValueError/TypeError on a nonsensical envelope.
    """
    if n_items == 0:
        return False
    pagination = envelope.get("pagination")
    sources = (pagination, envelope) if pagination.__class__ is dict else (envelope,)
    more = _first(sources, ("hasNextPage",))
    if more is not None:
        return to_bool(more)
    total_pages = _first(sources, ("totalPages", "numPages"))
    if total_pages is not None:
        return page < to_int(total_pages)
    total = _first(sources, _ITEM_TOTALS)
    if total is not None:
        return fetched < to_int(total)
    total = _first(sources, _USER_TOTALS)
    if total is not None:
        size = _first(sources, ("pageSize",))
        size = to_int(size) if size is not None else page_size
        return size > 0 and page * size < to_int(total)
    return False
