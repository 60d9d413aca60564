"""Normalized records returned by the Cursor client.

The client turns every response shape Cursor has used (see docs/cursor-api.md §5–§6)
into these frozen dataclasses (usage events and daily rows, built by the hundred thousand:
equally immutable NamedTuples), so code above the client never sees raw JSON:

- emails are lowercased and stripped;
- user ids are ``str`` whether Cursor sent ``12345`` or ``"user_…"`` ("" when absent);
- datetimes are timezone-aware UTC, days are ``date`` objects (UTC);
- money is ``Decimal`` holding the exact value of the JSON text (see ``parsing.decode_json``);
- strings Cursor sends as ``null`` or omits become ``""``; counters become ``0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    email: str
    name: str
    role: str
    is_removed: bool


class DailyUsageRow(NamedTuple):
    """One user on one UTC day (``/teams/daily-usage-data``; inactive days are zero rows)."""

    user_id: str | None
    email: str
    day: date
    is_active: bool
    total_lines_added: int
    total_lines_deleted: int
    accepted_lines_added: int
    accepted_lines_deleted: int
    total_applies: int
    total_accepts: int
    total_rejects: int
    total_tabs_shown: int
    total_tabs_accepted: int
    composer_requests: int
    chat_requests: int
    agent_requests: int
    cmdk_usages: int
    subscription_included_reqs: int
    api_key_reqs: int
    usage_based_reqs: int
    bugbot_usages: int
    most_used_model: str
    apply_most_used_extension: str
    tab_most_used_extension: str
    client_version: str


class UsageEvent(NamedTuple):
    """One billable request (``/teams/filtered-usage-events``). Cursor gives events no id.

    A NamedTuple rather than a frozen dataclass like the others: a backfill builds millions,
    and a frozen dataclass' ``__init__`` sets each of its 17 fields through
    ``object.__setattr__`` (about 5 µs an event, a tenth of a backfill's CPU); a NamedTuple
    is built in one step and is just as immutable.
    """

    timestamp: datetime
    email: str
    model: str
    kind: str
    max_mode: bool
    requests_costs: Decimal
    is_token_based_call: bool
    is_chargeable: bool
    is_headless: bool
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    token_cents: Decimal  # tokenUsage.totalCents: model cost
    charged_cents: Decimal  # model cost + Cursor token fee (reconciles with /teams/spend)
    cursor_token_fee: Decimal
    conversation_id: str


@dataclass(frozen=True, slots=True)
class MemberSpend:
    """Spend of one member in the current billing cycle.

    ``spend_cents`` is on-demand spend (beyond the included usage) and ``overall_spend_cents``
    the cycle total. Legacy responses (``spendCents`` = total, plus ``includedSpendCents``, no
    ``overallSpendCents``) are mapped to overall = spendCents and
    on-demand = max(0, spendCents - includedSpendCents).
    """

    user_id: str
    email: str
    name: str
    role: str
    spend_cents: Decimal
    overall_spend_cents: Decimal
    fast_premium_requests: int
    hard_limit_override_dollars: Decimal
    monthly_limit_dollars: Decimal | None
    effective_per_user_limit_dollars: Decimal | None


@dataclass(frozen=True, slots=True)
class SpendReport:
    cycle_start: datetime
    members: list[MemberSpend] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    event_id: str
    timestamp: datetime
    email: str
    event_type: str
    ip_address: str
    data: dict


@dataclass(frozen=True, slots=True)
class AnalyticsRow:
    """One long-format row of a team analytics metric.

    ``key`` is the row's dimension (model, client_version, file_extension,
    ``"mcp_server_name/tool_name"``, command_name …), ``""`` for metrics without one (dau,
    agent-edits, tabs). ``values`` holds the numeric fields. ``models`` yields one row per
    (date, model) with values ``{"messages": …, "users": …}``.
    """

    metric: str
    day: date | None
    key: str
    values: dict


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    board: str  # "tab" or "agent"
    email: str
    user_id: str
    rank: int
    values: dict


@dataclass(frozen=True, slots=True)
class AiCommit:
    commit_hash: str
    user_id: str
    email: str
    repo_name: str
    branch_name: str
    is_primary_branch: bool | None
    commit_source: str
    total_lines_added: int
    total_lines_deleted: int
    tab_lines_added: int
    tab_lines_deleted: int
    composer_lines_added: int
    composer_lines_deleted: int
    non_ai_lines_added: int | None
    non_ai_lines_deleted: int | None
    message: str
    commit_ts: datetime | None
    created_at: datetime


class AiChange(NamedTuple):
    """An accepted AI change (TAB or COMPOSER); ``metadata`` is Cursor's list of files.

    A NamedTuple like ``UsageEvent``: a 30-day backfill builds hundreds of thousands.
    """

    change_id: str
    user_id: str
    email: str
    source: str
    model: str
    total_lines_added: int
    total_lines_deleted: int
    created_at: datetime
    metadata: list


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a key can reach, found by ``CursorClient.validate()``."""

    admin: bool
    analytics: bool
    ai_code: bool
    member_count: int
    plan_note: str


@dataclass(frozen=True, slots=True)
class GroupMember:
    user_id: str
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class BillingGroup:
    """One Cursor billing group (``/teams/groups``, docs/cursor-api.md §2.9) with its current
    members. Former members (``leftAt`` set) are left out: a member is in one group at a time."""

    group_id: str
    name: str
    members: tuple[GroupMember, ...] = ()
