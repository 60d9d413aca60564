"""The organization's people, drawn from the Cursor simulator's roster so emails match.

`build_people(seed, users, anchor, days, cursor_seats)` draws the Cursor roster of
`simulators.cursor.roster.build_roster(seed, cursor_seats, ...)` (emails depend on seed and seats
only), takes a deterministic ~70% of its current members as shared people (same email and name
as in a Cursor team built with that seed and seat count) and adds Claude-only people on the same
domain. A few API keys act as actors too; they are not people and never appear in the users list.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta

from ..cursor.roster import FIRST_NAMES, LAST_NAMES, build_roster, team_domain
from .util import midnight, rfc3339

_ALNUM = string.ascii_letters + string.digits
CONSOLE_ROLES = ("user", "developer", "claude_code_user")
ENTERPRISE_ROLES = ("user", "user", "managed")
TERMINALS = ("vscode", "iTerm.app", "tmux", "cursor", "Apple_Terminal", "jetbrains")
API_KEY_NAMES = ("ci-review-bot", "nightly-refactor", "docs-bot", "release-notes-bot", "triage-agent")
MODEL_FAMILIES = ("sonnet", "opus", "haiku")


@dataclass(frozen=True, slots=True)
class Person:
    """A user actor (email) or an API-key actor (api_key_name, no email, not in the users list)."""

    index: int
    user_id: str | None
    email: str | None
    name: str
    api_key_name: str | None
    role: str
    added_at: str  # RFC 3339
    listed: bool  # in the users list (False: an ex-member, or an API key)
    customer_type: str  # "api" | "subscription"
    subscription_type: str | None  # None | "team" | "enterprise"
    uses_claude_code: bool
    join_day: date
    leave_day: date | None
    idle_from: date | None
    level: float
    weekday_p: float
    weekend_p: float
    remote_p: float
    terminals: tuple[str, ...]
    family_weights: tuple[int, int, int]  # sonnet, opus, haiku
    start_hour: float
    chat_p: float  # Enterprise only: chance of chat use on an active day
    cursor_index: int | None  # index in the Cursor roster when shared

    @property
    def is_api_key(self) -> bool:
        return self.api_key_name is not None

    @property
    def actor_label(self) -> str:
        return self.email if self.email is not None else f"API key: {self.api_key_name}"

    def member_on(self, day: date) -> bool:
        return self.join_day <= day and (self.leave_day is None or day <= self.leave_day)

    def can_be_active(self, day: date) -> bool:
        return (
            self.uses_claude_code and self.member_on(day) and (self.idle_from is None or day < self.idle_from)
        )


def _user_id(rng: random.Random, used: set[str]) -> str:
    while True:
        value = "user_01" + "".join(rng.choice(_ALNUM) for _ in range(22))
        if value not in used:
            used.add(value)
            return value


def build_people(
    *,
    seed: int,
    users: int,
    anchor: date,
    days: int,
    kind: str,
    cursor_seats: int | None = None,
    shared_fraction: float = 0.7,
    api_actors: int = 2,
    subscription_fraction: float = 0.15,
) -> list[Person]:
    """`users` listed people (shared with Cursor first, then Claude-only), one unlisted ex-member
    (usage only, when users >= 5) and `api_actors` API-key actors (Console only)."""
    # Not keyed by kind: a company's Console and Enterprise orgs of one seed hold the same people.
    rng = random.Random(f"claude-people:{seed}:{users}")
    cursor_seats = cursor_seats or users
    cursor_roster = build_roster(seed, cursor_seats, anchor, days)
    pool = [m for m in cursor_roster if m.listed and not m.is_removed]
    rng.shuffle(pool)
    n_shared = min(len(pool), round(users * shared_fraction))
    shared = sorted(pool[:n_shared], key=lambda m: m.index)
    domain = team_domain(seed)
    used_emails = {m.email for m in cursor_roster}
    used_ids: set[str] = set()
    window_start = anchor - timedelta(days=days - 1)

    identities: list[tuple[str, str, int | None, date]] = []  # email, name, cursor index, join day
    for member in shared:
        identities.append((member.email, member.name, member.index, member.join_day))
    n_ex = 1 if users >= 5 else 0
    while len(identities) < users + n_ex:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local, n = f"{first}.{last}", 2
        while f"{local}@{domain}" in used_emails:
            local, n = f"{first}.{last}{n}", n + 1
        email = f"{local}@{domain}"
        used_emails.add(email)
        identities.append(
            (
                email,
                f"{first.title()} {last.title()}",
                None,
                window_start - timedelta(days=rng.randint(1, 400)),
            )
        )

    people: list[Person] = []
    n_idle = max(1, users // 12) if users >= 6 else 0
    idle = set(rng.sample(range(1, users), n_idle)) if n_idle else set()
    never = (
        set(rng.sample(sorted(set(range(1, users)) - idle), max(0, users // 20))) if users >= 10 else set()
    )
    # Subscription-seat users (Console): chosen among active people, so the gap is visible.
    eligible = sorted(set(range(3, users)) - idle - never)
    n_subs = min(len(eligible), round(users * subscription_fraction)) if users >= 5 else 0
    subscribers = set(rng.sample(eligible, n_subs))
    roles = ENTERPRISE_ROLES if kind == "enterprise" else CONSOLE_ROLES
    for index, (email, name, cursor_index, join_day) in enumerate(identities):
        listed = index < users
        if index == 0:
            role = "primary_owner" if kind == "enterprise" else "admin"
        elif index in (1, 2) and users >= 6:
            role = "owner" if kind == "enterprise" else "admin"
        else:
            role = rng.choice(roles)
        if kind == "console" and index in subscribers:
            customer_type, subscription_type = "subscription", rng.choice(("team", "enterprise"))
        else:
            customer_type, subscription_type = "api", None
        if kind == "enterprise":
            customer_type, subscription_type = "subscription", "enterprise"
        leave_day = None
        if not listed:
            leave_day = window_start + timedelta(days=rng.randint(0, max(0, days // 2)))
        idle_from = anchor - timedelta(days=rng.randint(10, 40)) if index in idle else None
        heavy = rng.random() < 0.08
        added = midnight(join_day) + timedelta(
            seconds=rng.randrange(86_400), microseconds=rng.randrange(1_000_000)
        )
        people.append(
            Person(
                index=index,
                user_id=_user_id(rng, used_ids),
                email=email,
                name=name,
                api_key_name=None,
                role=role,
                added_at=rfc3339(added)[:-1] + f".{added.microsecond:06d}Z",
                listed=listed,
                customer_type=customer_type,
                subscription_type=subscription_type,
                uses_claude_code=index not in never,
                join_day=join_day,
                leave_day=leave_day,
                idle_from=idle_from,
                level=rng.uniform(2.0, 3.5) if heavy else rng.uniform(0.4, 1.3),
                weekday_p=0.95 if heavy else rng.uniform(0.45, 0.9),
                weekend_p=0.4 if heavy else rng.uniform(0.0, 0.15),
                remote_p=rng.choice((0.0, 0.0, 0.1, 0.3)),
                terminals=tuple(rng.sample(TERMINALS, 2)),
                family_weights=(rng.randint(40, 90), rng.randint(0, 40), rng.randint(0, 20)),
                start_hour=rng.choice((1.0, 6.5, 7.0, 8.0, 13.0, 14.0, 15.0)),
                chat_p=rng.uniform(0.3, 0.9),
                cursor_index=cursor_index,
            )
        )
    if kind == "console":
        for n in range(api_actors):
            key_name = API_KEY_NAMES[n % len(API_KEY_NAMES)] + ("" if n < len(API_KEY_NAMES) else f"-{n}")
            people.append(
                Person(
                    index=len(people),
                    user_id=None,
                    email=None,
                    name=key_name,
                    api_key_name=key_name,
                    role="",
                    added_at=rfc3339(midnight(window_start)),
                    listed=False,
                    customer_type="api",
                    subscription_type=None,
                    uses_claude_code=True,
                    join_day=window_start - timedelta(days=30),
                    leave_day=None,
                    idle_from=None,
                    level=rng.uniform(0.8, 1.6),
                    weekday_p=0.9,
                    weekend_p=0.6,
                    remote_p=1.0 if n == 0 else 0.0,
                    terminals=("vscode",) if n else ("tmux",),
                    family_weights=(80, 5, 15),
                    start_hour=2.0,
                    chat_p=0.0,
                    cursor_index=None,
                )
            )
    return people
