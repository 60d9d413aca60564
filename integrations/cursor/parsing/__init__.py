"""Turn raw Cursor JSON records into the normalized records of ``records.py``.

JSON is decoded with ``parse_float=Decimal`` (see ``decode_json``), so money arrives here as
``Decimal`` built from the JSON text and never passes through a binary float.

Each ``parse_*`` function takes one raw record and either returns a record or raises one of
``RECORD_ERRORS``; the client then skips that record. Usage events are parsed in bulk (30 days
of a large team is millions of them), so ``parse_usage_event`` is written as one function with
local fast paths instead of a generic field-mapping loop.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal

from ..records import (
    AiChange,
    AiCommit,
    AnalyticsRow,
    AuditEvent,
    DailyUsageRow,
    LeaderboardEntry,
    Member,
    MemberSpend,
    UsageEvent,
)
from ..values import (
    EPOCH,
    ZERO,
    require_email,
    to_bool,
    to_date,
    to_datetime,
    to_decimal,
    to_email,
    to_int,
    to_optional_bool,
    to_optional_datetime,
    to_optional_decimal,
    to_optional_int,
    to_str,
    to_user_id,
)

# What a malformed record can raise while being parsed. Decimal's InvalidOperation is an
# ArithmeticError; a non-dict record raises AttributeError on ``.get``.
RECORD_ERRORS = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError)

_EMPTY: dict = {}


def decode_json(content: bytes):
    """Decode a response body, keeping every JSON number with a fraction as an exact Decimal."""
    return json.loads(content, parse_float=Decimal)


# ---------------------------------------------------------------------------------------------
# Scalars


# ---------------------------------------------------------------------------------------------
# Admin API


def parse_member(r: dict) -> Member:
    get = r.get
    uid = get("id")
    if uid is None:
        uid = get("userId")
    return Member(
        user_id=to_user_id(uid),
        email=require_email(get("email")),
        name=to_str(get("name")),
        role=to_str(get("role")),
        is_removed=to_bool(get("isRemoved")),
    )


_DAILY_COUNTERS = (
    "totalLinesAdded",
    "totalLinesDeleted",
    "acceptedLinesAdded",
    "acceptedLinesDeleted",
    "totalApplies",
    "totalAccepts",
    "totalRejects",
    "totalTabsShown",
    "totalTabsAccepted",
    "composerRequests",
    "chatRequests",
    "agentRequests",
    "cmdkUsages",
    "subscriptionIncludedReqs",
    "apiKeyReqs",
    "usageBasedReqs",
    "bugbotUsages",
)


def parse_daily_row(r: dict) -> DailyUsageRow:
    get = r.get
    day_raw = get("day")
    date_raw = get("date")
    if day_raw is not None:
        day = to_date(day_raw)
        # Both forms present must agree; a row whose two dates disagree cannot be trusted.
        if date_raw is not None and to_date(date_raw) != day:
            raise ValueError("day and date disagree")
    else:
        day = to_date(r["date"])
    counters = [to_int(get(k)) for k in _DAILY_COUNTERS]
    active = get("isActive")
    # D1/D2 rows have no isActive (and only active users were returned); derive it from usage.
    is_active = to_bool(active) if active is not None else any(counters)
    uid = get("userId")
    email = require_email(get("email"))  # the only key shared by every API family
    return DailyUsageRow(
        None if uid is None else to_user_id(uid),
        email,
        day,
        is_active,
        *counters,
        to_str(get("mostUsedModel")),
        to_str(get("applyMostUsedExtension")),
        to_str(get("tabMostUsedExtension")),
        to_str(get("clientVersion")),
    )


def parse_member_spend(r: dict) -> MemberSpend:
    """One ``teamMemberSpend`` entry; see ``MemberSpend`` for the legacy spendCents mapping."""
    get = r.get
    spend = to_decimal(get("spendCents"))
    overall = get("overallSpendCents")
    if overall is not None:
        overall = to_decimal(overall)
    else:
        # Legacy (before 2026): spendCents was the cycle total and includedSpendCents the part
        # covered by the plan, so on-demand spend is the difference.
        overall = spend
        spend = max(ZERO, spend - to_decimal(get("includedSpendCents")))
    hard = to_decimal(get("hardLimitOverrideDollars"))
    return MemberSpend(
        user_id=to_user_id(get("userId")),
        email=require_email(get("email")),
        name=to_str(get("name")),
        role=to_str(get("role")),
        spend_cents=spend,
        overall_spend_cents=overall,
        fast_premium_requests=to_int(get("fastPremiumRequests")),
        hard_limit_override_dollars=hard,
        monthly_limit_dollars=to_optional_decimal(get("monthlyLimitDollars")),
        effective_per_user_limit_dollars=to_optional_decimal(get("effectivePerUserLimitDollars")),
    )


def parse_audit_event(r: dict) -> AuditEvent:
    get = r.get
    ts = to_datetime(r["timestamp"])
    email = to_email(get("user_email") if "user_email" in r else get("userEmail"))
    event_type = to_str(get("event_type") if "event_type" in r else get("eventType"))
    data = get("event_data") if "event_data" in r else get("eventData")
    if data is None:
        data = {}
    elif data.__class__ is not dict:
        raise TypeError("event_data is not an object")
    ip = get("ip_address")
    if ip is None:
        ip = data.get("ip_address")
    event_id = get("event_id") if "event_id" in r else get("id")
    if event_id is None:
        # No id in this shape: derive a stable one so re-fetches de-duplicate.
        raw = json.dumps([ts.isoformat(), email, event_type, data], sort_keys=True, default=str)
        event_id = "sha1_" + hashlib.sha1(raw.encode()).hexdigest()
    return AuditEvent(
        event_id=to_str(event_id),
        timestamp=ts,
        email=email,
        event_type=event_type,
        ip_address=to_str(ip),
        data=data,
    )


_SNAKE_EVENT_KEYS = {
    "user_email": "userEmail",
    "max_mode": "maxMode",
    "requests_costs": "requestsCosts",
    "is_token_based_call": "isTokenBasedCall",
    "is_chargeable": "isChargeable",
    "is_headless": "isHeadless",
    "token_usage": "tokenUsage",
    "charged_cents": "chargedCents",
    "cursor_token_fee": "cursorTokenFee",
    "conversation_id": "conversationId",
    "input_tokens": "inputTokens",
    "output_tokens": "outputTokens",
    "cache_write_tokens": "cacheWriteTokens",
    "cache_read_tokens": "cacheReadTokens",
    "total_cents": "totalCents",
}


def _camel_event(r: dict) -> dict:
    out = {_SNAKE_EVENT_KEYS.get(k, k): v for k, v in r.items()}
    tu = out.get("tokenUsage")
    if tu.__class__ is dict:
        out["tokenUsage"] = {_SNAKE_EVENT_KEYS.get(k, k): v for k, v in tu.items()}
    return out


def parse_usage_event(
    r: dict,
    *,
    _EPOCH=EPOCH,
    _td=timedelta,
    _D=Decimal,
    _int=to_int,
    _dec=to_decimal,
    _bool=to_bool,
) -> UsageEvent:
    """One ``usageEvents`` entry. Hot path: keep the common D4 shape cheap."""
    get = r.get
    if "userEmail" not in r and "user_email" in r:  # snake_case variant seen in some clients
        r = _camel_event(r)
        get = r.get

    ts = r["timestamp"]
    if ts.__class__ is str and ts.isdigit() and len(ts) >= 12:
        ts = _EPOCH + _td(milliseconds=int(ts))
    else:
        ts = to_datetime(ts)

    email = get("userEmail")
    email = email.strip().lower() if email.__class__ is str else to_email(email)

    kind = get("kind")
    if kind is None:
        kind = get("kindLabel")
        if kind is None:
            kind = get("kind_label")
    if kind.__class__ is not str:
        kind = to_str(kind)

    model = get("model")
    if model.__class__ is not str:
        model = to_str(model)

    tu = get("tokenUsage")
    if tu is None:
        tu = _EMPTY
    elif tu.__class__ is not dict:
        raise TypeError("tokenUsage is not an object")
    tget = tu.get
    token_cents = tget("totalCents")
    token_cents = token_cents if token_cents.__class__ is _D else _dec(token_cents)

    fee = get("cursorTokenFee")
    fee = fee if fee.__class__ is _D else _dec(fee)

    charged = get("chargedCents")
    if charged is None:
        # Before D3 there was no chargedCents; the docs then said cost = totalCents + fee.
        charged = token_cents + fee
    elif charged.__class__ is not _D:
        charged = _dec(charged)

    chargeable = get("isChargeable")
    chargeable = charged > 0 if chargeable is None else _bool(chargeable)

    costs = get("requestsCosts")
    costs = costs if costs.__class__ is _D else _dec(costs)

    conv = get("conversationId")
    if conv.__class__ is not str:
        conv = "" if conv is None else to_str(conv)

    tin = tget("inputTokens")
    tout = tget("outputTokens")
    tcw = tget("cacheWriteTokens")
    tcr = tget("cacheReadTokens")
    return UsageEvent(
        ts,
        email,
        model,
        kind,
        _bool(get("maxMode")),
        costs,
        _bool(get("isTokenBasedCall")),
        chargeable,
        _bool(get("isHeadless")),
        tin if tin.__class__ is int else _int(tin),
        tout if tout.__class__ is int else _int(tout),
        tcw if tcw.__class__ is int else _int(tcw),
        tcr if tcr.__class__ is int else _int(tcr),
        token_cents,
        charged,
        fee,
        conv,
    )


# ---------------------------------------------------------------------------------------------
# Analytics API

# The dimension field(s) of each team metric; the row key is these values joined by "/".
ANALYTICS_KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "dau": (),
    "agent-edits": (),
    "tabs": (),
    "client-versions": ("client_version",),
    "top-file-extensions": ("file_extension",),
    "mcp": ("mcp_server_name", "tool_name"),
    "commands": ("command_name",),
    "plans": ("model",),
    "ask-mode": ("model",),
    "skills": ("skill_name",),
    "models": ("model",),
}
_DATE_FIELDS = ("date", "event_date")


def _numeric_values(r: dict, skip: tuple[str, ...]) -> dict:
    values = {}
    for k, v in r.items():
        if k in skip or k in _DATE_FIELDS:
            continue
        cls = v.__class__
        if cls is int or cls is Decimal:
            values[k] = v
        elif cls is float:
            values[k] = Decimal(str(v))
    return values


def _row_day(r: dict) -> date | None:
    v = r.get("date")
    if v is None:
        v = r.get("event_date")
    return None if v is None else to_date(v)


def parse_analytics_record(metric: str, r: dict) -> list[AnalyticsRow]:
    """One raw team analytics row -> AnalyticsRows (``models``: one per model in the breakdown).

    Team-level rows always carry their day (``date`` or ``event_date``); a row without one is
    malformed. (Only by-user rows may lack it, which is why ``AnalyticsRow.day`` is optional.)
    """
    day = _row_day(r)
    if day is None:
        raise KeyError("date")
    if metric == "models":
        breakdown = r["model_breakdown"]
        if breakdown.__class__ is not dict:
            raise TypeError("model_breakdown is not an object")
        rows = []
        for model, stats in breakdown.items():
            if stats.__class__ is not dict:
                raise TypeError("model_breakdown entry is not an object")
            values = {
                "messages": to_int(stats.get("messages")),
                "users": to_int(stats.get("users")),
            }
            rows.append(AnalyticsRow(metric, day, str(model), values))
        return rows
    fields = ANALYTICS_KEY_FIELDS.get(metric, ())
    key = "/".join(to_str(r.get(f)) for f in fields)
    return [AnalyticsRow(metric, day, key, _numeric_values(r, fields))]


_LEADERBOARD_SKIP = ("email", "user_id", "rank", "profile_picture_url")


def parse_leaderboard_entry(board: str, r: dict) -> LeaderboardEntry:
    get = r.get
    return LeaderboardEntry(
        board=board,
        email=require_email(get("email")),
        user_id=to_user_id(get("user_id")),
        rank=to_int(get("rank")),
        values=_numeric_values(r, _LEADERBOARD_SKIP),
    )


# ---------------------------------------------------------------------------------------------
# AI Code Tracking API


def parse_ai_commit(r: dict) -> AiCommit:
    get = r.get
    commit_hash = to_str(r["commitHash"])
    if not commit_hash:
        raise KeyError("commitHash")
    return AiCommit(
        commit_hash=commit_hash,
        user_id=to_user_id(get("userId")),
        email=to_email(get("userEmail")),
        repo_name=to_str(get("repoName")),
        branch_name=to_str(get("branchName")),
        is_primary_branch=to_optional_bool(get("isPrimaryBranch")),
        commit_source=to_str(get("commitSource")),
        total_lines_added=to_int(get("totalLinesAdded")),
        total_lines_deleted=to_int(get("totalLinesDeleted")),
        tab_lines_added=to_int(get("tabLinesAdded")),
        tab_lines_deleted=to_int(get("tabLinesDeleted")),
        composer_lines_added=to_int(get("composerLinesAdded")),
        composer_lines_deleted=to_int(get("composerLinesDeleted")),
        non_ai_lines_added=to_optional_int(get("nonAiLinesAdded")),
        non_ai_lines_deleted=to_optional_int(get("nonAiLinesDeleted")),
        message=to_str(get("message")),
        commit_ts=to_optional_datetime(get("commitTs")),
        created_at=to_datetime(r["createdAt"]),
    )


def parse_ai_change(r: dict) -> AiChange:
    get = r.get
    change_id = to_str(r["changeId"])
    if not change_id:
        raise KeyError("changeId")
    metadata = get("metadata")
    if metadata is None:
        metadata = []
    elif metadata.__class__ is not list:
        raise TypeError("metadata is not a list")
    return AiChange(
        change_id=change_id,
        user_id=to_user_id(get("userId")),
        email=to_email(get("userEmail")),
        source=to_str(get("source")),
        model=to_str(get("model")),
        total_lines_added=to_int(get("totalLinesAdded")),
        total_lines_deleted=to_int(get("totalLinesDeleted")),
        created_at=to_datetime(r["createdAt"]),
        metadata=metadata,
    )


# ---------------------------------------------------------------------------------------------
# Pagination envelopes

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
