"""Paging helpers: what a client does, over real HTTP."""

from __future__ import annotations

REPORT = "/v1/organizations/usage_report/claude_code"
USERS = "/v1/organizations/users"
A_USERS = "/v1/organizations/analytics/users"
COST = "/v1/organizations/analytics/user_cost_report"
USAGE = "/v1/organizations/analytics/user_usage_report"


def report_day(c, day, limit=20) -> tuple[list[dict], int]:
    """Every record of the day and the number of pages it took."""
    rows, page, pages = [], None, 0
    while True:
        params = {"starting_at": day.isoformat(), "limit": limit} | ({"page": page} if page else {})
        response = c.get(REPORT, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"data", "has_more", "next_page"}
        rows += body["data"]
        pages += 1
        if not body["has_more"]:
            assert body["next_page"] is None
            return rows, pages
        page = body["next_page"]


def next_page_all(c, path, params) -> tuple[list[dict], int]:
    """Enterprise paging (`page=<next_page>` until it is null)."""
    rows, page, pages = [], None, 0
    while True:
        response = c.get(path, params=list(params) + ([("page", page)] if page else []))
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body["data"]
        pages += 1
        if not body["next_page"]:
            if "has_more" in body:
                assert body["has_more"] is False
            return rows, pages
        if "has_more" in body:
            assert body["has_more"] is True
        page = body["next_page"]
