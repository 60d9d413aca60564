"""Console endpoints: the Claude Code usage report and the Admin users list
(docs/claude-code-api.md §3 and §4.1)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from .generate import TOOLS, list_micro_cents
from .util import (
    ApiError,
    day_start_s,
    day_timestamp,
    decode_cursor,
    encode_cursor,
    micro_to_cents_rounded,
    parse_day,
    parse_limit,
)

REPORT_PATH = "/v1/organizations/usage_report/claude_code"
USERS_PATH = "/v1/organizations/users"
CONSOLE_ROLES = {"user", "developer", "billing", "admin", "claude_code_user"}
ENTERPRISE_ROLES = {"user", "owner", "primary_owner", "membership_admin", "managed"}
BROKEN_RECORD = {"date": "not-a-date", "core_metrics": {"num_sessions": "many"}, "model_breakdown": None}


# -- the Claude Code report -------------------------------------------------------------------------


def _actor(person) -> dict:
    if person.is_api_key:
        return {"type": "api_actor", "api_key_name": person.api_key_name}
    return {"type": "user_actor", "email_address": person.email}


def _extra_tools(org, person, day: date, key) -> dict:
    out = {}
    for name in org.extra_tool_names:
        rng = random.Random(f"extra:{org.seed}:{person.index}:{day.toordinal()}:{key}:{name}")
        accepted, rejected = rng.randrange(6), rng.randrange(2)
        if accepted + rejected:
            out[name] = [accepted, rejected]
    return out


def _amount(org, micro: int):
    """Integer cents, as in every example; with `org.fractional_estimated_cost` a number with two
    decimals (the schema only says "number")."""
    if org.fractional_estimated_cost:
        return round(micro / 1_000_000, 2)
    return micro_to_cents_rounded(micro)


def _row(org, person, day: date, key, sessions) -> dict:
    remote = sessions[0].remote
    terminals = Counter(s.terminal for s in sessions)
    terminal = min(terminals.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    tools: dict = {}
    models: dict = {}
    added = removed = commits = prs = 0
    for s in sessions:
        added += s.lines_added
        removed += s.lines_removed
        commits += s.commits
        prs += s.prs
        for tool, (a, r) in s.tools.items():
            entry = tools.setdefault(tool, [0, 0])
            entry[0] += a
            entry[1] += r
        for model, tokens in s.models.items():
            entry = models.setdefault(model, [0, 0, 0, 0])
            for i in range(4):
                entry[i] += tokens[i]
    tools.update(_extra_tools(org, person, day, key))
    order = {name: i for i, name in enumerate(TOOLS)}
    row = {
        "actor": _actor(person),
        "organization_id": org.organization_id,
        "customer_type": person.customer_type,
        "subscription_type": person.subscription_type,
        "terminal_type": terminal,
        "is_remote": remote,
        "date": day_timestamp(day),
        "core_metrics": {
            "num_sessions": len(sessions),
            "lines_of_code": {"added": added, "removed": removed},
            "commits_by_claude_code": commits,
            "pull_requests_by_claude_code": prs,
        },
        "tool_actions": {
            tool: {"accepted": a, "rejected": r}
            for tool, (a, r) in sorted(tools.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))
        },
        "model_breakdown": [
            {
                "model": model,
                "tokens": {"input": t[0], "output": t[1], "cache_read": t[2], "cache_creation": t[3]},
                "estimated_cost": {
                    "amount": _amount(org, list_micro_cents(model, tuple(t))),
                    "currency": "USD",
                },
            }
            for model, t in sorted(models.items())
        ],
    }
    if row["subscription_type"] is None and org.omit_null_subscription_type:
        del row["subscription_type"]
    if not org.serve_is_remote:
        del row["is_remote"]
    return row


# Sessions end within their day and arrive at most 60 h later (generate._session).
SETTLED_AFTER_S = 86_400 + 60 * 3600


def report_rows_for(org, day: date, as_of_s: int) -> list[dict]:
    """All records for one UTC day as seen at `as_of_s`: only sessions visible an hour before it."""
    cutoff = as_of_s - org.freshness_seconds
    settled = cutoff >= day_start_s(day) + SETTLED_AFTER_S
    key = ("report", day, org.first_day, None if settled else cutoff)
    return list(org.memo(key, lambda: _build_report_rows(org, day, as_of_s)))


def _build_report_rows(org, day: date, as_of_s: int) -> list[dict]:
    if org.kind != "console" or day < org.first_day:
        return []
    if org.console_earliest_day is not None and day < org.console_earliest_day:
        return []
    cutoff = as_of_s - org.freshness_seconds
    people = sorted(org.people, key=lambda p: (p.is_api_key, (p.email or p.api_key_name).lower()))
    rows = []
    for person in people:
        if person.customer_type == "subscription" and not org.serve_subscription_rows:
            continue
        sessions = [s for s in org.sessions(day, person) if s.visible_s <= cutoff]
        if not org.serve_is_remote:
            sessions = [s for s in sessions if not s.remote]
        groups: dict = {}
        for s in sessions:
            key = (s.remote, s.terminal if org.split_by_terminal else "")
            groups.setdefault(key, []).append(s)
        for key in sorted(groups):
            rows.append(_row(org, person, day, key, groups[key]))
    return rows


def merge_rows(rows: list[dict]) -> dict:
    """One actor-day's served rows summed (local and remote, every terminal)."""
    out = {
        "sessions": 0,
        "lines_added": 0,
        "lines_removed": 0,
        "commits": 0,
        "pull_requests": 0,
        "tool_actions": {},
        "models": {},
        "cost_cents": 0,
        "rows": len(rows),
        "remote_rows": sum(1 for r in rows if r.get("is_remote")),
    }
    for row in rows:
        core = row["core_metrics"]
        out["sessions"] += core["num_sessions"]
        out["lines_added"] += core["lines_of_code"]["added"]
        out["lines_removed"] += core["lines_of_code"]["removed"]
        out["commits"] += core["commits_by_claude_code"]
        out["pull_requests"] += core["pull_requests_by_claude_code"]
        for tool, counts in row["tool_actions"].items():
            entry = out["tool_actions"].setdefault(tool, [0, 0])
            entry[0] += counts["accepted"]
            entry[1] += counts["rejected"]
        for item in row["model_breakdown"]:
            entry = out["models"].setdefault(
                item["model"],
                {"input": 0, "output": 0, "cache_read": 0, "cache_creation": 0, "cost_cents": 0},
            )
            for name in ("input", "output", "cache_read", "cache_creation"):
                entry[name] += item["tokens"][name]
            amount = item["estimated_cost"]["amount"]
            if isinstance(amount, float):  # fractional_estimated_cost: sum exactly
                amount = Decimal(str(amount))
            entry["cost_cents"] += amount
            out["cost_cents"] += amount
    return out


def claude_code_report(org, query: dict, params: list) -> dict:
    """GET /v1/organizations/usage_report/claude_code: one UTC day, cursor pagination.

    The cursor holds the day(s), the offset and the moment of the first page, so every page of one
    pagination session reads the same data boundary (§3.3). `ending_at` is not in Anthropic's
    reference and is ignored, unless `org.accept_ending_at` (the third-party OpenAPI's reading):
    then the days [starting_at, ending_at) are listed one after the other."""
    day = parse_day(query.get("starting_at"), "starting_at")
    days = [day]
    if org.accept_ending_at and query.get("ending_at"):
        end_day = parse_day(query["ending_at"], "ending_at")
        if end_day <= day:
            raise ApiError(400, "ending_at must be after starting_at.")
        if (end_day - day).days > 31:
            raise ApiError(400, "The range from starting_at to ending_at cannot exceed 31 days.")
        days = [day + timedelta(days=k) for k in range((end_day - day).days)]
    limit = parse_limit(query.get("limit"), default=20)
    offset, as_of = 0, org.now_s
    scope = [d.isoformat() for d in days]
    if query.get("page"):
        state = decode_cursor(query["page"])
        if (
            state.get("d") != scope
            or not isinstance(state.get("o"), int)
            or not isinstance(state.get("t"), int)
        ):
            raise ApiError(400, "page: the cursor does not belong to this query.")
        offset, as_of = state["o"], state["t"]
    rows = [row for d in days for row in report_rows_for(org, d, as_of)]
    page = rows[offset : offset + limit]
    end = offset + len(page)
    has_more = end < len(rows)
    return {
        "data": page,
        "has_more": has_more,
        "next_page": encode_cursor({"d": scope, "o": end, "t": as_of}) if has_more else None,
    }


# -- the users list ---------------------------------------------------------------------------------


def _user_dict(person) -> dict:
    return {
        "id": person.user_id,
        "added_at": person.added_at,
        "email": person.email,
        "name": person.name,
        "role": person.role,
        "type": "user",
    }


def users_rows(org) -> list[dict]:
    people = sorted(org.listed_people, key=lambda p: (p.added_at, p.user_id))
    return [_user_dict(p) for p in people]


def users_list(org, query: dict, params: list) -> dict:
    """GET /v1/organizations/users: `limit`, `after_id`, `before_id`, `email`, `roles[]` (§4.1)."""
    limit = parse_limit(query.get("limit"), default=20)
    if query.get("after_id") and query.get("before_id"):
        raise ApiError(400, "Only one of after_id and before_id may be given.")
    rows = users_rows(org)
    if query.get("email"):
        rows = [r for r in rows if r["email"].lower() == query["email"].strip().lower()]
    roles = [v for k, v in params if k == "roles[]"]
    if roles:
        allowed = CONSOLE_ROLES if org.kind == "console" else ENTERPRISE_ROLES
        bad = [r for r in roles if r not in allowed]
        if bad:
            raise ApiError(400, f"roles[]: unknown role {bad[0]!r}; expected one of {sorted(allowed)}")
        rows = [r for r in rows if r["role"] in roles]
    ids = [r["id"] for r in rows]
    if query.get("after_id"):
        if query["after_id"] not in ids:
            raise ApiError(400, "after_id: no such user in this listing.")
        start = ids.index(query["after_id"]) + 1
        page = rows[start : start + limit]
        has_more = start + limit < len(rows)
    elif query.get("before_id"):
        if query["before_id"] not in ids:
            raise ApiError(400, "before_id: no such user in this listing.")
        end = ids.index(query["before_id"])
        page = rows[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        page = rows[:limit]
        has_more = limit < len(rows)
    return {
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": has_more,
    }
