"""Analytics API records: team-level metric rows and leaderboard entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..records import AnalyticsRow, LeaderboardEntry
from ..values import require_email, to_date, to_int, to_str, to_user_id

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
