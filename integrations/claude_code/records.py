"""Claude Code records parsed tolerantly into frozen dataclasses (docs/claude-code-api.md §3–§5).

Each ``parse_*`` returns a record, or None for a malformed row, which the caller skips and
counts: one bad row never loses the rest of a page. Unknown extra fields are ignored; an
unknown tool in ``tool_actions`` is kept (the map is open, §3.2). Cents are exact: integers from
the Console report, decimal strings from the Enterprise API parsed with ``Decimal``, never a float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

USER_ACTOR = "user_actor"
API_ACTOR = "api_actor"


@dataclass(frozen=True)
class ModelUsage:
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    cost_cents: Decimal = Decimal(0)
    requests: int | None = None


@dataclass(frozen=True)
class ActorDay:
    """One actor's Claude Code day (one row per actor, ``is_remote`` and terminal)."""

    day: date
    actor_type: str  # USER_ACTOR | API_ACTOR
    email: str  # lowercase; "" for an API-key actor
    api_key_name: str  # "" for a user actor
    is_remote: bool = False
    terminal_type: str = ""
    customer_type: str = ""
    subscription_type: str = ""
    sessions: int | None = 0
    lines_added: int = 0
    lines_removed: int = 0
    commits: int = 0
    pull_requests: int = 0
    tool_actions: dict[str, tuple[int, int]] = field(default_factory=dict)  # tool → (accepted, rejected)
    models: tuple[ModelUsage, ...] = ()

    @property
    def actor_key(self) -> str:
        return f"user:{self.email}" if self.actor_type == USER_ACTOR else f"api:{self.api_key_name}"


@dataclass(frozen=True)
class RosterUser:
    user_id: str
    email: str
    name: str = ""
    role: str = ""
    added_at: datetime | None = None


@dataclass(frozen=True)
class UserCost:
    """One Enterprise per-user row of ``user_cost_report`` / ``user_usage_report`` for a day and
    model: cost (exact cents) or tokens, whichever the report carries."""

    day: date
    user_id: str
    email: str
    name: str
    model: str
    cost_cents: Decimal | None = None
    list_cost_cents: Decimal | None = None
    requests: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None


class Malformed(ValueError):
    pass


def _int(value, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed(f"not an integer: {type(value).__name__}")
    if value < 0:
        raise Malformed("negative count")
    return value


def _int_or_zero(value) -> int:
    return 0 if value is None else _int(value)


def _str(value, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Malformed("missing string")
    return value.strip()


def _obj(value, *, required: bool = True) -> dict:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise Malformed("not an object")
    return value


def parse_day(value) -> date:
    """``2025-08-08T00:00:00Z`` (the report's RFC 3339 midnight) or ``2025-08-08``."""
    text = _str(value)
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise Malformed("bad date") from None


def parse_cents(value) -> Decimal:
    """Exact cents: an integer (Console) or a decimal string (Enterprise, "41280.000000")."""
    if isinstance(value, bool):
        raise Malformed("bad amount")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise Malformed("bad amount") from None
        if not amount.is_finite():
            raise Malformed("bad amount")
        return amount
    if isinstance(value, float):  # not documented; exact from its shortest repr, never binary noise
        return Decimal(repr(value))
    raise Malformed("bad amount")


def _actor(value) -> tuple[str, str, str]:
    actor = _obj(value)
    kind = actor.get("type")
    if kind == USER_ACTOR:
        email = _str(actor.get("email_address")).lower()
        if "@" not in email:
            raise Malformed("bad email")
        return USER_ACTOR, email, ""
    if kind == API_ACTOR:
        return API_ACTOR, "", _str(actor.get("api_key_name"))
    raise Malformed("unknown actor type")


def _models(value) -> tuple[ModelUsage, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Malformed("model_breakdown is not a list")
    out = []
    for item in value:
        item = _obj(item)
        tokens = _obj(item.get("tokens"), required=False)
        cost = _obj(item.get("estimated_cost"), required=False)
        currency = cost.get("currency", "USD")
        if currency not in (None, "USD"):
            raise Malformed("unexpected currency")
        out.append(
            ModelUsage(
                model=_str(item.get("model")),
                input_tokens=_int_or_zero(tokens.get("input")),
                output_tokens=_int_or_zero(tokens.get("output")),
                cache_read_tokens=_int_or_zero(tokens.get("cache_read")),
                cache_creation_tokens=_int_or_zero(tokens.get("cache_creation")),
                cost_cents=parse_cents(cost.get("amount", 0)),
            )
        )
    return tuple(out)


def _tool_actions(value, accepted_key: str, rejected_key: str) -> dict[str, tuple[int, int]]:
    actions = _obj(value, required=False)
    out = {}
    for tool, counts in actions.items():
        counts = _obj(counts)
        out[str(tool)] = (_int_or_zero(counts.get(accepted_key)), _int_or_zero(counts.get(rejected_key)))
    return out


def parse_console_row(row) -> ActorDay | None:
    """One record of ``GET /v1/organizations/usage_report/claude_code`` (§3.2), or None."""
    try:
        row = _obj(row)
        actor_type, email, key_name = _actor(row.get("actor"))
        core = _obj(row.get("core_metrics"))
        lines = _obj(core.get("lines_of_code"), required=False)
        is_remote = row.get("is_remote", False)
        if is_remote is None:
            is_remote = False
        if not isinstance(is_remote, bool):
            raise Malformed("is_remote is not a boolean")
        return ActorDay(
            day=parse_day(row.get("date")),
            actor_type=actor_type,
            email=email,
            api_key_name=key_name,
            is_remote=is_remote,
            terminal_type=_str(row.get("terminal_type"), required=False)[:100],
            customer_type=_str(row.get("customer_type"), required=False)[:20],
            subscription_type=_str(row.get("subscription_type"), required=False)[:20],
            sessions=_int_or_zero(core.get("num_sessions")),
            lines_added=_int_or_zero(lines.get("added")),
            lines_removed=_int_or_zero(lines.get("removed")),
            commits=_int_or_zero(core.get("commits_by_claude_code")),
            pull_requests=_int_or_zero(core.get("pull_requests_by_claude_code")),
            tool_actions=_tool_actions(row.get("tool_actions"), "accepted", "rejected"),
            models=_models(row.get("model_breakdown")),
        )
    except (Malformed, AttributeError, TypeError):
        return None


def parse_enterprise_user_row(row, day: date) -> ActorDay | None:
    """One row of ``GET /v1/organizations/analytics/users?date=…`` (§5.4), its Claude Code
    block only, or None. Enterprise seats: ``customer_type`` "subscription"."""
    try:
        row = _obj(row)
        user = _obj(row.get("user"))
        email = _str(user.get("email_address")).lower()
        if "@" not in email:
            raise Malformed("bad email")
        metrics = _obj(row.get("claude_code_metrics"), required=False)
        core = _obj(metrics.get("core_metrics"), required=False)
        lines = _obj(core.get("lines_of_code"), required=False)
        return ActorDay(
            day=day,
            actor_type=USER_ACTOR,
            email=email,
            api_key_name="",
            customer_type="subscription",
            subscription_type="enterprise",
            sessions=_int(core.get("distinct_session_count"), optional=True),
            lines_added=_int_or_zero(lines.get("added_count")),
            lines_removed=_int_or_zero(lines.get("removed_count")),
            commits=_int_or_zero(core.get("commit_count")),
            pull_requests=_int_or_zero(core.get("pull_request_count")),
            tool_actions=_tool_actions(metrics.get("tool_actions"), "accepted_count", "rejected_count"),
        )
    except (Malformed, AttributeError, TypeError):
        return None


def parse_roster_user(row) -> RosterUser | None:
    """One user of ``GET /v1/organizations/users`` (§4.1), or None."""
    try:
        row = _obj(row)
        email = _str(row.get("email")).lower()
        if "@" not in email:
            raise Malformed("bad email")
        added = row.get("added_at")
        added_at = None
        if isinstance(added, str):
            try:
                added_at = datetime.fromisoformat(added.replace("Z", "+00:00"))
            except ValueError:
                added_at = None
        return RosterUser(
            user_id=_str(row.get("id")),
            email=email,
            name=_str(row.get("name"), required=False)[:200],
            role=_str(row.get("role"), required=False)[:40],
            added_at=added_at,
        )
    except (Malformed, AttributeError, TypeError):
        return None


def _user_actor(row) -> tuple[str, str, str]:
    actor = _obj(row.get("actor"))
    user_id = _str(actor.get("user_id"))
    email = actor.get("email")
    email = email.strip().lower() if isinstance(email, str) else ""  # null for a deleted account
    return user_id, email, _str(actor.get("name"), required=False)[:200]


def parse_user_cost_row(row) -> UserCost | None:
    """One row of ``user_cost_report`` with ``bucket_width=1d&group_by[]=model`` (§5.5)."""
    try:
        row = _obj(row)
        user_id, email, name = _user_actor(row)
        if row.get("currency", "USD") not in (None, "USD"):
            raise Malformed("unexpected currency")
        list_amount = row.get("list_amount")
        return UserCost(
            day=parse_day(row.get("starting_at")),
            user_id=user_id,
            email=email,
            name=name,
            model=_str(row.get("model"), required=False) or "unknown",
            cost_cents=parse_cents(row.get("amount")),
            list_cost_cents=parse_cents(list_amount) if list_amount is not None else None,
            requests=_int(row.get("requests"), optional=True),
        )
    except (Malformed, AttributeError, TypeError):
        return None


def parse_user_usage_row(row) -> UserCost | None:
    """One row of ``user_usage_report`` with ``bucket_width=1d&group_by[]=model`` (§5.5)."""
    try:
        row = _obj(row)
        user_id, email, name = _user_actor(row)
        creation = _obj(row.get("cache_creation"), required=False)
        return UserCost(
            day=parse_day(row.get("starting_at")),
            user_id=user_id,
            email=email,
            name=name,
            model=_str(row.get("model"), required=False) or "unknown",
            requests=_int(row.get("requests"), optional=True),
            input_tokens=_int_or_zero(row.get("uncached_input_tokens")),
            output_tokens=_int_or_zero(row.get("output_tokens")),
            cache_read_tokens=_int_or_zero(row.get("cache_read_input_tokens")),
            cache_creation_tokens=_int_or_zero(creation.get("ephemeral_1h_input_tokens"))
            + _int_or_zero(creation.get("ephemeral_5m_input_tokens")),
        )
    except (Malformed, AttributeError, TypeError):
        return None
