"""Admin API records other than usage events: members, daily usage rows, spend, audit events.

Usage events have their own module (``usage_events.py``): they are parsed in bulk.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from ..records import AuditEvent, BillingGroup, DailyUsageRow, GroupMember, Member, MemberSpend
from ..values import (
    ZERO,
    require_email,
    to_bool,
    to_date,
    to_datetime,
    to_decimal,
    to_email,
    to_int,
    to_optional_decimal,
    to_str,
    to_user_id,
)


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
    # Rows in the two oldest documented shapes (D1 and D2 in docs/cursor-api.md §0) have no
    # isActive, and only active users were returned; derive it from usage.
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
        # Fractions as Decimal text, as when the body was decoded with parse_float=Decimal, so
        # the derived id is the one earlier syncs stored.
        raw = json.dumps([ts.isoformat(), email, event_type, _exact(data)], sort_keys=True, default=str)
        event_id = "sha1_" + hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()
    return AuditEvent(
        event_id=to_str(event_id),
        timestamp=ts,
        email=email,
        event_type=event_type,
        ip_address=to_str(ip),
        data=data,
    )


def _exact(value):
    """Floats (how orjson decodes fractions) as the Decimals of their shortest text."""
    cls = value.__class__
    if cls is float:
        return Decimal(repr(value))
    if cls is dict:
        return {k: _exact(v) for k, v in value.items()}
    if cls is list:
        return [_exact(v) for v in value]
    return value


UNASSIGNED_GROUP_ID = "group_unassigned"  # the reserved group of people in no group (§2.9)


def parse_billing_group(r: dict) -> BillingGroup:
    """One ``Group`` of ``GET /teams/groups`` (docs/cursor-api.md §2.9).

    Current members are ``currentMembers`` (list responses) or ``members`` (the write
    responses' shape, accepted too); an entry with ``leftAt`` set is a former member and is
    left out, as is an entry without a usable email. A group without an id or a name is
    malformed and raises.
    """
    get = r.get
    group_id = to_str(get("id"))
    name = to_str(get("name")).strip()
    if not group_id or not name:
        raise ValueError("group without id or name")
    raw = get("currentMembers")
    if raw is None:
        raw = get("members")
    if raw is None:
        raw = []
    if raw.__class__ is not list:
        raise TypeError("currentMembers is not a list")
    members = []
    for m in raw:
        if m.__class__ is not dict or m.get("leftAt") is not None:
            continue
        try:
            email = to_email(m.get("email"))
            uid = m.get("userId")
            member = GroupMember(
                user_id="" if uid is None else to_user_id(uid), email=email, name=to_str(m.get("name"))
            )
        except (TypeError, ValueError):
            continue  # one garbled member entry does not cost the whole group
        if email and "@" in email:
            members.append(member)
    return BillingGroup(group_id=group_id, name=name[:120], members=tuple(members))
