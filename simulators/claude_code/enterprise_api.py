"""Claude Enterprise Analytics endpoints: `/analytics/users` and the per-user cost and usage
reports (docs/claude-code-api.md §5). Windows and lag follow the newest docs by default; the
older Help Center values are switches on the org (see the package docstring).

Only daily buckets (`bucket_width=1d`) or no buckets are simulated, and only `model` and
`product` groupings; the other documented values answer a 400 that says so."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from .generate import TOOLS, discounted, list_micro_cents
from .util import (
    ApiError,
    daterange,
    decode_cursor,
    encode_cursor,
    epoch_s,
    micro_cents_text,
    midnight,
    parse_day,
    parse_limit,
    parse_timestamp,
    query_fingerprint,
    rfc3339,
)

PREFIX = "/v1/organizations/analytics"
PRODUCTS = (
    "chat",
    "claude_code",
    "cowork",
    "office_agent",
    "claude_in_chrome",
    "claude_design",
    "claude-in-slack",
)
COST_GROUPS = {
    "context_window",
    "cost_type",
    "inference_geo",
    "model",
    "product",
    "rbac_group_id",
    "slack_channel_id",
    "speed",
    "token_type",
}
USAGE_GROUPS = COST_GROUPS - {"cost_type", "token_type"}
SUPPORTED_GROUPS = {"model", "product"}
ORDER_BY = {
    "cost": {"amount", "list_amount"},
    "usage": {"output_tokens", "requests", "total_tokens", "uncached_input_tokens"},
}
NULL_KEYS = ("context_window", "inference_geo", "rbac_group_id", "slack_channel_id", "speed")


def _latest_engagement_day(org) -> date:
    return (org.now - timedelta(hours=org.engagement_lag_hours)).date()


def _cursor_offset(org, query: dict, params: list) -> int:
    """Offset of an Enterprise cursor: 400 if it belongs to another query, 410 once expired."""
    if not query.get("page"):
        return 0
    state = decode_cursor(query["page"])
    if state.get("h") != query_fingerprint(params) or not isinstance(state.get("o"), int):
        raise ApiError(
            400, "page: the query parameters changed since this cursor was issued; start again without page."
        )
    if state.get("g") != org.cursor_generation:
        raise ApiError(410, "The page cursor has expired after a data refresh; restart from the first page.")
    return state["o"]


def _next_cursor(org, params: list, offset: int) -> str:
    return encode_cursor({"h": query_fingerprint(params), "o": offset, "g": org.cursor_generation})


# -- /analytics/users -------------------------------------------------------------------------------


def _zero_code_metrics() -> dict:
    return {
        "core_metrics": {
            "commit_count": 0,
            "distinct_session_count": 0,
            "lines_of_code": {"added_count": 0, "removed_count": 0},
            "pull_request_count": 0,
        },
        "tool_actions": {tool: {"accepted_count": 0, "rejected_count": 0} for tool in TOOLS},
    }


def _visible(org, sessions):
    now_s = org.now_s
    return [s for s in sessions if s.visible_s <= now_s]


def _active_on(org, person, day: date) -> bool:
    if any(s.has_tool_use_or_git for s in _visible(org, org.sessions(day, person))):
        return True
    chat = org.chat(day, person)
    return chat is not None and chat.visible_s <= org.now_s


def _engagement_row(org, person, start: date, end_exclusive: date) -> tuple[dict, bool]:
    metrics = _zero_code_metrics()
    core, tools = metrics["core_metrics"], metrics["tool_actions"]
    active = False
    last = None
    for day in daterange(start, end_exclusive - timedelta(days=1)):
        sessions = _visible(org, org.sessions(day, person))
        for s in sessions:
            core["distinct_session_count"] += 1
            core["commit_count"] += s.commits
            core["pull_request_count"] += s.prs
            core["lines_of_code"]["added_count"] += s.lines_added
            core["lines_of_code"]["removed_count"] += s.lines_removed
            for tool, (a, r) in s.tools.items():
                tools[tool]["accepted_count"] += a
                tools[tool]["rejected_count"] += r
        if _active_on(org, person, day):
            active, last = True, day
    if last is None:  # the most recent activity before the range, within the data window
        day = start - timedelta(days=1)
        while day >= org.first_day:
            if _active_on(org, person, day):
                last = day
                break
            day -= timedelta(days=1)
    row = {
        "user": {"id": person.user_id, "email_address": person.email, "type": "user"},
        "last_activity_date": last.isoformat() if last else None,
        # Only claude_code_metrics is described field by field in the reference; the other
        # product blocks are present, as documented, but left empty here.
        "chat_metrics": {},
        "claude_code_metrics": metrics,
        "cowork_metrics": {},
        "design_metrics": {},
        "office_metrics": {"excel": {}, "outlook": {}, "powerpoint": {}, "word": {}},
        "science_metrics": {},
        "web_search_count": 0,
    }
    return row, active


def engagement_rows_for(org, start: date, end_exclusive: date, user_ids: set | None = None) -> list[dict]:
    key = (
        "engagement",
        start,
        end_exclusive,
        org.now_s,
        tuple(sorted(user_ids)) if user_ids is not None else None,
    )
    return list(org.memo(key, lambda: _build_engagement_rows(org, start, end_exclusive, user_ids)))


def _build_engagement_rows(org, start: date, end_exclusive: date, user_ids: set | None) -> list[dict]:
    rows = []
    for person in sorted(org.people, key=lambda p: p.email or ""):
        if person.is_api_key or not any(
            person.member_on(d) for d in (start, end_exclusive - timedelta(days=1))
        ):
            continue
        if user_ids is not None and person.user_id not in user_ids:
            continue
        row, active = _engagement_row(org, person, start, end_exclusive)
        if active or org.users_include_inactive:
            rows.append(row)
    return rows


def engagement_window(org, query: dict) -> tuple[date, date]:
    """[start, end) of an `/analytics/users` query, validated against the earliest day, the lag,
    the span and (SUP mode) the lookback."""
    if query.get("date"):
        if query.get("starting_date") or query.get("ending_date"):
            raise ApiError(400, "Give either date or starting_date/ending_date, not both.")
        start = parse_day(query["date"], "date")
        end = start + timedelta(days=1)
    elif query.get("starting_date"):
        start = parse_day(query["starting_date"], "starting_date")
        end = (
            parse_day(query["ending_date"], "ending_date")
            if query.get("ending_date")
            else start + timedelta(days=1)
        )
        if end <= start:
            raise ApiError(400, "ending_date must be after starting_date.")
    else:
        raise ApiError(400, "date or starting_date is required.")
    if (end - start).days > org.engagement_max_span_days:
        raise ApiError(400, f"The date range cannot span more than {org.engagement_max_span_days} days.")
    if start < org.earliest_enterprise_day:
        raise ApiError(400, f"Data is available from {org.earliest_enterprise_day.isoformat()} on.")
    if org.engagement_lookback_days is not None and start < org.now.date() - timedelta(
        days=org.engagement_lookback_days
    ):
        raise ApiError(400, f"Data is available for the past {org.engagement_lookback_days} days only.")
    latest = _latest_engagement_day(org)
    if end - timedelta(days=1) > latest:
        raise ApiError(
            400,
            f"Data for {(end - timedelta(days=1)).isoformat()} is not available yet; "
            f"the most recent available date is {latest.isoformat()}.",
        )
    return start, end


def analytics_users(org, query: dict, params: list) -> dict:
    """GET /v1/organizations/analytics/users: per-user activity, sorted by email, `next_page` only."""
    start, end = engagement_window(org, query)
    limit = parse_limit(query.get("limit"), default=org.users_default_limit)
    if any(k == "group_by[]" for k, _ in params):
        raise ApiError(400, "group_by[] is not supported by the simulator.")
    user_ids = None
    for key, value in params:
        if key == "filter[]":
            kind, _, ref = value.partition(":")
            if kind == "user_id":
                user_ids = (user_ids or set()) | {ref}
            elif kind in ("rbac_group_id", "project_id"):
                user_ids = user_ids or set()  # the simulated org has no groups or projects
            else:
                raise ApiError(400, f"filter[]: unknown filter {value!r}")
    offset = _cursor_offset(org, query, params)
    rows = engagement_rows_for(org, start, end, user_ids)
    page = rows[offset : offset + limit]
    end_offset = offset + len(page)
    return {
        "data": page,
        "next_page": _next_cursor(org, params, end_offset) if end_offset < len(rows) else None,
    }


# -- /analytics/user_cost_report and /analytics/user_usage_report -----------------------------------


def _list_values(params: list, name: str) -> list[str]:
    return [v for k, v in params if k == f"{name}[]"]


def _data_refreshed_at(org) -> datetime:
    moment = org.now - timedelta(seconds=org.cost_lag_seconds)
    return moment.replace(minute=0, second=0, microsecond=0)


def report_rows(
    org,
    kind: str,
    starting_at: datetime,
    ending_at: datetime,
    *,
    bucket_width: str | None = None,
    products=None,
    models=None,
    user_ids=None,
    group_by=(),
) -> list[dict]:
    """Rows of the per-user cost ("cost") or usage ("usage") report, all pages, in served order:
    by bucket, then email, then the group keys."""
    key = (
        kind,
        starting_at,
        ending_at,
        org.now_s,
        bucket_width,
        tuple(sorted(products or ())),
        tuple(sorted(models or ())),
        tuple(sorted(user_ids or ())),
        tuple(sorted(group_by)),
    )
    build = lambda: _build_report_rows(  # noqa: E731
        org, kind, starting_at, ending_at, bucket_width, products, models, user_ids, group_by
    )
    return list(org.memo(key, build))


def _build_report_rows(org, kind, starting_at, ending_at, bucket_width, products, models, user_ids, group_by):
    start_s, end_s = epoch_s(starting_at), epoch_s(ending_at)
    ready_s = org.now_s - org.cost_lag_seconds
    products = set(products or PRODUCTS)
    models = set(models) if models else None
    user_ids = set(user_ids) if user_ids else None
    by_model, by_product = "model" in group_by, "product" in group_by
    totals: dict = {}
    first = max(starting_at.date(), org.first_day)
    last = (ending_at - timedelta(microseconds=1)).date()
    for day in daterange(first, last):
        for person in org.people:
            if person.is_api_key or (user_ids is not None and person.user_id not in user_ids):
                continue
            sessions = list(org.sessions(day, person))
            chat = org.chat(day, person)
            if chat is not None:
                sessions.append(chat)
            for s in sessions:
                if s.product not in products or not (start_s <= s.start_s < end_s) or s.visible_s > ready_s:
                    continue
                for model, tokens in s.models.items():
                    if models is not None and model not in models:
                        continue
                    key = (
                        day if bucket_width else None,
                        person.email or "",
                        person.index,
                        model if by_model else None,
                        s.product if by_product else None,
                    )
                    entry = totals.setdefault(key, [0, 0, 0, 0, 0, 0, 0])
                    for i in range(5):
                        entry[i] += tokens[i]
                    micro = list_micro_cents(model, tuple(tokens[:4]))
                    entry[5] += micro
                    entry[6] += discounted(micro)
    people = {p.index: p for p in org.people}
    rows = []
    for key in sorted(totals, key=lambda k: (k[0] or date.min, k[1], k[2], k[3] or "", k[4] or "")):
        day, _, index, model, product = key
        inp, out, read, write, requests, list_micro, amount_micro = totals[key]
        person = people[index]
        deleted = not person.listed
        row = {
            "actor": {
                "type": "user_actor",
                "user_id": person.user_id,
                "email": None if deleted else person.email,
                "name": person.name,
                "deleted": deleted,
            }
        }
        if kind == "cost":
            row.update(
                amount=micro_cents_text(amount_micro),
                list_amount=micro_cents_text(list_micro),
                currency="USD",
                product=product,
                model=model,
                requests=requests,
                cost_type=None,
                token_type=None,
            )
        else:
            one_hour = write // 4
            row.update(
                uncached_input_tokens=inp,
                cache_creation={
                    "ephemeral_1h_input_tokens": one_hour,
                    "ephemeral_5m_input_tokens": write - one_hour,
                },
                cache_read_input_tokens=read,
                output_tokens=out,
                total_tokens=inp + out + read + write,
                server_tool_use={"web_search_requests": 0},
                requests=requests,
                product=product,
                model=model,
            )
        if day is not None:
            row["starting_at"] = rfc3339(midnight(day))
            row["ending_at"] = rfc3339(midnight(day + timedelta(days=1)))
        row.update(dict.fromkeys(NULL_KEYS))
        rows.append(row)
    return rows


def _report(kind: str):
    def handler(org, query: dict, params: list) -> dict:
        starting_at = parse_timestamp(query.get("starting_at"), "starting_at")
        now = org.now
        if starting_at < midnight(org.earliest_enterprise_day):
            raise ApiError(
                400, f"starting_at: data is available from {org.earliest_enterprise_day.isoformat()} on."
            )
        if starting_at < now - timedelta(days=org.cost_max_age_days):
            raise ApiError(400, f"starting_at must be within the last {org.cost_max_age_days} days.")
        if starting_at > now:
            raise ApiError(400, "starting_at must not be in the future.")
        span = timedelta(days=org.cost_max_span_days)
        if query.get("ending_at"):
            ending_at = parse_timestamp(query["ending_at"], "ending_at")
        else:
            ending_at = min(now, starting_at + span)
        if ending_at <= starting_at:
            raise ApiError(400, "ending_at must be after starting_at.")
        if ending_at - starting_at > span:
            raise ApiError(
                400, f"The range from starting_at to ending_at cannot exceed {org.cost_max_span_days} days."
            )
        bucket = query.get("bucket_width")
        if bucket not in (None, "1d", "1h", "1m"):
            raise ApiError(400, "bucket_width: expected 1d, 1h or 1m.")
        if bucket in ("1h", "1m"):
            raise ApiError(400, f"bucket_width={bucket} is not supported by the simulator (1d only).")
        products = _list_values(params, "products")
        bad = [p for p in products if p not in PRODUCTS]
        if bad:
            raise ApiError(400, f"products[]: unknown product {bad[0]!r}")
        groups = _list_values(params, "group_by")
        allowed = COST_GROUPS if kind == "cost" else USAGE_GROUPS
        for group in groups:
            if group not in allowed:
                raise ApiError(400, f"group_by[]: unknown value {group!r}")
            if group not in SUPPORTED_GROUPS:
                raise ApiError(
                    400, f"group_by[]={group} is not supported by the simulator (model, product only)."
                )
        order_by = query.get("order_by")
        if order_by is not None and order_by not in ORDER_BY[kind]:
            raise ApiError(400, f"order_by: expected one of {sorted(ORDER_BY[kind])}")
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise ApiError(400, "order: expected asc or desc")
        limit = parse_limit(query.get("limit"), default=20)
        offset = _cursor_offset(org, query, params)
        rows = report_rows(
            org,
            kind,
            starting_at,
            ending_at,
            bucket_width=bucket,
            products=products or None,
            models=_list_values(params, "models") or None,
            user_ids=_list_values(params, "user_ids") or None,
            group_by=tuple(groups),
        )
        if order_by is not None:
            rows.sort(key=lambda r: Decimal(str(r[order_by])), reverse=order == "desc")
        page = rows[offset : offset + limit]
        end = offset + len(page)
        has_more = end < len(rows)
        return {
            "data": page,
            "data_refreshed_at": rfc3339(_data_refreshed_at(org)),
            "has_more": has_more,
            "next_page": _next_cursor(org, params, end) if has_more else None,
            "organization_id": org.organization_id,
        }

    return handler


user_cost_report = _report("cost")
user_usage_report = _report("usage")
