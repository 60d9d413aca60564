"""Analytics API (team and by-user) and AI Code Tracking API endpoints.

Every number is aggregated from the same per-member-day aggregates as the daily-usage rows, so
e.g. `dau` for a day equals the number of active daily-usage rows that day.
"""

from __future__ import annotations

import json
import random
import threading
from datetime import date

from .admin_api import page_size, pagination
from .dates import analytics_range, parse_ai_code_time
from .util import (
    DAY_MS,
    ApiError,
    Reply,
    daterange,
    day_start_ms,
    iso_ms,
    ms_to_day,
    parse_int,
)

MCP_TOOLS = (
    ("github", "create_pull_request"),
    ("github", "search_issues"),
    ("linear", "get_issue"),
    ("postgres", "query"),
    ("sentry", "get_issue_details"),
    ("figma", "get_design_context"),
)
COMMANDS = ("review", "explain", "fix-lint", "write-tests", "refactor", "summarize-pr")
SKILLS = ("frontend-design", "db-migrations", "release-notes", "incident-triage")
REPOS = ("web", "api", "mobile", "infra", "data-pipelines")
BRANCHES = (
    "main",
    "main",
    "main",
    "feature/search",
    "fix/login-redirect",
    "chore/deps",
)
COMMIT_MESSAGES = (
    "Fix flaky test in checkout flow",
    "Add pagination to usage table",
    "Refactor auth middleware",
    "Bump dependencies",
    "Improve error messages on import",
    "Add caching to analytics queries",
    "Handle empty state on dashboard",
)


def _users_filter(team, query) -> set[int] | None:
    """`users`: comma-separated emails and `user_…` ids; any unknown entry is a 400."""
    raw = query.get("users")
    if not raw:
        return None
    wanted = set()
    for ref in raw.split(","):
        ref = ref.strip()
        if not ref:
            continue
        member = team.find_member(ref)
        if member is None:
            raise ApiError(400, "Some users are not in the team")
        wanted.add(member.index)
    return wanted


def _day_aggs(team, start: date, end: date, users: set[int] | None):
    for day, aggs in team.member_days(start, end):
        if users is not None:
            aggs = {i: a for i, a in aggs.items() if i in users}
        yield day, aggs


def _member_rng(team, salt: str, day: date, index: int) -> random.Random:
    return random.Random(f"{salt}:{team.seed}:{day.toordinal()}:{index}")


# -- row builders: (team, day, {index: MemberDay}) -> list of rows ----------------------------------


def _dau(team, day, aggs):
    values = aggs.values()
    return [
        {
            "date": day.isoformat(),
            "dau": len(aggs),
            "cli_dau": sum(1 for a in values if a.cli),
            "cloud_agent_dau": sum(1 for a in values if a.headless),
            "bugbot_dau": sum(1 for a in values if a.bugbot),
        }
    ]


def _models(team, day, aggs):
    breakdown: dict[str, dict] = {}
    for agg in aggs.values():
        for model, count in agg.models.items():
            entry = breakdown.setdefault(model, {"messages": 0, "users": 0})
            entry["messages"] += count
            entry["users"] += 1
    return [{"date": day.isoformat(), "model_breakdown": dict(sorted(breakdown.items()))}] if aggs else []


def _lines(prefix_rows: dict, acc_a, acc_d, rej_a, rej_d) -> dict:
    prefix_rows.update(
        total_green_lines_accepted=acc_a,
        total_red_lines_accepted=acc_d,
        total_green_lines_rejected=rej_a,
        total_red_lines_rejected=rej_d,
        total_green_lines_suggested=acc_a + rej_a,
        total_red_lines_suggested=acc_d + rej_d,
        total_lines_suggested=acc_a + acc_d + rej_a + rej_d,
        total_lines_accepted=acc_a + acc_d,
    )
    return prefix_rows


def _agent_edits(team, day, aggs):
    if not aggs:
        return []
    v = list(aggs.values())
    row = {
        "event_date": day.isoformat(),
        "total_suggested_diffs": sum(a.applies for a in v),
        "total_accepted_diffs": sum(a.accepts for a in v),
        "total_rejected_diffs": sum(a.rejects for a in v),
    }
    return [
        _lines(
            row,
            sum(a.acc_added for a in v),
            sum(a.acc_deleted for a in v),
            sum(a.rej_added for a in v),
            sum(a.rej_deleted for a in v),
        )
    ]


def _tabs(team, day, aggs):
    if not aggs:
        return []
    v = list(aggs.values())
    shown, accepted = sum(a.tabs_shown for a in v), sum(a.tabs_accepted for a in v)
    row = {
        "event_date": day.isoformat(),
        "total_suggestions": shown,
        "total_accepts": accepted,
    }
    row["total_rejects"] = shown - accepted
    return [
        _lines(
            row,
            sum(a.tab_lines_added for a in v),
            sum(a.tab_lines_deleted for a in v),
            sum(a.tab_lines_rejected for a in v),
            0,
        )
    ]


def _client_versions(team, day, aggs):
    counts: dict[str, int] = {}
    for agg in aggs.values():
        counts[agg.client_version] = counts.get(agg.client_version, 0) + 1
    total = len(aggs)
    return [
        {
            "event_date": day.isoformat(),
            "client_version": v,
            "user_count": n,
            "percentage": n / total,
        }
        for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _top_files(team, day, aggs):
    per_ext: dict[str, list[int]] = {}
    for agg in aggs.values():
        t = per_ext.setdefault(agg.apply_ext.lstrip("."), [0, 0, 0, 0, 0, 0])
        t[0] += agg.applies
        t[1] += agg.accepts
        t[2] += agg.rejects
        t[3] += agg.acc_added + agg.acc_deleted + agg.rej_added + agg.rej_deleted
        t[4] += agg.acc_added + agg.acc_deleted
        t[5] += agg.rej_added + agg.rej_deleted
    top = sorted(per_ext.items(), key=lambda kv: (-kv[1][3], kv[0]))[:5]
    return [
        {
            "event_date": day.isoformat(),
            "file_extension": ext,
            "total_files": t[0],
            "total_accepts": t[1],
            "total_rejects": t[2],
            "total_lines_suggested": t[3],
            "total_lines_accepted": t[4],
            "total_lines_rejected": t[5],
        }
        for ext, t in top
    ]


def _counted(team, day, aggs, salt, names, key_fields):
    counts: dict[tuple, int] = {}
    for index in aggs:
        rng = _member_rng(team, salt, day, index)
        for _ in range(int(rng.random() * 4)):
            name = names[int(rng.random() * len(names))]
            key = name if isinstance(name, tuple) else (name,)
            counts[key] = counts.get(key, 0) + 1 + int(rng.random() * 6)
    return [
        {
            "event_date": day.isoformat(),
            **dict(zip(key_fields, key, strict=True)),
            "usage": n,
        }
        for key, n in sorted(counts.items())
    ]


def _mcp(team, day, aggs):
    return _counted(team, day, aggs, "mcp", MCP_TOOLS, ("mcp_server_name", "tool_name"))


def _commands(team, day, aggs):
    return _counted(team, day, aggs, "cmd", COMMANDS, ("command_name",))


def _skills(team, day, aggs):
    return _counted(team, day, aggs, "skill", SKILLS, ("skill_name",))


def _model_usage(attr):
    def build(team, day, aggs):
        counts: dict[str, int] = {}
        for agg in aggs.values():
            for model, n in getattr(agg, attr).items():
                name = "default" if model == "auto" else model
                counts[name] = counts.get(name, 0) + n
        return [{"event_date": day.isoformat(), "model": m, "usage": n} for m, n in sorted(counts.items())]

    return build


METRICS = {
    "agent-edits": ("agent-edits", _agent_edits),
    "tabs": ("tabs", _tabs),
    "dau": ("dau", _dau),
    "client-versions": ("client-versions", _client_versions),
    "models": ("models", _models),
    "top-file-extensions": ("top-files", _top_files),
    "mcp": ("mcp", _mcp),
    "commands": ("commands", _commands),
    "plans": ("plans", _model_usage("plan_models")),
    "skills": ("skills", _skills),
    "ask-mode": ("ask-mode", _model_usage("chat_models")),
}


def _params(team, metric, start, end, **extra) -> dict:
    return {
        "metric": metric,
        "teamId": team.team_id,
        "startDate": start.isoformat(),
        "endDate": end.isoformat(),
    } | extra


def _team_endpoint(name):
    metric, build = METRICS[name]

    def handler(team, query, body) -> Reply:
        start, end = analytics_range(query, team.now)
        users = _users_filter(team, query)
        rows = []
        for day, aggs in _day_aggs(team, start, end, users):
            rows.extend(build(team, day, aggs))
        broken = {"event_date": None, "date": None} if rows else {"broken": True}
        return Reply(
            {"data": rows, "params": _params(team, metric, start, end)},
            list_path=("data",),
            broken=broken,
        )

    return handler


def _leaderboard(team, query, body) -> Reply:
    start, end = analytics_range(query, team.now)
    users = _users_filter(team, query)
    page = parse_int(query.get("page", 1), "page", minimum=1)
    size = page_size(team, query.get("pageSize"), default=10, maximum=500)
    totals: dict[int, list[int]] = {}
    for _, aggs in _day_aggs(team, start, end, None):
        for index, a in aggs.items():
            t = totals.setdefault(index, [0] * 8)
            t[0] += a.tabs_accepted
            t[1] += a.tabs_shown
            t[2] += a.tab_lines_added + a.tab_lines_deleted
            t[3] += a.tab_lines_rejected
            t[4] += a.accepts
            t[5] += a.acc_added + a.acc_deleted
            t[6] += a.rej_added + a.rej_deleted
    people = {m.index: m for m in team.roster}

    def board(kind):
        entries = []
        for index, t in totals.items():
            member = people[index]
            if kind == "tab":
                accepted, suggested = t[2], t[2] + t[3]
                entry = {
                    "email": member.email,
                    "user_id": member.user_id,
                    "profile_picture_url": None,
                }
                entry |= {
                    "total_accepts": t[0],
                    "total_lines_accepted": accepted,
                    "total_lines_suggested": suggested,
                }
                entry["line_acceptance_ratio"] = accepted / suggested if suggested else 0.0
                entry["accept_ratio"] = t[0] / t[1] if t[1] else 0.0
            else:
                accepted, suggested = t[5], t[5] + t[6]
                entry = {
                    "email": member.email,
                    "user_id": member.user_id,
                    "profile_picture_url": None,
                }
                entry |= {
                    "total_accepts": t[4],
                    "total_lines_accepted": accepted,
                    "total_lines_suggested": suggested,
                }
                entry["line_acceptance_ratio"] = accepted / suggested if suggested else 0.0
            entries.append(entry)
        entries.sort(key=lambda e: (-e["total_lines_accepted"], e["email"]))
        for rank, entry in enumerate(entries, 1):
            entry["rank"] = rank  # team-wide rank, kept when filtering by users
        if users is not None:
            entries = [e for e in entries if team.member_by_email(e["email"]).index in users]
        return entries

    tab, agent = board("tab"), board("agent")
    total_users = max(len(tab), len(agent))
    lo, hi, pages = pagination(page, size, total_users)
    return Reply(
        {
            "data": {
                "tab_leaderboard": {"data": tab[lo:hi], "total_users": len(tab)},
                "agent_leaderboard": {"data": agent[lo:hi], "total_users": len(agent)},
            },
            "pagination": {
                "page": page,
                "pageSize": size,
                "totalUsers": total_users,
                "totalPages": pages,
                "hasNextPage": page < pages,
                "hasPreviousPage": page > 1,
            },
            "params": _params(team, "leaderboard", start, end, page=page, pageSize=size),
        },
        list_path=("data", "tab_leaderboard", "data"),
        broken={"user_id": "user_brokenBrokenBroken0000", "rank": 1},
    )


def _by_user_endpoint(name):
    metric, build = METRICS[name]

    def handler(team, query, body) -> Reply:
        start, end = analytics_range(query, team.now)
        users = _users_filter(team, query)
        page = parse_int(query.get("page", 1), "page", minimum=1)
        size = page_size(team, query.get("pageSize"), default=100, maximum=500)
        per_user: dict[int, list] = {}
        for day, aggs in _day_aggs(team, start, end, users):
            for index, agg in aggs.items():
                per_user.setdefault(index, []).extend(build(team, day, {index: agg}))
        order = [m for m in team.roster if per_user.get(m.index)]
        lo, hi, pages = pagination(page, size, len(order))
        chosen = order[lo:hi]
        return Reply(
            {
                "data": {m.email: per_user[m.index] for m in chosen},
                "pagination": {
                    "page": page,
                    "pageSize": size,
                    "totalUsers": len(order),
                    "totalPages": pages,
                    "hasNextPage": page < pages,
                    "hasPreviousPage": page > 1,
                },
                "params": _params(
                    team,
                    metric,
                    start,
                    end,
                    page=page,
                    pageSize=size,
                    userMappings=[{"id": m.user_id, "email": m.email} for m in chosen],
                ),
            }
        )

    return handler


TEAM_ENDPOINTS = {name: _team_endpoint(name) for name in METRICS} | {"leaderboard": _leaderboard}
BY_USER_ENDPOINTS = {name: _by_user_endpoint(name) for name in METRICS if name != "dau"}


# -- AI Code Tracking -------------------------------------------------------------------------------


def _ai_day(team, day: date) -> tuple[list[dict], list[dict]]:
    """(commits, changes) for one day, newest first; cached per data revision."""
    data = team.day_data(day)
    key = (data.revisions, data.cutoff_ms)
    cached = team._ai_cache.get(day)
    if cached and cached[0] == key:
        return cached[1], cached[2]
    commits, changes = [], []
    start = day_start_ms(day)
    org = team.domain.split(".")[0]
    for index, agg in data.aggs.items():
        member = team.roster[index]
        rng = _member_rng(team, "ai", day, index)
        rnd = rng.random
        for _ in range(min(6, int(rnd() * (1 + agg.accepts / 4)))):
            ts = start + int((member.work_start_hour + 1 + rnd() * 8) * 3_600_000) % DAY_MS
            tab_a, tab_d = int(rnd() * 40), int(rnd() * 8)
            comp_a, comp_d = int(rnd() * 150), int(rnd() * 40)
            total_a, total_d = (
                tab_a + comp_a + int(rnd() * 120),
                tab_d + comp_d + int(rnd() * 50),
            )
            branch = BRANCHES[int(rnd() * len(BRANCHES))]
            commit = {
                "commitHash": f"{rng.getrandbits(160):040x}",
                "userId": member.user_id,
                "userEmail": member.email,
                "repoName": f"{org}/{REPOS[int(rnd() * len(REPOS))]}",
                "branchName": branch,
                "isPrimaryBranch": branch == "main",
                "commitSource": ("ide", "ide", "ide", "cli", "cloud")[int(rnd() * 5)],
                "totalLinesAdded": total_a,
                "totalLinesDeleted": total_d,
                "tabLinesAdded": tab_a,
                "tabLinesDeleted": tab_d,
                "composerLinesAdded": comp_a,
                "composerLinesDeleted": comp_d,
                "nonAiLinesAdded": max(0, total_a - tab_a - comp_a),
                "nonAiLinesDeleted": max(0, total_d - tab_d - comp_d),
                "message": COMMIT_MESSAGES[int(rnd() * len(COMMIT_MESSAGES))],
                "commitTs": iso_ms(ts),
                "createdAt": iso_ms(ts + 30_000 + int(rnd() * 600_000)),
                "_ts": ts,
            }
            commits.append(commit)
            if rnd() < 0.03:  # an amended commit: same hash and commitTs, ingested again later
                commits.append(commit | {"createdAt": iso_ms(ts + 3_600_000)})
        models = sorted(agg.models) or ["auto"]
        for n in range(min(25, agg.accepts + agg.tabs_accepted // 20)):
            ts = start + int((member.work_start_hour + rnd() * 9.5) * 3_600_000) % DAY_MS
            source = "TAB" if n % 3 == 2 else "COMPOSER"
            files = []
            for _ in range(1 + int(rnd() * 3)):
                ext = member.extensions[int(rnd() * len(member.extensions))].lstrip(".")
                files.append(
                    {
                        "fileName": f"src/module{int(rnd() * 40)}/file{int(rnd() * 90)}.{ext}",
                        "fileExtension": ext,
                        "linesAdded": 1 + int(rnd() * 30),
                        "linesDeleted": int(rnd() * 10),
                    }
                )
            changes.append(
                {
                    "changeId": str(100_000_000 + rng.getrandbits(29)),
                    "userId": member.user_id,
                    "userEmail": member.email,
                    "source": source,
                    "model": None if source == "TAB" else models[int(rnd() * len(models))],
                    "totalLinesAdded": sum(f["linesAdded"] for f in files),
                    "totalLinesDeleted": sum(f["linesDeleted"] for f in files),
                    "createdAt": iso_ms(ts),
                    "metadata": files,
                    "_ts": ts,
                }
            )
    if data.cutoff_ms is not None:
        commits = [c for c in commits if c["_ts"] <= data.cutoff_ms]
        changes = [c for c in changes if c["_ts"] <= data.cutoff_ms]
    commits.sort(key=lambda c: (-c["_ts"], c["commitHash"], c["createdAt"]))
    changes.sort(key=lambda c: (-c["_ts"], c["changeId"]))
    team._ai_cache[day] = (key, commits, changes)
    return commits, changes


def _ai_range(team, query) -> tuple[int, int]:
    now = team.now
    start = (
        parse_ai_code_time(query["startDate"], now, "startDate", end=False)
        if query.get("startDate")
        else None
    )
    end = (
        parse_ai_code_time(query["endDate"], now, "endDate", end=True)
        if query.get("endDate")
        else team.now_ms
    )
    if start is None:
        start = end - 7 * DAY_MS
    if start > end:
        raise ApiError(400, "startDate must be before endDate")
    return start, end


_AI_CACHE_LOCK = threading.Lock()


def _ai_matches(team, which, start_ms, end_ms, member, days) -> list:
    """Items of the window (references, newest day first), cached per query.

    A client pages through one window with the same query, so filtering the whole window for
    every page made a listing O(pages × items). The key includes the identity of each day's
    item list, so a regenerated (revised) day invalidates it.
    """
    key = (which, start_ms, end_ms, member.user_id if member else None, tuple(id(d) for d in days))
    cache = team.__dict__.setdefault("_ai_match_cache", {})
    matches = cache.get(key)
    if matches is None:
        matches = [
            item
            for day_items in days
            for item in day_items
            if start_ms <= item["_ts"] <= end_ms and (member is None or item["userId"] == member.user_id)
        ]
        with _AI_CACHE_LOCK:  # the server answers on several threads
            if len(cache) >= 8:
                cache.pop(next(iter(cache)))
            cache[key] = matches
    return matches


def _item_json(item: dict) -> bytes:
    """The item as served (without its private "_" keys), serialized on first use and kept in
    the item. Items are never changed once generated (a revised day builds new ones)."""
    raw = item.get("_json")
    if raw is None:
        raw = json.dumps({k: v for k, v in item.items() if k[0] != "_"}, separators=(",", ":")).encode()
        item["_json"] = raw
    return raw


def warm_ai_code(team, day: date) -> None:
    """Generate and serialize one day's AI Code Tracking items ahead of the first request."""
    for items in _ai_day(team, day):
        for item in items:
            _item_json(item)


def _ai_endpoint(which: int):
    def handler(team, query, body) -> Reply:
        start_ms, end_ms = _ai_range(team, query)
        page = parse_int(query.get("page", 1), "page", minimum=1)
        size = page_size(team, query.get("pageSize"), default=100, maximum=1000)
        member = None
        if query.get("user"):
            member = team.find_member(query["user"].strip())
            if member is None:
                raise ApiError(400, "Some users are not in the team")
        first, last = (
            max(ms_to_day(start_ms), team.first_day),
            min(ms_to_day(end_ms), team.last_day),
        )
        days = [_ai_day(team, day)[which] for day in reversed(list(daterange(first, last)))]
        matches = _ai_matches(team, which, start_ms, end_ms, member, days)
        lo, hi, _ = pagination(page, size, len(matches))
        broken = (
            {"commitHash": "broken", "userEmail": None} if which == 0 else {"changeId": "broken", "source": 7}
        )
        # Each item is serialized once and its text reused by every page and every fetch that
        # serves it (a backfill's AI code pages are most of the simulator's work otherwise).
        return Reply(
            prefix=b'{"items":[',
            items=b",".join(_item_json(item) for item in matches[lo:hi]),
            suffix=b'],"totalCount":%d,"page":%d,"pageSize":%d}' % (len(matches), page, size),
            broken=broken,
        )

    return handler


AI_CODE_ENDPOINTS = {"commits": _ai_endpoint(0), "changes": _ai_endpoint(1)}


def normalise_query(team, path: str, query: dict) -> str:
    """The query with its dates resolved, so equivalent requests share an ETag."""
    rest = sorted((k, v) for k, v in query.items() if k not in ("startDate", "endDate"))
    if path.startswith("/analytics/ai-code/"):
        start, end = _ai_range(team, query)
        return f"{start}|{end}|{rest}"
    start, end = analytics_range(query, team.now)
    return f"{start}|{end}|{rest}"


__all__ = [
    "AI_CODE_ENDPOINTS",
    "BY_USER_ENDPOINTS",
    "TEAM_ENDPOINTS",
    "normalise_query",
]
