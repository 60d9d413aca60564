"""Admin API endpoints: members, daily usage, spend, filtered usage events, audit logs."""

from __future__ import annotations

import hashlib
import json
import math
import random
from datetime import date, timedelta

from .dates import parse_audit_time
from .generate import MemberDay
from .util import (
    DAY_MS,
    ApiError,
    Reply,
    daterange,
    day_start_ms,
    fmt_units,
    iso_ms,
    ms_to_day,
    parse_int,
)

HOSTING_TYPES = {"CLOUD", "SELF_HOSTED", "SELF_HOSTED_POOL", "SELF_HOSTED_MACHINE"}
MAX_RANGE_DAYS = 30


def page_size(team, value, *, default: int, maximum: int | None, name: str = "pageSize") -> int:
    """Validated page size: < 1 is a 400; above the maximum is clamped or a 400 per the team's policy."""
    if value is None:
        return default
    size = parse_int(value, name, minimum=1)
    if maximum is not None and size > maximum:
        if team.page_size_policy == "reject":
            raise ApiError(400, f"{name} must be between 1 and {maximum}")
        size = maximum
    return size


def pagination(page: int, size: int, total: int) -> tuple[int, int, int]:
    """(first index, end index, total pages) for 1-based pages; past the end is an empty slice."""
    pages = math.ceil(total / size) if total else 0
    first = min((page - 1) * size, total)
    return first, min(first + size, total), pages


# -- /teams/members ---------------------------------------------------------------------------------


def members(team, query, body) -> Reply:
    return Reply(
        {"teamMembers": team.members()},
        list_path=("teamMembers",),
        broken={
            "id": "user_brokenBrokenBroken0000",
            "name": "Broken Record",
            "role": "member",
            "isRemoved": False,
        },
    )


# -- /teams/daily-usage-data ------------------------------------------------------------------------


def _daily_user_id(team, member):
    numeric = team.daily_numeric_user_ids
    if numeric is None:
        numeric = team.legacy_shapes
    return member.numeric_id if numeric else member.user_id


def daily_row(team, member, day: date, agg: MemberDay | None) -> dict:
    row = {
        "userId": _daily_user_id(team, member),
        "day": day.isoformat(),
        "date": day_start_ms(day),
    }
    row["email"] = member.email
    if agg is None:
        row.update(
            isActive=False,
            **dict.fromkeys(
                (
                    "totalLinesAdded totalLinesDeleted acceptedLinesAdded acceptedLinesDeleted totalApplies "
                    "totalAccepts totalRejects totalTabsShown totalTabsAccepted composerRequests chatRequests "
                    "agentRequests cmdkUsages subscriptionIncludedReqs apiKeyReqs usageBasedReqs bugbotUsages"
                ).split(),
                0,
            ),
            mostUsedModel=None,
            applyMostUsedExtension=None,
            tabMostUsedExtension=None,
            clientVersion=None,
        )
        return row
    row.update(
        isActive=True,
        totalLinesAdded=agg.lines_added,
        totalLinesDeleted=agg.lines_deleted,
        acceptedLinesAdded=agg.acc_added,
        acceptedLinesDeleted=agg.acc_deleted,
        totalApplies=agg.applies,
        totalAccepts=agg.accepts,
        totalRejects=agg.rejects,
        totalTabsShown=agg.tabs_shown,
        totalTabsAccepted=agg.tabs_accepted,
        composerRequests=agg.composer,
        chatRequests=agg.chat,
        agentRequests=agg.agent,
        cmdkUsages=agg.cmdk,
        subscriptionIncludedReqs=agg.included,
        apiKeyReqs=agg.api_key,
        usageBasedReqs=agg.usage_based,
        bugbotUsages=agg.bugbot,
        mostUsedModel=agg.most_used_model,
        applyMostUsedExtension=agg.apply_ext,
        tabMostUsedExtension=agg.tab_ext,
        clientVersion=agg.client_version,
    )
    return row


def _rows_by_user(team, start: date, end: date, include_inactive: bool) -> list[list[dict]]:
    """Rows grouped per user in roster order. With include_inactive, every user who was a member
    on at least one day of the range (inside the data window) gets a row for each such day."""
    first, last = max(start, team.first_day), min(end, team.last_day)
    days = [day for day in daterange(first, last) if day not in team.drop_days]
    per_day = {day: team.day_data(day).aggs for day in days}
    grouped = []
    for member in team.roster:
        rows = []
        for day in days:
            agg = per_day[day].get(member.index)
            if agg is not None or (include_inactive and member.member_on(day)):
                rows.append(daily_row(team, member, day, agg))
        if rows:
            grouped.append(rows)
    return grouped


def daily_rows_for(team, start: date, end: date, include_inactive: bool) -> list[dict]:
    return [row for rows in _rows_by_user(team, start, end, include_inactive) for row in rows]


def _epoch_ms(body: dict, name: str) -> int:
    if name not in body or body[name] is None:
        raise ApiError(400, f"{name} is required")
    return parse_int(body[name], name)


def daily_usage(team, query, body) -> Reply:
    start_ms, end_ms = _epoch_ms(body, "startDate"), _epoch_ms(body, "endDate")
    if start_ms > end_ms:
        raise ApiError(400, "startDate must be before endDate")
    if end_ms - start_ms > MAX_RANGE_DAYS * DAY_MS:
        raise ApiError(400, f"Date range cannot exceed {MAX_RANGE_DAYS} days")
    start, end = ms_to_day(start_ms), ms_to_day(end_ms)
    paginated = body.get("page") is not None and body.get("pageSize") is not None
    broken = {
        "userId": "user_brokenBrokenBroken0000",
        "day": start.isoformat(),
        "date": "not-a-number",
    }
    out: dict = {"data": [], "period": {"startDate": start_ms, "endDate": end_ms}}
    if not paginated:
        out["data"] = daily_rows_for(team, start, end, include_inactive=False)
        return Reply(out, list_path=("data",), broken=broken)
    page = parse_int(body["page"], "page", minimum=1)
    size = page_size(team, body["pageSize"], default=100, maximum=None)
    grouped = _rows_by_user(team, start, end, include_inactive=True)
    lo, hi, pages = pagination(page, size, len(grouped))
    out["data"] = [row for rows in grouped[lo:hi] for row in rows]
    out["pagination"] = {
        "page": page,
        "pageSize": size,
        "totalUsers": len(grouped),
        "totalPages": pages,
        "hasNextPage": page < pages,
        "hasPreviousPage": page > 1,
    }
    return Reply(out, list_path=("data",), broken=broken)


# -- /teams/spend -----------------------------------------------------------------------------------


def _spend_totals(team) -> dict[int, list[int]]:
    """member index -> [charged units, usage-based units, usage-based events] over the cycle."""
    totals: dict[int, list[int]] = {}
    for _, aggs in team.member_days(team.cycle_start.date(), team.last_day):
        for index, agg in aggs.items():
            t = totals.setdefault(index, [0, 0, 0])
            t[0] += agg.charged_units
            t[1] += agg.usage_based_units
            t[2] += agg.usage_based
    return totals


TEAM_DEFAULT_USER_LIMIT_DOLLARS = 200


def _spend_row(team, member, total) -> dict:
    charged, on_demand, premium = total or (0, 0, 0)
    skew = team.spend_skew_cents.get(member.email.lower())
    if skew:  # a data fault: Cursor's total disagrees with the member's events
        units = round(skew * 10_000)
        charged, on_demand = charged + units, on_demand + units
    row = {
        "userId": team.public_id(member),
        "name": member.name,
        "email": member.email,
        "role": member.role,
    }
    if team.legacy_shapes:
        row["spendCents"] = json.loads(fmt_units(charged))
        row["includedSpendCents"] = json.loads(fmt_units(charged - on_demand))
    else:
        row["spendCents"] = json.loads(fmt_units(on_demand))
        row["overallSpendCents"] = json.loads(fmt_units(charged))
    row["fastPremiumRequests"] = premium
    row["hardLimitOverrideDollars"] = member.hard_limit_override_dollars
    row["monthlyLimitDollars"] = _monthly_limit(team, member)
    if not team.legacy_shapes:
        # The limit Cursor enforces: the member's own, else the team's default per-user limit
        # (docs/cursor-api.md §2.4's example: override 0, monthly null, effective 200).
        effective = _monthly_limit(team, member) or member.hard_limit_override_dollars
        row["effectivePerUserLimitDollars"] = effective or TEAM_DEFAULT_USER_LIMIT_DOLLARS
    return row


def spend_rows_for(team) -> list[dict]:
    totals = _spend_totals(team)
    return [_spend_row(team, m, totals.get(m.index)) for m in team.listed_members]


def spend(team, query, body) -> Reply:
    totals = _spend_totals(team)
    people = team.listed_members
    term = body.get("searchTerm")
    if term:
        needle = str(term).lower()
        people = [m for m in people if needle in m.name.lower() or needle in m.email.lower()]
    sort_by = body.get("sortBy") or "date"
    direction = body.get("sortDirection") or "desc"
    if sort_by not in ("amount", "date", "user") or direction not in ("asc", "desc"):
        raise ApiError(400, "Invalid sortBy or sortDirection")
    if sort_by == "amount":
        people.sort(
            key=lambda m: (
                totals.get(m.index, (0, 0))[1],
                totals.get(m.index, (0,))[0],
                m.email,
            )
        )
    elif sort_by == "date":
        people.sort(key=lambda m: (m.join_day, m.email))
    else:
        people.sort(key=lambda m: (m.name.lower(), m.email))
    if direction == "desc":
        people.reverse()
    page = parse_int(body.get("page", 1), "page", minimum=1)
    size = page_size(team, body.get("pageSize"), default=100, maximum=None)
    lo, hi, pages = pagination(page, size, len(people))
    return Reply(
        {
            "teamMemberSpend": [_spend_row(team, m, totals.get(m.index)) for m in people[lo:hi]],
            "subscriptionCycleStart": day_start_ms(team.cycle_start.date()),
            "totalMembers": len(people),
            "totalPages": pages,
        },
        list_path=("teamMemberSpend",),
        broken={
            "userId": "user_brokenBrokenBroken0000",
            "name": "Broken Record",
            "spendCents": 1.5,
        },
    )


# -- /teams/filtered-usage-events -------------------------------------------------------------------


def _matches_filters(event: bytes, cloud: str | None, hosting: str | None) -> bool:
    if cloud is not None:
        if cloud == "*":
            if b'"cloudAgentId"' not in event:
                return False
        elif f'"cloudAgentId":"{cloud}"'.encode() not in event:
            return False
    if hosting is not None:
        # Simulated cloud agents all run on Cursor's cloud; nothing is self-hosted.
        return hosting == "CLOUD" and b'"cloudAgentId"' in event
    return True


def usage_events(team, query, body) -> Reply:
    hosting = body.get("hostingType")
    if hosting is not None and hosting not in HOSTING_TYPES:
        raise ApiError(400, f"Invalid hostingType: {hosting}")
    end_ms = parse_int(body["endDate"], "endDate") if body.get("endDate") is not None else team.now_ms
    if body.get("startDate") is not None:
        start_ms = parse_int(body["startDate"], "startDate")
    else:
        start_ms = end_ms - MAX_RANGE_DAYS * DAY_MS
    if start_ms > end_ms:
        raise ApiError(400, "startDate must be before endDate")
    cap = team.events_max_range_days
    if cap is not None and end_ms - start_ms > cap * DAY_MS:
        raise ApiError(400, f"Date range cannot exceed {cap} days")
    page = parse_int(body.get("page", 1), "page", minimum=1)
    size = page_size(
        team,
        body.get("pageSize"),
        default=10 if team.legacy_shapes else 100,
        maximum=1000,
    )

    member = None
    nobody = False
    if body.get("email"):
        member = team.member_by_email(str(body["email"]))
        nobody = member is None
    if body.get("userId") is not None:
        by_id = team.find_member(body["userId"])
        nobody = nobody or by_id is None or (member is not None and by_id is not member)
        member = member or by_id
    if body.get("serviceAccountId") or body.get("automationId"):
        nobody = True  # the simulated team has no service accounts or automations

    segments = [] if nobody else team.event_segments(start_ms, end_ms, member)
    cloud = body.get("cloudAgentId")
    if cloud is not None or hosting is not None:
        segments = _filter_segments(segments, cloud, hosting)
    total = sum(len(s[1]) if len(s) == 2 else s[2] - s[1] for s in segments)
    lo, hi, pages = pagination(page, size, total)
    items = _slice_segments(segments, lo, hi)
    head = {
        "totalUsageEventsCount": total,
        "pagination": {
            "numPages": pages,
            "currentPage": page,
            "pageSize": size,
            "hasNextPage": page < pages,
            "hasPreviousPage": page > 1,
        },
    }
    prefix = json.dumps(head, separators=(",", ":"))[:-1] + ',"usageEvents":['
    suffix = f'],"period":{{"startDate":{start_ms},"endDate":{end_ms}}}}}'
    broken = {
        "timestamp": "not-a-number",
        "userEmail": team.roster[0].email,
        "model": "gpt-5",
        "kind": "Usage-based",
    }
    return Reply(
        prefix=prefix.encode(),
        items=team.event_transform(items),
        suffix=suffix.encode(),
        broken=broken,
    )


def _filter_segments(segments, cloud, hosting) -> list:
    out = []
    for seg in segments:
        data = seg[0]
        positions = seg[1] if len(seg) == 2 else range(seg[1], seg[2])
        kept = [p for p in positions if _matches_filters(data.one_event(p), cloud, hosting)]
        if kept:
            out.append((data, kept))
    return out


def _slice_segments(segments, lo: int, hi: int) -> bytes:
    parts = []
    offset = 0
    for seg in segments:
        n = len(seg[1]) if len(seg) == 2 else seg[2] - seg[1]
        a, b = max(lo - offset, 0), min(hi - offset, n)
        if a < b:
            data = seg[0]
            if len(seg) == 2:
                parts.append(b",".join(data.one_event(p) for p in seg[1][a:b]))
            else:
                parts.append(data.event_bytes(seg[1] + a, seg[1] + b))
        offset += n
        if offset >= hi:
            break
    return b",".join(parts)


# -- /teams/audit-logs ------------------------------------------------------------------------------

AUDIT_SETTINGS = (
    ("team_settings", {"setting": "privacy_mode_enforced", "old": False, "new": True}),
    ("privacy_mode", {"enabled": True}),
    ("user_spend_limit", {"spendLimitDollars": 200}),
    ("team_api_key", {"action": "created", "name": "analytics sync"}),
    ("mcp_server_config", {"server": "github", "action": "updated"}),
    ("team_rule", {"action": "updated", "rule": "Use TypeScript strict mode"}),
    ("update_user_role", {"old_role": "member", "new_role": "admin"}),
)


def audit_day(team, day: date) -> list[dict]:
    """A modest, deterministic set of audit events for one day, newest first."""
    cache = team._audit_cache
    if day in cache:
        return cache[day]
    rng = random.Random(f"audit:{team.seed}:{day.toordinal()}")
    start = day_start_ms(day)
    events = []
    for member in team.roster:
        if not member.listed or not member.can_be_active(day):
            continue
        ip = f"198.51.100.{member.index % 250 + 1}"
        if member.join_day == day:
            events.append(
                (
                    start + rng.randrange(DAY_MS),
                    team.roster[0],
                    "add_user",
                    {"email": member.email},
                )
            )
        if member.leave_day == day:
            events.append(
                (
                    start + rng.randrange(DAY_MS),
                    team.roster[0],
                    "remove_user",
                    {"email": member.email},
                )
            )
        if rng.random() < (0.05 if day.weekday() >= 5 else 0.3):
            data = {
                "ip_address": ip,
                "user_agent": f"Cursor/{2 + member.index % 2}.{member.index % 7}.0",
            }
            events.append((start + rng.randrange(DAY_MS), member, "login", data))
            if rng.random() < 0.1:
                events.append(
                    (
                        start + rng.randrange(DAY_MS),
                        member,
                        "logout",
                        {"ip_address": ip},
                    )
                )
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        event_type, data = rng.choice(AUDIT_SETTINGS)
        actor = team.roster[rng.randrange(min(3, len(team.roster)))]
        events.append((start + rng.randrange(DAY_MS), actor, event_type, dict(data)))
    events.sort(key=lambda e: -e[0])
    out = []
    for n, (ts, actor, event_type, data) in enumerate(events):
        ip = data.get("ip_address", f"203.0.113.{actor.index % 250 + 1}")
        out.append(
            {
                "event_id": f"evt_{day.strftime('%Y%m%d')}{n:05d}{rng.getrandbits(24):06x}",
                "timestamp": iso_ms(ts),
                "ip_address": ip,
                "user_email": actor.email,
                "event_type": event_type,
                "event_data": data,
                "_ts": ts,
                "_member": actor.index,
            }
        )
    cache[day] = out
    return out


def audit_logs(team, query, body) -> Reply:
    now = team.now
    start_ms = parse_audit_time(query["startTime"], now, "startTime") if query.get("startTime") else None
    end_ms = parse_audit_time(query["endTime"], now, "endTime") if query.get("endTime") else team.now_ms
    if start_ms is None:
        start_ms = end_ms - 7 * DAY_MS
    if start_ms > end_ms:
        raise ApiError(400, "startTime must be before endTime")
    if end_ms - start_ms > MAX_RANGE_DAYS * DAY_MS:
        raise ApiError(400, f"Date range cannot exceed {MAX_RANGE_DAYS} days")
    page = parse_int(query.get("page", 1), "page", minimum=1)
    size = page_size(team, query.get("pageSize"), default=100, maximum=500)
    types = (
        {t.strip() for t in query["eventTypes"].split(",") if t.strip()} if query.get("eventTypes") else None
    )
    search = query.get("search", "").lower() or None
    users = None
    if query.get("users"):
        users = set()
        for ref in query["users"].split(","):
            member = team.find_member(ref.strip())
            if member is not None:
                users.add(member.index)
    cutoff = team.now_ms
    selected = []
    day = min(ms_to_day(end_ms), team.now.date())
    first = max(ms_to_day(start_ms), team.first_day)
    while day >= first:
        for ev in audit_day(team, day):
            ts = ev["_ts"]
            if not (start_ms <= ts <= end_ms and ts <= cutoff):
                continue
            if types is not None and ev["event_type"] not in types:
                continue
            if users is not None and ev["_member"] not in users:
                continue
            if search and search not in json.dumps(ev).lower():
                continue
            selected.append({k: v for k, v in ev.items() if not k.startswith("_")})
        day -= timedelta(days=1)
    lo, hi, pages = pagination(page, size, len(selected))
    return Reply(
        {
            "events": selected[lo:hi],
            "pagination": {
                "page": page,
                "pageSize": size,
                "totalCount": len(selected),
                "totalPages": pages,
                "hasNextPage": page < pages,
                "hasPreviousPage": page > 1,
            },
            "params": {
                "teamId": team.team_id,
                "startDate": start_ms,
                "endDate": end_ms,
            },
        },
        list_path=("events",),
        broken={
            "event_id": "evt_broken",
            "timestamp": "not-a-date",
            "event_type": "login",
        },
    )


# -- /teams/user-spend-limits (bulk write, docs/cursor-api.md §2.12) --------------------------------

MAX_SPEND_LIMIT_UPDATES = 100
_UNSET = object()


def _monthly_limit(team, member):
    """The member's spend limit: the generated one unless a write replaced it."""
    changed = getattr(team, "spend_limit_overrides", {})
    value = changed.get(member.email.lower(), _UNSET)
    return member.monthly_limit_dollars if value is _UNSET else value


def _valid_limit(value) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def user_spend_limits(team, query, body) -> Reply:
    """Set or clear many members' spend limits at once.

    A team where the endpoint is not enabled yet answers 403 (``team.bulk_spend_limits =
    False``). More than 100 items, a duplicate email or a malformed item answer 400 and apply
    nothing. A member not on the team fails alone; a repeat of the current value is
    ``unchanged``. Every update applied bumps the data version (spend rows change).
    """
    if not getattr(team, "bulk_spend_limits", True):
        raise ApiError(403, "Bulk spend limits are not enabled for this team")
    updates = body.get("updates")
    if not isinstance(updates, list) or not updates:
        raise ApiError(400, "updates must be a non-empty list")
    if len(updates) > MAX_SPEND_LIMIT_UPDATES:
        raise ApiError(400, f"At most {MAX_SPEND_LIMIT_UPDATES} updates per request")
    seen = set()
    for item in updates:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("userEmail"), str)
            or "spendLimitDollars" not in item
        ):
            raise ApiError(400, "Each update needs userEmail and spendLimitDollars")
        if not _valid_limit(item["spendLimitDollars"]):
            raise ApiError(400, "spendLimitDollars must be a whole number of dollars or null")
        email = item["userEmail"].strip().lower()
        if email in seen:
            raise ApiError(400, "Duplicate userEmail in updates")
        seen.add(email)
    results, counts = [], {"updated": 0, "unchanged": 0, "failed": 0}
    with team._lock:
        overrides = team.__dict__.setdefault("spend_limit_overrides", {})
        for item in updates:
            email = item["userEmail"].strip()
            member = team.member_by_email(email)
            if member is None or not member.listed or member.is_removed:
                results.append(
                    {"userEmail": email, "status": "failed", "error": "User is not a member of this team"}
                )
                counts["failed"] += 1
                continue
            new = item["spendLimitDollars"]
            if _monthly_limit(team, member) == new:
                status = "unchanged"
            else:
                overrides[member.email.lower()] = new
                status = "updated"
            results.append({"userEmail": email, "status": status})
            counts[status] += 1
        if counts["updated"]:
            team.data_version += 1
    return Reply(
        {
            "requestedCount": len(updates),
            "updatedCount": counts["updated"],
            "unchangedCount": counts["unchanged"],
            "failedCount": counts["failed"],
            "results": results,
        }
    )


# -- /teams/groups ----------------------------------------------------------------------------------

# Billing groups (docs/cursor-api.md §2.9): every current member is in one group or in the
# reserved Unassigned group. The assignment is a deterministic function of the seed and the
# email; ``team.group_moves`` overrides it per email.
GROUP_NAMES = ("Core Services", "Mobile", "ML Research", "Field Engineering")
UNASSIGNED_SHARE = 0.15


def _group_id(team, name: str) -> str:
    digest = hashlib.sha1(f"group:{team.seed}:{name}".encode(), usedforsecurity=False).hexdigest()
    return f"group_{digest[:16]}"


def group_of(team, member) -> str | None:
    """The group name of a member (None: Unassigned)."""
    email = member.email.lower()
    if email in team.group_moves:
        return team.group_moves[email]
    rng = random.Random(f"group:{team.seed}:{email}")
    if rng.random() < UNASSIGNED_SHARE:
        return None
    return GROUP_NAMES[rng.randrange(len(GROUP_NAMES))]


def _group(team, group_id: str, name: str, members: list, stamp: str) -> dict:
    return {
        "id": group_id,
        "name": name,
        "type": "BILLING",
        "directoryGroupId": None,
        "memberCount": len(members),
        "createdAt": stamp,
        "updatedAt": stamp,
        "spendCents": 0,
        "currentMembers": [
            {
                "userId": m.user_id,
                "name": m.name,
                "email": m.email,
                "joinedAt": stamp,
                "leftAt": None,
                "spendCents": 0,
            }
            for m in members
        ],
        "formerMembers": [],
        "dailySpend": [],
    }


def groups(team, query, body) -> Reply:
    """``GET /teams/groups``: the groups of the current members (removed ones are in none)."""
    by_name: dict[str | None, list] = {}
    for member in team.listed_members:
        if member.is_removed:
            continue
        by_name.setdefault(group_of(team, member), []).append(member)
    start = team.cycle_start.date()
    stamp = f"{start.isoformat()}T00:00:00.000Z"
    names = [n for n in GROUP_NAMES if n in by_name]
    names += sorted(n for n in by_name if n is not None and n not in GROUP_NAMES)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=start.day) - timedelta(days=1)
    return Reply(
        {
            "groups": [_group(team, _group_id(team, n), n, by_name[n], stamp) for n in names],
            "unassignedGroup": _group(team, "group_unassigned", "Unassigned", by_name.get(None, []), stamp),
            "billingCycle": {"cycleStart": stamp, "cycleEnd": f"{end.isoformat()}T23:59:59.999Z"},
        },
        list_path=("groups",),
        broken={"id": None, "name": None, "currentMembers": "broken"},
    )
