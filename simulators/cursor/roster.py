"""The simulated team's people: who is listed, who left, who is idle, who is heavy.

The roster is drawn once per team from (seed, seats, days, creation day). Per-day activity is drawn
later from (seed, member index, day), so a day's data never depends on when it is generated.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta

FIRST_NAMES = (
    "ada alan alice amir ana ben bea carla chen chloe dan dara david elena eli emma farah felix "
    "grace hana hugo ines ivan jack jade james jonas julia kai kenji lara leo lina lucas maya mei "
    "mia nadia nina noah omar olga oscar paula pedro priya quinn rahul rosa ruth sam sara sofia "
    "tariq theo uma victor wen xavier yara yusuf zoe"
).split()
LAST_NAMES = (
    "adams ahmed alvarez baker berg brown chen costa cruz das diaz evans fischer garcia gupta "
    "hansen hill ito jensen kim klein kowalski lee lopez martin meyer moreau mueller nakamura "
    "nguyen novak okafor olsen park patel perez petrov quinn rossi sato schmidt silva singh "
    "smith tanaka taylor torres usman varga wagner walsh wang weber wilson yamada young zhang"
).split()
COMPANY_WORDS = (
    "acme globex initech umbrella hooli vandelay soylent stark wayne wonka tyrell cyberdyne "
    "oscorp gringotts monarch aperture"
).split()

# Model preferences: (model, weight). Each member gets a personal shuffle of these weights.
MODEL_WEIGHTS = (
    ("claude-4.5-sonnet", 30),
    ("gpt-5", 18),
    ("composer-1", 18),
    ("auto", 16),
    ("gemini-2.5-pro", 8),
    ("claude-4.1-opus", 4),
    ("gpt-5-codex", 6),
)
EXTENSIONS = (
    ".ts",
    ".tsx",
    ".py",
    ".go",
    ".js",
    ".java",
    ".rb",
    ".rs",
    ".sql",
    ".md",
    ".css",
    ".kt",
)
CLIENT_VERSIONS = ("1.7.54", "2.0.43", "2.0.77", "2.1.20", "2.1.46", "2.2.14")

_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class Member:
    index: int
    user_id: str  # "user_…" id, as the current API shapes have it
    numeric_id: int  # numeric id of the older API shapes (served with legacy_shapes)
    name: str
    email: str
    role: str
    listed: bool  # False for ex-members: they appear in usage data but not in /teams/members
    is_removed: bool
    join_day: date
    leave_day: date | None  # last day of membership, inclusive
    idle_from: date | None  # no activity from this day on
    level: float  # activity multiplier (heavy users > 2)
    weekday_p: float
    weekend_p: float
    work_start_hour: float  # UTC hour their working day starts
    model_cum: tuple[tuple[int, str], ...]  # cumulative weights for bisect-free selection
    model_total: int
    usage_based_p: float
    api_key_p: float
    headless_p: float
    uses_cli: bool
    extensions: tuple[str, ...]
    version_index: int
    monthly_limit_dollars: int | None
    hard_limit_override_dollars: int

    # Last day the member can have any activity (idle or left), or None.
    @property
    def last_active_day(self) -> date | None:
        ends = [
            d
            for d in (
                self.leave_day,
                self.idle_from - timedelta(days=1) if self.idle_from else None,
            )
            if d
        ]
        return min(ends) if ends else None

    def member_on(self, day: date) -> bool:
        return self.join_day <= day and (self.leave_day is None or day <= self.leave_day)

    def can_be_active(self, day: date) -> bool:
        return self.member_on(day) and (self.idle_from is None or day < self.idle_from)


def _pick_count(seats: int, fraction: float, minimum_seats: int) -> int:
    if seats < minimum_seats:
        return 0
    return max(1, round(seats * fraction))


def team_domain(seed: int) -> str:
    rng = random.Random(f"domain:{seed}")
    return f"{rng.choice(COMPANY_WORDS)}{seed}.example.com"


def build_roster(seed: int, seats: int, anchor: date, days: int) -> list[Member]:
    """`seats` listed members (a few removed) followed by a couple of unlisted ex-members."""
    rng = random.Random(f"roster:{seed}:{seats}")
    domain = team_domain(seed)
    window_start = anchor - timedelta(days=days - 1)
    n_ex = 2 if seats >= 5 else 0
    total = seats + n_ex

    # Choose special people among the non-owner listed seats.
    others = list(range(1, seats))
    rng.shuffle(others)
    n_removed = _pick_count(seats, 0.05, 8)
    n_idle = _pick_count(seats, 0.08, 6)
    n_heavy = _pick_count(seats, 0.06, 4)
    n_late = _pick_count(seats, 0.06, 12)
    removed = set(others[:n_removed])
    idle = set(others[n_removed : n_removed + n_idle])
    heavy = set(others[n_removed + n_idle : n_removed + n_idle + n_heavy])
    late = set(others[n_removed + n_idle + n_heavy : n_removed + n_idle + n_heavy + n_late])
    admins = {i for i in others[-2:]} if seats >= 6 else set()

    used_emails: set[str] = set()
    used_ids: set[str] = set()
    members: list[Member] = []
    for index in range(total):
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        local = f"{first}.{last}"
        n = 2
        while f"{local}@{domain}" in used_emails:
            local = f"{first}.{last}{n}"
            n += 1
        email = f"{local}@{domain}"
        used_emails.add(email)
        user_id = "user_" + "".join(rng.choice(_ALNUM) for _ in range(24))
        while user_id in used_ids:
            user_id = "user_" + "".join(rng.choice(_ALNUM) for _ in range(24))
        used_ids.add(user_id)

        listed = index < seats
        is_removed = index in removed
        join_day = window_start - timedelta(days=rng.randint(1, 500))
        if index in late and days > 3:
            join_day = window_start + timedelta(days=rng.randint(1, days - 1))
        leave_day = None
        if is_removed and days > 4:
            leave_day = window_start + timedelta(days=rng.randint(2, days - 2))
        elif is_removed:
            leave_day = window_start
        if not listed:  # ex-member: left during the first half of the window
            leave_day = window_start + timedelta(days=rng.randint(0, max(0, days // 2)))
        idle_from = None
        if index in idle:
            idle_from = anchor - timedelta(days=rng.randint(14, 45))

        level = rng.uniform(2.5, 4.0) if index in heavy else rng.uniform(0.5, 1.3)
        weights = [max(1, int(w * rng.uniform(0.2, 2.0))) for _, w in MODEL_WEIGHTS]
        cum = []
        acc = 0
        for (model, _), w in zip(MODEL_WEIGHTS, weights, strict=True):
            acc += w
            cum.append((acc, model))
        exts = tuple(rng.sample(EXTENSIONS, 3))
        monthly_limit = rng.choice((None, None, None, None, 100, 200, 500))
        hard_override = rng.choice((0,) * 12 + (300,))
        members.append(
            Member(
                index=index,
                user_id=user_id,
                numeric_id=100_000 + seed % 1000 * 1000 + index,
                name=f"{first.title()} {last.title()}",
                email=email,
                role="owner" if index == 0 else ("admin" if index in admins else "member"),
                listed=listed,
                is_removed=is_removed,
                join_day=join_day,
                leave_day=leave_day,
                idle_from=idle_from,
                level=level,
                weekday_p=0.95 if index in heavy else rng.uniform(0.6, 0.92),
                weekend_p=0.5 if index in heavy else rng.uniform(0.02, 0.2),
                work_start_hour=rng.choice((1.0, 6.5, 7.0, 8.0, 13.0, 14.0, 15.0, 16.0)),
                model_cum=tuple(cum),
                model_total=acc,
                usage_based_p=rng.uniform(0.25, 0.5) if index in heavy else rng.uniform(0.0, 0.15),
                api_key_p=0.3 if rng.random() < 0.05 else 0.0,
                headless_p=rng.uniform(0.05, 0.15) if rng.random() < 0.3 else 0.0,
                uses_cli=rng.random() < 0.25,
                extensions=exts,
                version_index=rng.randint(0, len(CLIENT_VERSIONS) - 3),
                monthly_limit_dollars=monthly_limit,
                hard_limit_override_dollars=hard_override,
            )
        )
    return members
