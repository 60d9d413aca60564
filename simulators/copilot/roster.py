"""The simulated organization's Copilot seat holders: GitHub logins for all, emails for some.

A person's behaviour (IDEs, languages, models, activity level, idle spells) is drawn from their
GitHub user id alone, so the same person held in two organizations (or in an enterprise) produces
the same records everywhere. Seat details (when granted, by which team, plan, pending
cancellation) belong to the seat, drawn from (org seed, user id).

People can be drawn from a Cursor simulator team's roster (`simulators.cursor.roster`): a share of
the Cursor members then hold Copilot seats under a login derived from their name, and a share of
those expose the same email on their GitHub profile, which is what the seat API returns.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from simulators.cursor.roster import FIRST_NAMES, LAST_NAMES, build_roster

IDES = (("vscode", 70), ("intellij", 14), ("visualstudio", 7), ("neovim", 4), ("xcode", 3), ("zed", 2))
IDE_VERSIONS = {
    "vscode": ("1.104.2", "1.105.1", "1.106.1"),
    "intellij": ("2025.2.4", "2025.3"),
    "visualstudio": ("17.14.8", "18.0.1"),
    "neovim": ("0.11.4",),
    "xcode": ("26.1",),
    "zed": ("0.210.4",),
}
PLUGINS = {
    "vscode": ("copilot-chat", ("0.32.4", "0.33.2")),
    "intellij": ("copilot-intellij", ("1.5.59", "1.5.61")),
    "visualstudio": ("copilot-vs", ("18.0.471",)),
    "neovim": ("copilot.vim", ("1.54.0",)),
    "xcode": ("copilot-xcode", ("0.44.0",)),
    "zed": ("copilot-zed", ("0.9.2",)),
}
LANGUAGES = ("python", "typescript", "javascript", "go", "java", "rust", "ruby", "csharp", "kotlin", "sql")
# Chat models with (weight, premium-request multiplier, hundredths of an AI credit per interaction).
MODELS = {
    "claude-sonnet-4.6": (30, 1, 400),
    "gpt-5.4": (22, 1, 300),
    "auto": (18, 1, 270),
    "gpt-5-mini": (14, 0, 0),
    "claude-opus-4.6": (5, 10, 1200),
    "gemini-3-pro": (6, 1, 350),
}
THIRD_PARTY_AGENTS = (("2246796", "Claude (Anthropic)"), ("3318804", "Codex (OpenAI)"))
TEAMS = ("platform", "payments", "mobile", "data", "web")
PHASES = ((0, "No Cohort"), (1, "Phase 1"), (2, "Phase 2"), (3, "Phase 3"))


@dataclass
class GitHubUser:
    """One person as GitHub knows them, with the behaviour their records are drawn from."""

    id: int
    login: str
    name: str
    email: str | None  # what the seat API shows (public profile email), None for most
    cursor_email: str | None  # ground truth: the Cursor member this person is, if any
    level: float
    weekday_p: float
    weekend_p: float
    ides: tuple[str, ...]
    ide_versions: dict
    languages: tuple[str, ...]
    model_weights: tuple[tuple[str, int], ...]
    uses_cli: bool
    agent_p: float
    coding_agent_p: float
    third_party_p: float
    code_review: str  # "active", "passive" or "none"
    phase: int
    work_start_hour: float
    idle_from: date | None  # no activity from this day on
    never_active: bool
    history_last_active: date | None  # last activity before any data window (for idle people)


@dataclass
class Seat:
    """A Copilot seat in one organization."""

    user: GitHubUser
    created_at: datetime
    plan_type: str | None  # business / enterprise / None (field omitted)
    assigning_team: str | None  # team slug or None
    pending_cancellation: bool
    teams: tuple[str, ...] = field(default_factory=tuple)


def _login_for(first: str, last: str, rng: random.Random) -> str:
    style = rng.randrange(4)
    if style == 0:
        return f"{first}-{last}"
    if style == 1:
        return f"{first[0]}{last}"
    if style == 2:
        return f"{first}{last}{rng.randint(1, 99)}"
    return f"{first}-{last[:3]}-dev"


def user_id_for_email(email: str) -> int:
    """A stable GitHub id for a person drawn from a Cursor member (same email, same id)."""
    digest = hashlib.sha256(email.lower().encode()).digest()
    return 10_000_000 + int.from_bytes(digest[:4], "big") % 80_000_000


def make_user(user_id: int, login: str, name: str, *, email, cursor_email, anchor: date) -> GitHubUser:
    rng = random.Random(f"copilot-user:{user_id}")
    heavy = rng.random() < 0.07
    n_ides = 1 if rng.random() < 0.8 else 2
    ides = []
    while len(ides) < n_ides:
        pick = rng.choices([i for i, _ in IDES], weights=[w for _, w in IDES])[0]
        if pick not in ides:
            ides.append(pick)
    weights = tuple((m, max(1, int(w * rng.uniform(0.1, 2.2)))) for m, (w, _, _) in MODELS.items())
    idle_from = None
    never_active = False
    history = None
    r = rng.random()
    if r < 0.05:
        never_active = True
    elif r < 0.14:
        idle_from = anchor - timedelta(days=rng.randint(14, 60))
        history = idle_from - timedelta(days=1)
    return GitHubUser(
        id=user_id,
        login=login,
        name=name,
        email=email,
        cursor_email=cursor_email,
        level=rng.uniform(2.5, 4.0) if heavy else rng.uniform(0.4, 1.4),
        weekday_p=0.95 if heavy else rng.uniform(0.45, 0.9),
        weekend_p=0.45 if heavy else rng.uniform(0.0, 0.15),
        ides=tuple(ides),
        ide_versions={ide: rng.choice(IDE_VERSIONS[ide]) for ide in ides},
        languages=tuple(rng.sample(LANGUAGES, rng.randint(1, 4))),
        model_weights=weights,
        uses_cli=rng.random() < 0.3,
        agent_p=rng.uniform(0.2, 0.9),
        coding_agent_p=0.15 if rng.random() < 0.2 else 0.0,
        third_party_p=0.1 if rng.random() < 0.15 else 0.0,
        code_review=rng.choice(("active", "passive", "none", "none")),
        phase=3 if heavy else rng.choice((0, 1, 1, 2, 2, 3)),
        work_start_hour=rng.choice((6.0, 7.0, 8.0, 9.0, 13.0, 15.0)),
        idle_from=idle_from,
        never_active=never_active,
        history_last_active=history,
    )


def build_people(
    seed: int,
    seats: int,
    anchor: date,
    *,
    cursor_members=None,
    overlap: float = 0.6,
    shared_emails: float = 0.5,
    domain: str | None = None,
) -> list[GitHubUser]:
    """`seats` people: first the Cursor members chosen to overlap (if any), then Copilot-only people."""
    if seats > 20_000:
        raise ValueError("at most 20,000 seats")
    rng = random.Random(f"copilot-roster:{seed}:{seats}")
    people: list[GitHubUser] = []
    used_logins: set[str] = set()

    def unique(login: str) -> str:
        base, n = login, 2
        while login.lower() in used_logins:
            login = f"{base}{n}"
            n += 1
        used_logins.add(login.lower())
        return login

    if cursor_members:
        listed = [
            m for m in cursor_members if getattr(m, "listed", True) and not getattr(m, "is_removed", False)
        ]
        # At least a fifth of the seats stay Copilot-only people, whatever the overlap.
        take = min(seats - seats // 5, round(len(listed) * overlap))
        chosen = sorted(rng.sample(range(len(listed)), take))
        n_email = round(take * shared_emails)
        with_email = set(rng.sample(range(take), n_email))
        for k, i in enumerate(chosen):
            member = listed[i]
            first, _, last = member.email.split("@")[0].partition(".")
            lrng = random.Random(f"copilot-login:{member.email.lower()}")
            login = unique(_login_for(first, last.rstrip("0123456789") or "dev", lrng))
            people.append(
                make_user(
                    user_id_for_email(member.email),
                    login,
                    member.name,
                    email=member.email if k in with_email else None,
                    cursor_email=member.email,
                    anchor=anchor,
                )
            )
    index = 0
    while len(people) < seats:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        login = unique(_login_for(first, last, rng))
        user_id = 1_000_000 + (seed % 5_000) * 20_000 + index  # same seed, same people
        index += 1
        email = f"{login}@users.example.org" if domain is None and rng.random() < 0.1 else None
        if domain is not None and rng.random() < 0.3:
            email = f"{first}.{last}@{domain}"
        people.append(
            make_user(
                user_id,
                login,
                f"{first.title()} {last.title()}",
                email=email,
                cursor_email=None,
                anchor=anchor,
            )
        )
    return people


def cursor_members(seed: int, seats: int, now: datetime, days: int):
    """The Cursor simulator's roster for (seed, seats, days) as of `now`: the same people a
    `CursorSimulator.add_team(seats=..., days=..., seed=..., now=now)` serves."""
    return build_roster(seed, seats, now.date(), days)


def build_seats(org_seed: int, people: list[GitHubUser], anchor: date, default_plan: str) -> list[Seat]:
    seats = []
    for user in people:
        rng = random.Random(f"copilot-seat:{org_seed}:{user.id}")
        created = anchor - timedelta(days=rng.randint(20, 600), seconds=rng.randint(0, 86_399))
        plan = default_plan if rng.random() < 0.9 else (None if rng.random() < 0.5 else "unknown")
        team = rng.choice(TEAMS) if rng.random() < 0.6 else None
        teams = tuple(sorted({team} | ({rng.choice(TEAMS)} if rng.random() < 0.3 else set()))) if team else ()
        seats.append(
            Seat(
                user=user,
                created_at=datetime(
                    created.year,
                    created.month,
                    created.day,
                    rng.randint(0, 23),
                    rng.randint(0, 59),
                    tzinfo=UTC,
                ),
                plan_type=plan,
                assigning_team=team,
                pending_cancellation=rng.random() < 0.05,
                teams=teams,
            )
        )
    return seats
