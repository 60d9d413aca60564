"""One simulated Anthropic organization (Console or Claude Enterprise): keys, people, sessions,
switches and the ground-truth views the tests compare a sync with."""

from __future__ import annotations

import random
import secrets
import string
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from .faults import Faults
from .generate import Session, chat_day, late_sessions, person_day
from .roster import Person, build_people
from .util import epoch_s

_ALNUM = string.ascii_letters + string.digits + "-_"
ALL_ENTERPRISE_SCOPES = (
    "read:members write:members read:rbac_groups write:rbac_groups read:spend_limits "
    "write:spend_limits read:analytics read:compliance_activities read:compliance_user_data "
    "delete:compliance_user_data read:compliance_org_data read:org_audit"
).split()


def _secret(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(86)) + "AA"


def generate_admin_key() -> str:
    return _secret("sk-ant-admin01-")


def generate_api_key() -> str:
    return _secret("sk-ant-api03-")


def generate_enterprise_key() -> str:
    return _secret("sk-ant-api01-")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """kind: "admin" (Console Admin key), "api" (a standard, non-admin Console key) or
    "enterprise" (a claude.ai Enterprise key with `scopes`)."""

    kind: str
    scopes: tuple[str, ...] = ()


class SimOrg:
    """An organization served by a ClaudeCodeSimulator. Ground-truth methods return exactly what
    the API serves at the org's `now`."""

    def __init__(
        self,
        *,
        kind: str,
        org_number: int,
        seed: int = 1,
        users: int = 20,
        days: int = 90,
        now: datetime,
        cursor_seats: int | None = None,
        shared_fraction: float = 0.7,
        api_actors: int = 2,
    ):
        if kind not in ("console", "enterprise"):
            raise ValueError("kind must be 'console' or 'enterprise'")
        if users < 1 or days < 1:
            raise ValueError("users and days must be positive")
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.kind = kind
        self.org_number = org_number
        self.seed = seed
        self.users = users
        self.days = days
        self._now = now.astimezone(UTC)
        rng = random.Random(f"org:{seed}:{kind}:{org_number}")
        if kind == "console":
            self.organization_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        else:
            self.organization_id = "org_01" + "".join(
                rng.choice(string.ascii_letters + string.digits) for _ in range(22)
            )
        self.people: list[Person] = build_people(
            seed=seed,
            users=users,
            anchor=self._now.date(),
            days=days,
            kind=kind,
            cursor_seats=cursor_seats,
            shared_fraction=shared_fraction,
            api_actors=api_actors if kind == "console" else 0,
        )
        self._by_email = {p.email.lower(): p for p in self.people if p.email}
        self._by_user_id = {p.user_id: p for p in self.people if p.user_id}
        self.keys: dict[str, ApiKey] = {}
        self.admin_key: str | None = None
        self.api_key: str | None = None
        self.enterprise_key: str | None = None

        # -- switches (see the package docstring) --
        # Console report (docs/claude-code-api.md §3, §6, §7)
        self.serve_subscription_rows = False  # §3.4: every public report says they are missing
        self.split_by_terminal = False  # §7.4: one row per (actor, is_remote) unless True
        self.serve_is_remote = True  # False: the pre-2026 shape (no field, no remote rows)
        self.omit_null_subscription_type = False  # True: `subscription_type` absent instead of null
        self.extra_tool_names: tuple[str, ...] = ()  # open `tool_actions` map: e.g. ("bash_tool",)
        self.freshness_seconds = 3600  # only data older than 1 hour is included
        self.console_earliest_day: date | None = None  # §7.2 undocumented: None = the data window
        self.accept_ending_at = False  # §3.1: only a third-party OpenAPI lists `ending_at`
        self.fractional_estimated_cost = False  # §3.2: "number (integer in examples)"
        # Enterprise (§5.3-§5.6); DOC values by default, SUP alternatives in comments
        self.engagement_lag_hours = 34  # day N available at 10:00 UTC on N+1; SUP: 34 + 72
        self.engagement_max_span_days = 366  # SUP: 90
        self.engagement_lookback_days: int | None = None  # SUP: 90 ("up to the past 90 days")
        self.users_default_limit = 100  # SUP: 20
        self.users_include_inactive = False  # §7.5 undocumented: True adds zero rows for every seat
        self.earliest_enterprise_day = date(2026, 1, 1)
        self.cost_lag_seconds = 4 * 3600  # cost/usage available in ~4 h
        self.cost_max_age_days = 365
        self.cost_max_span_days = 31
        self.api_access_enabled = True  # the primary owner's toggle; off: every Analytics call fails
        self.api_disabled_status = 403  # §7.6: the status when the toggle is off is not documented
        # HTTP
        self.rate_limits: bool | None = None  # None: follow the simulator
        self.limits: dict | None = None  # per-org overrides of the simulator's limits
        self.faults = Faults()
        self.request_log: list[tuple] = []  # (monotonic time, path, query string, status)
        self.cursor_generation = 0  # bump (expire_cursors) to make Enterprise cursors answer 410

        self._lock = threading.RLock()
        self._base: dict[date, dict[int, list[Session]]] = {}
        self._chat: dict[date, dict[int, Session]] = {}
        self._revisions: dict[date, list[tuple[int, list[Session]]]] = {}
        self._revision_count = 0
        self._memo: OrderedDict = OrderedDict()  # recent served lists, see memo()

    # -- keys ---------------------------------------------------------------------------------------

    def add_key(self, kind: str, key: str | None = None, scopes=None) -> str:
        """Register another key for this org: "admin", "api" (non-admin) or "enterprise" (scopes,
        default read:analytics and read:members). Returns the key."""
        if kind not in ("admin", "api", "enterprise"):
            raise ValueError("kind must be admin, api or enterprise")
        if kind == "enterprise" and self.kind != "enterprise":
            raise ValueError("Enterprise keys belong to Claude Enterprise orgs")
        if kind in ("admin", "api") and self.kind != "console":
            raise ValueError("Admin and standard keys belong to Console orgs")
        prefixes = {"admin": "sk-ant-admin01-", "api": "sk-ant-api03-", "enterprise": "sk-ant-api01-"}
        if key is None:
            key = _secret(prefixes[kind])
        elif not key.startswith(prefixes[kind]):
            raise ValueError(f"a {kind} key starts with {prefixes[kind]}")
        if kind == "enterprise":
            scopes = tuple(scopes if scopes is not None else ("read:analytics", "read:members"))
            unknown = set(scopes) - set(ALL_ENTERPRISE_SCOPES)
            if unknown:
                raise ValueError(f"unknown scopes: {sorted(unknown)}")
        else:
            scopes = ()
        self.keys[key] = ApiKey(kind, scopes)
        return key

    def revoke_key(self, key: str) -> None:
        """The key stops working (401 authentication_error), as when revoked in the Console."""
        self.keys.pop(key, None)

    # -- time ---------------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self._now

    @now.setter
    def now(self, value: datetime) -> None:
        """Move the org's clock (e.g. forward to the next sync). The people stay fixed."""
        if value.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self._now = value.astimezone(UTC)

    @property
    def now_s(self) -> int:
        return epoch_s(self._now)

    @property
    def first_day(self) -> date:
        """Oldest day with data: `days` calendar days including today."""
        return self._now.date() - timedelta(days=self.days - 1)

    # -- people -------------------------------------------------------------------------------------

    def person(self, ref: str) -> Person | None:
        """By email, `user_…` id or API-key name."""
        if ref.startswith("user_"):
            return self._by_user_id.get(ref)
        found = self._by_email.get(ref.lower())
        if found is not None:
            return found
        return next((p for p in self.people if p.api_key_name == ref), None)

    @property
    def listed_people(self) -> list[Person]:
        return [p for p in self.people if p.listed]

    def shared_emails(self) -> list[str]:
        """Emails this org shares with a Cursor team of the same seed (and seats = cursor_seats)."""
        return [p.email for p in self.people if p.cursor_index is not None]

    # -- sessions -----------------------------------------------------------------------------------

    def _base_day(self, day: date) -> dict[int, list[Session]]:
        cached = self._base.get(day)
        if cached is None:
            with self._lock:
                cached = self._base.get(day)
                if cached is None:
                    cached = {}
                    for person in self.people:
                        sessions = person_day(self.seed, person, day)
                        if sessions:
                            cached[person.index] = sessions
                    self._base[day] = cached
        return cached

    def sessions(self, day: date, person: Person) -> list[Session]:
        """Every Claude Code session of the person that day, visible or not yet, revisions included."""
        if day < self.first_day:
            return []
        out = list(self._base_day(day).get(person.index, ()))
        for index, extra in self._revisions.get(day, ()):
            if index == person.index:
                out.extend(extra)
        return out

    def chat(self, day: date, person: Person) -> Session | None:
        if day < self.first_day or self.kind != "enterprise":
            return None
        cached = self._chat.get(day)
        if cached is None:
            with self._lock:
                cached = {}
                for p in self.people:
                    session = chat_day(self.seed, p, day)
                    if session is not None:
                        cached[p.index] = session
                self._chat[day] = cached
        return cached.get(person.index)

    def revise_day(self, day: date) -> list[str]:
        """Anthropic revises a past day: 1-3 people get late sessions that day, visible from the
        org's current `now` on. Returns the actor labels revised."""
        with self._lock:
            revision = len(self._revisions.get(day, ())) + 1
            rng = random.Random(f"revise:{self.seed}:{day.toordinal()}:{revision}")
            candidates = [p for p in self.people if p.can_be_active(day)]
            if self.kind == "console" and not self.serve_subscription_rows:
                candidates = [p for p in candidates if p.customer_type == "api"]
            if not candidates or day < self.first_day:
                return []
            picked = rng.sample(candidates, min(len(candidates), 1 + rng.randrange(3)))
            labels = []
            for person in picked:
                extra = late_sessions(self.seed, person, day, revision)
                for session in extra:
                    session.visible_s = self.now_s - self.freshness_seconds - self.cost_lag_seconds
                self._revisions.setdefault(day, []).append((person.index, extra))
                labels.append(person.actor_label)
            self._revision_count += 1
            return labels

    def switches(self) -> tuple:
        """Every setting that changes what the report endpoints serve (part of memo keys)."""
        return (
            self.serve_subscription_rows,
            self.split_by_terminal,
            self.serve_is_remote,
            self.omit_null_subscription_type,
            tuple(self.extra_tool_names),
            self.fractional_estimated_cost,
            self.freshness_seconds,
            self.users_include_inactive,
            self.cost_lag_seconds,
            self._revision_count,
        )

    def memo(self, key: tuple, build):
        """The list `build()` returns, kept for the same key among the last 64: every page of a
        pagination session reads the same full list, so it is built once, not once per page."""
        key = key + self.switches()
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
        value = build()
        with self._lock:
            self._memo[key] = value
            while len(self._memo) > 64:
                self._memo.popitem(last=False)
        return value

    def expire_cursors(self) -> None:
        """A data refresh: every Enterprise cursor issued so far answers 410 (§5.6)."""
        self.cursor_generation += 1

    def warm(self, start: date | None = None, end: date | None = None) -> None:
        """Generate days now instead of on first request."""
        day = start or self.first_day
        end = end or self._now.date()
        while day <= end:
            self._base_day(day)
            if self.kind == "enterprise" and self.people:
                self.chat(day, self.people[0])
            day += timedelta(days=1)

    # -- ground truth: Console ----------------------------------------------------------------------

    def report_rows(self, day: date, as_of: datetime | None = None) -> list[dict]:
        """Every `/usage_report/claude_code` record for the UTC day, all pages, in served order."""
        from .console_api import report_rows_for

        return report_rows_for(self, day, epoch_s(as_of) if as_of else self.now_s)

    def actor_day(self, actor: str, day: date) -> dict | None:
        """Served totals of one actor (email or API-key name) for the day, local and remote rows
        summed: sessions, lines_added, lines_removed, commits, pull_requests,
        tool_actions {tool: [accepted, rejected]}, models {model: {input, output, cache_read,
        cache_creation, cost_cents}}, cost_cents. None when the actor has no row that day."""
        from .console_api import merge_rows

        rows = [r for r in self.report_rows(day) if _actor_of(r) == actor]
        return merge_rows(rows) if rows else None

    def model_day(self, actor: str, day: date, model: str) -> dict | None:
        totals = self.actor_day(actor, day)
        return totals["models"].get(model) if totals else None

    def users_list(self) -> list[dict]:
        """`/v1/organizations/users` rows in served order (all pages)."""
        from .console_api import users_rows

        return users_rows(self)

    def missing_from_usage(self, start: date, end: date) -> list[str]:
        """Emails of listed users who never appear in the Console report over start..end (the
        subscription-seat gap, plus people who simply did not use Claude Code)."""
        seen = set()
        day = start
        while day <= end:
            seen |= {_actor_of(r) for r in self.report_rows(day)}
            day += timedelta(days=1)
        return [p.email for p in self.listed_people if p.email not in seen]

    # -- ground truth: Enterprise -------------------------------------------------------------------

    def engagement_rows(self, start: date, end_exclusive: date) -> list[dict]:
        """`/analytics/users` rows over [start, end_exclusive), all pages, sorted by email."""
        from .enterprise_api import engagement_rows_for

        return engagement_rows_for(self, start, end_exclusive)

    def cost_rows(self, starting_at: datetime, ending_at: datetime, **options) -> list[dict]:
        """`/analytics/user_cost_report` rows, all pages; options: bucket_width ("1d" or None),
        products, models, user_ids, group_by (model, product)."""
        from .enterprise_api import report_rows

        return report_rows(self, "cost", starting_at, ending_at, **options)

    def usage_rows(self, starting_at: datetime, ending_at: datetime, **options) -> list[dict]:
        """`/analytics/user_usage_report` rows, all pages (same options as cost_rows)."""
        from .enterprise_api import report_rows

        return report_rows(self, "usage", starting_at, ending_at, **options)


def _actor_of(row: dict) -> str | None:
    actor = row.get("actor") or {}
    return actor.get("email_address") or actor.get("api_key_name")
