"""Per (person, UTC day) Claude Code sessions and chat use, and the pricing that turns tokens into cents.

A person-day is drawn from `Random("cc:seed:index:ordinal")` alone, so it never depends on `now`
or the order of generation. Each session carries the moment it becomes visible (its end plus an
ingestion delay: minutes usually, hours to ~2.5 days for a few late ones), so a day's figures keep
changing for a while after it: that is how the simulator revises days. `SimOrg.revise_day` adds
extra late sessions on top.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from .roster import Person
from .util import day_start_s

TOOLS = ("edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool")
# Model ids change over time (docs/claude-code-api.md §6): the older ids until 2026-06-30.
MODEL_ERA_SWITCH = date(2026, 7, 1)
MODELS_BEFORE = {
    "sonnet": "claude-sonnet-4-20250514",
    "opus": "claude-opus-4-6",
    "haiku": "claude-3-5-haiku-20241022",
}
MODELS_AFTER = {"sonnet": "claude-sonnet-5", "opus": "claude-opus-4-8", "haiku": "claude-3-5-haiku-20241022"}
# List prices in micro-cents (1e-6 cent) per token: input, output, cache read, cache creation.
# $1 per million tokens = 100 micro-cents per token.
PRICES = {
    "claude-opus-4-8": (1500, 7500, 150, 1875),
    "claude-opus-4-6": (1500, 7500, 150, 1875),
    "claude-sonnet-5": (300, 1500, 30, 375),
    "claude-sonnet-4-20250514": (300, 1500, 30, 375),
    "claude-3-5-haiku-20241022": (80, 400, 8, 100),
}
ENTERPRISE_DISCOUNT = (80, 100)  # amount = list_amount * 80 / 100, floored to a micro-cent


def model_id(family: str, day: date) -> str:
    return (MODELS_BEFORE if day < MODEL_ERA_SWITCH else MODELS_AFTER)[family]


def list_micro_cents(model: str, tokens: tuple[int, int, int, int]) -> int:
    p_in, p_out, p_read, p_write = PRICES[model]
    inp, out, read, write = tokens
    return inp * p_in + out * p_out + read * p_read + write * p_write


def discounted(micro: int) -> int:
    num, den = ENTERPRISE_DISCOUNT
    return micro * num // den


@dataclass(slots=True)
class Session:
    """One Claude Code session (or, with product "chat", one person-day of Enterprise chat)."""

    start_s: int
    visible_s: int  # epoch seconds at which the session shows up in reports
    remote: bool
    terminal: str
    lines_added: int
    lines_removed: int
    commits: int
    prs: int
    tools: dict  # tool -> [accepted, rejected], only tools with proposals
    models: dict  # model -> [input, output, cache_read, cache_creation, requests]
    product: str = "claude_code"

    @property
    def has_tool_use_or_git(self) -> bool:
        return bool(self.tools) or self.commits > 0 or self.prs > 0


def _pick_family(rnd, person: Person) -> str:
    weights = person.family_weights
    target = rnd() * sum(weights)
    acc = 0
    for family, w in zip(("sonnet", "opus", "haiku"), weights, strict=True):
        acc += w
        if target < acc:
            return family
    return "sonnet"


def _session(rnd, person: Person, day: date, *, late_p: float = 0.07, late_only: bool = False) -> Session:
    start_of_day = day_start_s(day)
    offset = int((person.start_hour * 3600 + rnd() * 10 * 3600) % 86_400)
    start = start_of_day + offset
    end = min(start + 300 + int(rnd() * 7200), start_of_day + 86_399)
    if late_only or rnd() < late_p:
        delay = 3 * 3600 + int(rnd() * 57 * 3600)  # 3 h .. 60 h
    else:
        delay = 300 + int(rnd() * 3000)  # 5 .. 55 minutes
    remote = person.remote_p > 0 and rnd() < person.remote_p
    terminal = (
        "web" if remote and not person.is_api_key else person.terminals[int(rnd() * len(person.terminals))]
    )
    tools: dict = {}
    lines_added = lines_removed = commits = prs = 0
    if rnd() < 0.92:  # most sessions propose edits; the rest only read or chat
        for tool, p, scale in (
            ("edit_tool", 0.95, 30),
            ("multi_edit_tool", 0.5, 12),
            ("write_tool", 0.55, 8),
            ("notebook_edit_tool", 0.06, 5),
        ):
            if rnd() < p:
                accepted = int(rnd() * scale * person.level) + 1
                rejected = int(rnd() * accepted * 0.25)
                tools[tool] = [accepted, rejected]
        accepted_total = sum(a for a, _ in tools.values())
        lines_added = accepted_total * (3 + int(rnd() * 12))
        lines_removed = int(lines_added * rnd() * 0.45)
        if rnd() < 0.45:
            commits = 1 + int(rnd() * 3)
            prs = 1 if rnd() < 0.3 else 0
    models: dict = {}
    for _ in range(1 + (rnd() < 0.3)):
        model = model_id(_pick_family(rnd, person), day)
        entry = models.setdefault(model, [0, 0, 0, 0, 0])
        scale = person.level
        entry[0] += int((2_000 + rnd() * 60_000) * scale)
        entry[1] += int((400 + rnd() * 12_000) * scale)
        entry[2] += int((5_000 + rnd() * 350_000) * scale)
        entry[3] += int((500 + rnd() * 30_000) * scale)
        entry[4] += 3 + int(rnd() * 60)
    return Session(
        start, end + delay, remote, terminal, lines_added, lines_removed, commits, prs, tools, models
    )


def person_day(seed: int, person: Person, day: date) -> list[Session]:
    """The person's own Claude Code sessions that day (empty when inactive)."""
    if not person.can_be_active(day):
        return []
    rng = random.Random(f"cc:{seed}:{person.index}:{day.toordinal()}")
    rnd = rng.random
    weekend = day.weekday() >= 5
    if rnd() >= (person.weekend_p if weekend else person.weekday_p):
        return []
    count = max(1, int((1 + rnd() * 5) * person.level * (0.5 if weekend else 1.0)))
    return [_session(rnd, person, day) for _ in range(count)]


def late_sessions(seed: int, person: Person, day: date, revision: int) -> list[Session]:
    """Sessions a revision adds to a past day (`SimOrg.revise_day`): visible from the revision on."""
    rng = random.Random(f"cc-revise:{seed}:{person.index}:{day.toordinal()}:{revision}")
    return [_session(rng.random, person, day, late_only=True) for _ in range(1 + rng.randrange(2))]


def chat_day(seed: int, person: Person, day: date) -> Session | None:
    """Enterprise chat use that day, as one pseudo-session of product "chat" (cost/usage only)."""
    if not person.member_on(day) or person.is_api_key:
        return None
    rng = random.Random(f"chat:{seed}:{person.index}:{day.toordinal()}")
    rnd = rng.random
    if rnd() >= person.chat_p * (0.3 if day.weekday() >= 5 else 1.0):
        return None
    start = day_start_s(day) + int((person.start_hour + rnd() * 9) * 3600) % 86_400
    model = model_id("sonnet", day)
    requests = 2 + int(rnd() * 40)
    tokens = [
        requests * (800 + int(rnd() * 3000)),
        requests * (300 + int(rnd() * 900)),
        requests * 2000,
        requests * 400,
        requests,
    ]
    return Session(start, start + 600 + int(rnd() * 3000), False, "", 0, 0, 0, 0, {}, {model: tokens}, "chat")
