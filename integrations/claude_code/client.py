"""Claude Code clients, one per source (reference: docs/claude-code-api.md).

- ``ConsoleClient`` (a Claude Console organization, Admin API key ``sk-ant-admin01-…``): the
  Claude Code usage report, one UTC day per call (§3.1, no ``ending_at``), and the Admin users
  list for the roster (§4.1).
- ``EnterpriseClient`` (Claude Enterprise, an Analytics API key with ``read:analytics``): per-user
  daily activity from ``/analytics/users`` (§5.4) and per-user cost and tokens per day and model
  from ``/analytics/user_cost_report`` and ``/analytics/user_usage_report`` (§5.5), each within
  its window (configurable: the sources disagree, §5.3).

Both parse tolerantly (``records.py``): a malformed row is skipped and counted in
``skipped_records``. ``make_client(source, key, …)`` checks the key's type before any request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from .errors import MissingScope, NotAdminKey, UpstreamError, WrongKeyType
from .http import AnthropicHttp
from .records import (
    ActorDay,
    RosterUser,
    UserCost,
    parse_console_row,
    parse_enterprise_user_row,
    parse_roster_user,
    parse_user_cost_row,
    parse_user_usage_row,
)

CONSOLE = "console"
ENTERPRISE = "enterprise"
SOURCES = (CONSOLE, ENTERPRISE)

ADMIN_KEY_PREFIX = "sk-ant-admin"
API_KEY_PREFIX = "sk-ant-api"
PAGE_LIMIT = 1000
COST_RANGE_DAYS = 31  # §5.5: a cost/usage range spans at most 31 days

CLAUDE_CODE_REPORT = "/v1/organizations/usage_report/claude_code"
USERS = "/v1/organizations/users"
ANALYTICS_USERS = "/v1/organizations/analytics/users"
USER_COST = "/v1/organizations/analytics/user_cost_report"
USER_USAGE = "/v1/organizations/analytics/user_usage_report"


def key_type_problem(source: str, api_key: str) -> str:
    """Why ``api_key`` cannot be a key for ``source``, from its prefix, or "" (never quotes it)."""
    key = (api_key or "").strip()
    if source == CONSOLE and key.startswith(API_KEY_PREFIX):
        return (
            "This is a regular API key (sk-ant-api…), not an Admin API key. The Console source needs "
            "an Admin API key (sk-ant-admin01-…), created by an admin under Console → Settings → Admin keys."
        )
    if source == ENTERPRISE and key.startswith(ADMIN_KEY_PREFIX):
        return (
            "This is a Console Admin API key (sk-ant-admin…). Claude Enterprise needs an Analytics API key "
            "with the read:analytics scope, which only the Primary Owner can create "
            "(claude.ai → Organization settings → API)."
        )
    return ""


class ConsoleClient(AnthropicHttp):
    source = CONSOLE

    def permission_error(self, detail, message, **kwargs):
        return NotAdminKey(detail, **kwargs)

    def usage_day(self, day: date) -> list[ActorDay]:
        """Every actor's Claude Code row for one UTC day, all pages (§3.1, §3.3)."""
        rows: list[ActorDay] = []
        params = [("starting_at", day.isoformat()), ("limit", str(PAGE_LIMIT))]
        for page in self._paged(CLAUDE_CODE_REPORT, params):
            for raw in page:
                record = parse_console_row(raw)
                if record is None or record.day != day:
                    self.skipped_records += 1
                    continue
                rows.append(record)
        return rows

    def users(self) -> list[RosterUser]:
        """The organization's members (§4.1), following ``after_id`` while ``has_more``."""
        users: list[RosterUser] = []
        after, pages = None, 0
        while True:
            pages += 1
            params = [("limit", str(PAGE_LIMIT))] + ([("after_id", after)] if after else [])
            body = self._call(USERS, params)
            data = body.get("data")
            if not isinstance(data, list):
                raise UpstreamError(f"unexpected response shape from {USERS}: no data list", path=USERS)
            for raw in data:
                user = parse_roster_user(raw)
                if user is None:
                    self.skipped_records += 1
                else:
                    users.append(user)
            last = body.get("last_id")
            if (
                not body.get("has_more")
                or not isinstance(last, str)
                or last == after
                or pages >= self.max_pages
            ):
                return users
            after = last

    def validate(self, day: date) -> int:
        """One cheap call per endpoint the sync uses; returns the roster's first page size."""
        body = self._call(USERS, [("limit", "1")])
        self._call(CLAUDE_CODE_REPORT, [("starting_at", day.isoformat()), ("limit", "1")])
        return len(body.get("data") or [])


class EnterpriseClient(AnthropicHttp):
    source = ENTERPRISE

    def permission_error(self, detail, message, **kwargs):
        return MissingScope(detail, anthropic_message=message, **kwargs)

    def activity_day(self, day: date) -> list[ActorDay]:
        """Every member's Claude Code activity for one UTC day (§5.4); only ``next_page``."""
        rows: list[ActorDay] = []
        params = [("date", day.isoformat()), ("limit", str(PAGE_LIMIT))]
        for page in self._paged(ANALYTICS_USERS, params, need_has_more=False):
            for raw in page:
                record = parse_enterprise_user_row(raw, day)
                if record is None:
                    self.skipped_records += 1
                else:
                    rows.append(record)
        return rows

    def _report(self, path: str, parse, start: date, end: date) -> Iterator[UserCost]:
        """Per user, day and model rows of ``path`` for start..end, in ≤31-day ranges."""
        chunk_start = start
        while chunk_start <= end:
            chunk_end = min(end, chunk_start + timedelta(days=COST_RANGE_DAYS - 1))
            params = [
                ("starting_at", f"{chunk_start.isoformat()}T00:00:00Z"),
                ("ending_at", f"{(chunk_end + timedelta(days=1)).isoformat()}T00:00:00Z"),
                ("bucket_width", "1d"),
                ("products[]", "claude_code"),
                ("group_by[]", "model"),
                ("limit", str(PAGE_LIMIT)),
            ]
            for page in self._paged(path, params):
                for raw in page:
                    record = parse(raw)
                    if record is None or not (chunk_start <= record.day <= chunk_end):
                        self.skipped_records += 1
                        continue
                    yield record
            chunk_start = chunk_end + timedelta(days=1)

    def user_costs(self, start: date, end: date) -> list[UserCost]:
        return list(self._report(USER_COST, parse_user_cost_row, start, end))

    def user_usage(self, start: date, end: date) -> list[UserCost]:
        return list(self._report(USER_USAGE, parse_user_usage_row, start, end))

    def validate(self, day: date) -> int:
        body = self._call(ANALYTICS_USERS, [("date", day.isoformat()), ("limit", "1")])
        return len(body.get("data") or [])


@dataclass(frozen=True)
class Windows:
    """How far back and how recent each source can be asked (settings; §5.3)."""

    enterprise_lag_days: int = 1
    enterprise_window_days: int = 366
    enterprise_cost_window_days: int = 365


def make_client(source: str, api_key: str, **options) -> ConsoleClient | EnterpriseClient:
    """The client for ``source``; raises ``WrongKeyType`` (``NotAdminKey`` for Console) when the
    key's prefix shows it is of the other kind, before anything is sent."""
    if source not in SOURCES:
        raise ValueError(f"unknown Claude Code source {source!r}")
    if problem := key_type_problem(source, api_key):
        cls = NotAdminKey if source == CONSOLE else WrongKeyType
        raise cls(problem, user_message=problem)
    return (ConsoleClient if source == CONSOLE else EnterpriseClient)(api_key, **options)
