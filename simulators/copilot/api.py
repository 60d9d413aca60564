"""The GitHub REST endpoints, as functions of (simulator, scope, query) -> Reply.

Routes are matched by regular expression; a trailing slash is a 404 as on GitHub
(docs/copilot-api.md §1.5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from .util import ApiError, dumps

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Reply:
    status: int = 200
    obj: object = None
    headers: dict = field(default_factory=dict)

    def body(self) -> bytes:
        return b"" if self.status == 204 else dumps(self.obj)


@dataclass(frozen=True)
class Route:
    name: str
    family: str  # what the token must allow (tokens.REQUIREMENTS)
    scope_kind: str  # "org", "enterprise" or "" (no scope)
    handler: object
    report: str = ""
    metrics: bool = False  # subject to the "Copilot usage metrics" policy


ORG = r"/orgs/(?P<scope>[^/]+)"
ENT = r"/enterprises/(?P<scope>[^/]+)"


def _validation(field_name: str, code: str) -> ApiError:
    return ApiError(
        422,
        "Validation Failed",
        extra={"errors": [{"resource": "CopilotUsageMetrics", "field": field_name, "code": code}]},
    )


def parse_day(query: dict) -> date:
    value = query.get("day")
    if value is None or value == "":
        raise _validation("day", "missing_field")
    if not _DAY.match(value):
        raise _validation("day", "invalid")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _validation("day", "invalid") from None


def no_report(scope, route: Route) -> Reply:
    """A day without a report: 204 where the OAS lists it (the org 1-day endpoints), else 404,
    unless the scope forces one (`no_report_status`)."""
    status = scope.no_report_status or (204 if route.scope_kind == "org" else 404)
    if status == 204:
        return Reply(204)
    raise ApiError(status)


def one_day_report(sim, scope, route: Route, query: dict, **ctx) -> Reply:
    day = parse_day(query)
    if not scope.report_available(day):
        return no_report(scope, route)
    links = sim.signed_links(scope, route.report, day)
    return Reply(obj={"download_links": links, "report_day": day.isoformat()})


def latest_28_day_report(sim, scope, route: Route, query: dict, **ctx) -> Reply:
    window = scope.window_28()
    if window is None:
        raise ApiError(404)
    links = sim.signed_links(scope, route.report, None)
    return Reply(
        obj={
            "download_links": links,
            "report_start_day": window[0].isoformat(),
            "report_end_day": window[1].isoformat(),
        }
    )


def _int_param(query: dict, name: str, default: int, lo: int, hi: int | None = None) -> int:
    try:
        value = int(query.get(name, default))
    except (TypeError, ValueError):
        return default
    value = max(lo, value)
    return min(hi, value) if hi is not None else value


def seats(sim, scope, route: Route, query: dict, **ctx) -> Reply:
    """Seat lists page by `page`/`per_page` (default 50, max 100) with a `Link` header."""
    per_page = _int_param(query, "per_page", 50, 1, 100)
    page = _int_param(query, "page", 1, 1)
    rows = scope.seat_rows()
    total = len(rows) if route.scope_kind == "org" else scope.total_seats
    last = max(1, -(-len(rows) // per_page))
    chunk = rows[(page - 1) * per_page : page * per_page]
    links = []
    base = sim.base_url + ctx["path"]

    def url(p):
        params = {k: v for k, v in query.items() if k not in ("page", "per_page")}
        params.update({"per_page": per_page, "page": p})
        return f"<{base}?{urlencode(params)}>"

    if page > 1:
        links.append(f'{url(min(page - 1, last))}; rel="prev"')
    if page < last:
        links.append(f'{url(page + 1)}; rel="next"')
        links.append(f'{url(last)}; rel="last"')
    if page > 1:
        links.append(f'{url(1)}; rel="first"')
    headers = {"Link": ", ".join(links)} if links else {}
    return Reply(obj={"total_seats": total, "seats": chunk}, headers=headers)


def billing_summary(sim, scope, route: Route, query: dict, **ctx) -> Reply:
    body = {"seat_breakdown": scope.seat_breakdown(), **scope.settings, "plan_type": scope.plan}
    return Reply(obj=body)


def _billing_int(query: dict, name: str, lo: int, hi: int, default: int | None) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ApiError(400, f"Invalid {name}: {value}") from None
    if not lo <= number <= hi:
        raise ApiError(400, f"Invalid {name}: {value}")
    return number


def billing_usage(sim, scope, route: Route, query: dict, **ctx) -> Reply:
    """AI-credit or premium-request usage for one period, optionally for one `user=` login:
    totals per model, no date and no username on the items (docs/copilot-api.md §5.1)."""
    if route.scope_kind == "org" and scope.billing_consolidated:
        raise ApiError(404)
    today = scope.today
    year = _billing_int(query, "year", 2000, 2100, today.year)
    month = _billing_int(query, "month", 1, 12, today.month)
    day = _billing_int(query, "day", 1, 31, None)
    if day is not None:
        try:
            date(year, month, day)
        except ValueError:
            raise ApiError(400, f"Invalid day: {day}") from None
    months_back = (today.year - year) * 12 + today.month - month
    if months_back >= 24 or months_back < 0:
        raise ApiError(400, "Usage data is only available for the past 24 months")
    user, model, product = query.get("user") or None, query.get("model") or None, query.get("product") or None
    kind = "ai_credit" if route.name.endswith("ai_credit") else "premium_request"
    time_period = {"year": year, "month": month}
    if day is not None:
        time_period["day"] = day
    body = {"timePeriod": time_period}
    body["organization" if route.scope_kind == "org" else "enterprise"] = scope.slug
    for name, value in (("user", user), ("product", product), ("model", model)):
        if value is not None:
            body[name] = value
    body["usageItems"] = scope.usage_items(kind, year, month, day, user, model, product)
    return Reply(obj=body)


def current_user(sim, scope, route: Route, query: dict, **ctx) -> Reply:
    token = ctx["token"]
    return Reply(obj={"login": token.login, "id": token.user_id, "type": "User", "site_admin": False})


def _routes() -> list[tuple[re.Pattern, Route]]:
    out = []

    def add(pattern, route):
        out.append((re.compile(f"^{pattern}$"), route))

    for report in ("organization-1-day", "users-1-day", "user-teams-1-day"):
        add(
            f"{ORG}/copilot/metrics/reports/{report}",
            Route(f"org:{report}", "org_metrics", "org", one_day_report, report, True),
        )
    for report in ("organization-28-day", "users-28-day"):
        add(
            f"{ORG}/copilot/metrics/reports/{report}/latest",
            Route(f"org:{report}", "org_metrics", "org", latest_28_day_report, report, True),
        )
    for report in ("enterprise-1-day", "users-1-day", "user-teams-1-day"):
        add(
            f"{ENT}/copilot/metrics/reports/{report}",
            Route(f"ent:{report}", "enterprise_metrics", "enterprise", one_day_report, report, True),
        )
    for report in ("enterprise-28-day", "users-28-day"):
        add(
            f"{ENT}/copilot/metrics/reports/{report}/latest",
            Route(f"ent:{report}", "enterprise_metrics", "enterprise", latest_28_day_report, report, True),
        )
    add(f"{ORG}/copilot/billing/seats", Route("org:seats", "org_seats", "org", seats))
    add(f"{ORG}/copilot/billing", Route("org:billing", "org_seats", "org", billing_summary))
    add(f"{ENT}/copilot/billing/seats", Route("ent:seats", "enterprise_seats", "enterprise", seats))
    for kind in ("ai_credit", "premium_request"):
        add(
            f"/organizations/(?P<scope>[^/]+)/settings/billing/{kind}/usage",
            Route(f"org:usage:{kind}", "org_billing_usage", "org", billing_usage),
        )
        add(
            f"{ENT}/settings/billing/{kind}/usage",
            Route(f"ent:usage:{kind}", "enterprise_billing_usage", "enterprise", billing_usage),
        )
    add("/user", Route("user", "user", "", current_user))
    return out


ROUTES = _routes()


def match(path: str) -> tuple[Route, str | None] | None:
    for pattern, route in ROUTES:
        found = pattern.match(path)
        if found:
            return route, found.groupdict().get("scope")
    return None
