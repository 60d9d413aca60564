"""Per (member, UTC day) usage generation and the compact per-day store that serves it.

A member-day is drawn from `Random((seed, member index, day ordinal))` only, so it is the same
whenever and in whatever order it is generated. Revisions (`SimTeam.revise_day`) add late events
drawn from their own seeds. Everything the Admin and Analytics APIs report for a day is
aggregated from the same event list, so the numbers always agree.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date

from .roster import CLIENT_VERSIONS, Member
from .util import DAY_MS, day_start_ms, fmt_units

# Model prices in tenths of a cent per million tokens: input, output, cache write, cache read.
MODEL_PRICES = {
    "claude-4.5-sonnet": (3000, 15000, 3750, 300),
    "claude-4.1-opus": (15000, 75000, 18750, 1500),
    "gpt-5": (1250, 10000, 1250, 125),
    "gpt-5-codex": (1250, 10000, 1250, 125),
    "gemini-2.5-pro": (1250, 10000, 1625, 310),
    "composer-1": (1250, 10000, 1250, 125),
    "auto": (1250, 6000, 1250, 250),
}
FIRST_PARTY_MODELS = {"composer-1"}  # no Cursor token fee on Cursor's own model
TOKEN_FEE_PER_M_TENTHS = 250  # 25 cents per million tokens

INCLUDED = "Included in Business"
USAGE_BASED = "Usage-based"
API_KEY = "User API Key"
FREE = "Free"
ERRORED = "Errored, Not Charged"

# Request types (not visible in events; they feed the daily-row counters).
AGENT, CHAT, COMPOSER, CMDK = 0, 1, 2, 3
RTYPE_CUM = ((50, AGENT), (65, CHAT), (80, COMPOSER), (100, CMDK))


@dataclass(slots=True)
class MemberDay:
    """One member's aggregates for one UTC day (only for members with at least one event)."""

    index: int
    events: int = 0  # every event, identical twins included
    agent: int = 0
    chat: int = 0
    composer: int = 0
    cmdk: int = 0
    included: int = 0
    usage_based: int = 0
    api_key: int = 0
    headless: int = 0
    applies: int = 0
    accepts: int = 0
    rejects: int = 0
    acc_added: int = 0
    acc_deleted: int = 0
    rej_added: int = 0
    rej_deleted: int = 0
    lines_added: int = 0
    lines_deleted: int = 0
    tabs_shown: int = 0
    tabs_accepted: int = 0
    tab_lines_added: int = 0
    tab_lines_deleted: int = 0
    tab_lines_rejected: int = 0
    bugbot: int = 0
    cli: bool = False
    charged_units: int = 0  # 1e-4 cents
    usage_based_units: int = 0
    models: dict = field(default_factory=dict)  # model -> events
    chat_models: dict = field(default_factory=dict)  # model -> chat events (ask mode)
    plan_models: dict = field(default_factory=dict)  # model -> agent events in plan mode
    apply_ext: str | None = None
    tab_ext: str | None = None
    client_version: str | None = None

    @property
    def most_used_model(self) -> str | None:
        """Most frequent model of the day; ties go to the alphabetically first name."""
        if not self.models:
            return None
        return min(self.models.items(), key=lambda kv: (-kv[1], kv[0]))[0]


@dataclass(slots=True)
class DayData:
    """All served events of one day, newest first, stored as one JSON blob plus offsets."""

    day: date
    cutoff_ms: int | None
    revisions: int
    blob: bytes
    offsets: array  # event i is blob[offsets[i]:offsets[i + 1] - 1]
    neg_ts: array  # -timestamp, ascending (events are newest first)
    who: array  # member index per event
    aggs: dict  # member index -> MemberDay
    _by_member: dict | None = None

    def __len__(self) -> int:
        return len(self.neg_ts)

    def bounds(self, start_ms: int, end_ms: int) -> tuple[int, int]:
        """Index range of events with start_ms <= ts <= end_ms (both inclusive)."""
        return bisect_left(self.neg_ts, -end_ms), bisect_right(self.neg_ts, -start_ms)

    def positions_of(self, member_index: int) -> array:
        if self._by_member is None:
            by: dict[int, array] = {}
            for pos, who in enumerate(self.who):
                by.setdefault(who, array("l")).append(pos)
            self._by_member = by
        return self._by_member.get(member_index, array("l"))

    def event_bytes(self, lo: int, hi: int) -> bytes:
        if lo >= hi:
            return b""
        return self.blob[self.offsets[lo] : self.offsets[hi] - 1]

    def one_event(self, pos: int) -> bytes:
        return self.blob[self.offsets[pos] : self.offsets[pos + 1] - 1]


def _growth(ordinal: int) -> float:
    # Slow adoption growth anchored on absolute dates, so it never depends on `now`.
    return 0.7 + 0.4 / (1.0 + math.exp(-(ordinal - 739_617) / 90.0))  # 739617 = 2026-01-01


def member_day_seed(seed: int, index: int, ordinal: int, salt: int = 0) -> int:
    return ((seed * 1_000_003 + index) * 1_000_033 + ordinal) * 7919 + salt


def _pick_model(rng_value: float, member: Member) -> str:
    target = rng_value * member.model_total
    for cum, model in member.model_cum:
        if target < cum:
            return model
    return member.model_cum[-1][1]


def _uuid(rng) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def gen_events(
    rng,
    member: Member,
    count: int,
    lo_ms: int,
    hi_ms: int,
    taken: set[int] | None = None,
) -> list[tuple]:
    """`count` events for one member between lo_ms and hi_ms (exclusive), in sessions.

    Each event is a tuple:
    (ts, json_text, rtype, kind, model, charged_units, maxmode, headless, applies, accepts, rejects,
     acc_added, acc_deleted, rej_added, rej_deleted, plan_mode)
    """
    rnd = rng.random
    span = hi_ms - lo_ms
    if span <= 0 or count <= 0:
        return []
    out: list[tuple] = []
    seen_ts: set[int] = taken if taken is not None else set()
    email = member.email
    while len(out) < count:
        # A session: one request type and (mostly) one model, a conversation id, a few events.
        r = rnd() * 100
        rtype = next(t for cum, t in RTYPE_CUM if r < cum)
        model = _pick_model(rnd(), member)
        headless = rtype == AGENT and member.headless_p > 0 and rnd() < member.headless_p
        conv = _uuid(rng) if rnd() < 0.9 else None
        cloud = ("bc-" + _uuid(rng)) if headless else None
        work_ms = (member.work_start_hour + rnd() * 9.5) * 3_600_000
        ts = lo_ms + int(work_ms) % span if span == DAY_MS else lo_ms + int(rnd() * span)
        session_len = 1 + int(rnd() * (8 if rtype in (AGENT, COMPOSER) else 4))
        max_mode = (model == "claude-4.1-opus" and rnd() < 0.6) or (
            model == "claude-4.5-sonnet" and rnd() < 0.08
        )
        for _ in range(min(session_len, count - len(out))):
            if rnd() < 0.2:
                model = _pick_model(rnd(), member)
            while ts in seen_ts or ts >= hi_ms:
                ts = lo_ms + (ts - lo_ms + 1 + int(rnd() * 5000)) % span
            seen_ts.add(ts)
            out.append(
                _one_event(
                    rnd,
                    ts,
                    email,
                    model,
                    rtype,
                    max_mode,
                    headless,
                    conv,
                    cloud,
                    member,
                )
            )
            ts += 5_000 + int(rnd() * 240_000)
            if ts >= hi_ms:
                ts = lo_ms + int(rnd() * span)
    return out


def _one_event(rnd, ts, email, model, rtype, max_mode, headless, conv, cloud, member) -> tuple:
    k = rnd()
    if k < 0.015:
        kind = FREE
    elif k < 0.025:
        kind = ERRORED
    elif rnd() < member.api_key_p:
        kind = API_KEY
    elif rnd() < member.usage_based_p:
        kind = USAGE_BASED
    else:
        kind = INCLUDED
    token_based = not (model in ("composer-1", "auto") and rnd() < 0.3) and kind != ERRORED
    agentic = rtype in (AGENT, COMPOSER)
    token_text = ""
    fee = None
    if token_based:
        scale = 3.0 if agentic else 1.0
        inp = int((200 + rnd() * 4000) * scale)
        outp = int((50 + rnd() * 1500) * scale)
        cw = int(rnd() * 12000 * scale) if agentic else 0
        cr = int(rnd() * 90000 * scale) if agentic else int(rnd() * 4000)
        pi, po, pw, pr = MODEL_PRICES[model]
        cost = (inp * pi + outp * po + cw * pw + cr * pr) // 1000  # 1e-4 cent units
        if max_mode:
            cost = cost * 12 // 10
        cost = max(cost, 1)
        token_text = (
            f',"tokenUsage":{{"inputTokens":{inp},"outputTokens":{outp},"cacheWriteTokens":{cw},'
            f'"cacheReadTokens":{cr},"totalCents":{fmt_units(cost)}}}'
        )
        if model not in FIRST_PARTY_MODELS and kind in (INCLUDED, USAGE_BASED):
            fee = (inp + outp + cw + cr) * TOKEN_FEE_PER_M_TENTHS // 1000
        req_tenths = max(1, round(cost / 4000)) if kind not in (FREE, ERRORED) else 0  # ~4 cents/request
    else:
        cost = 0
        req_tenths = (20 if max_mode else 10) if kind not in (FREE, ERRORED) else 0
    if kind in (FREE, ERRORED, API_KEY):
        charged = 0
    elif token_based:
        charged = cost + (fee or 0)
    else:
        charged = req_tenths * 400 if kind == USAGE_BASED else 0
    chargeable = charged > 0
    parts = [f'{{"timestamp":"{ts}","userEmail":"{email}"']
    if cloud:
        parts.append(f',"cloudAgentId":"{cloud}"')
    if conv:
        parts.append(f',"conversationId":"{conv}"')
    parts.append(
        f',"model":"{model}","kind":"{kind}","maxMode":{"true" if max_mode else "false"},'
        f'"requestsCosts":{fmt_units(req_tenths, 10)},"isTokenBasedCall":{"true" if token_based else "false"},'
        f'"isChargeable":{"true" if chargeable else "false"},"isHeadless":{"true" if headless else "false"}'
    )
    parts.append(token_text)
    parts.append(f',"chargedCents":{fmt_units(charged)}')
    if fee is not None:
        parts.append(f',"cursorTokenFee":{fmt_units(fee)}')
    parts.append("}")
    # Hidden per-event editor stats feeding the daily row (applies, accepts, lines).
    applies = accepts = rejects = acc_a = acc_d = rej_a = rej_d = 0
    if rtype != CHAT and kind != ERRORED:
        applies = 1 + int(rnd() * 2)
        for _ in range(applies):
            a = 1 + int(rnd() * 40)
            d = int(rnd() * 15)
            if rnd() < 0.72:
                accepts += 1
                acc_a += a
                acc_d += d
            else:
                rejects += 1
                rej_a += a
                rej_d += d
    plan_mode = rtype == AGENT and rnd() < 0.1
    return (
        ts,
        "".join(parts),
        rtype,
        kind,
        model,
        charged,
        max_mode,
        headless,
        applies,
        accepts,
        rejects,
        acc_a,
        acc_d,
        rej_a,
        rej_d,
        plan_mode,
    )


def base_member_day(rng, member: Member, day: date) -> tuple[list[tuple], dict] | None:
    """The member's own activity that day, before revisions; None when inactive."""
    if not member.can_be_active(day):
        return None
    rnd = rng.random
    weekend = day.weekday() >= 5
    if rnd() >= (member.weekend_p if weekend else member.weekday_p):
        return None
    base = 4 + int(rnd() * 47)
    count = max(
        1,
        int(base * member.level * _growth(day.toordinal()) * (0.5 if weekend else 1.0)),
    )
    start = day_start_ms(day)
    events = gen_events(rng, member, count, start, start + DAY_MS)
    extras = {
        "tabs_shown": int((30 + rnd() * 300) * member.level),
        "tab_rate": 0.2 + rnd() * 0.2,
        "manual_added": int(rnd() * 250),
        "manual_deleted": int(rnd() * 90),
        "bugbot": (1 + int(rnd() * 3)) if rnd() < 0.06 else 0,
        "cli": member.uses_cli and rnd() < 0.5,
        "apply_ext": member.extensions[0] if rnd() < 0.7 else member.extensions[1],
        "tab_ext": member.extensions[0] if rnd() < 0.6 else member.extensions[2],
        "dup_every": 120 + int(rnd() * 200),
    }
    return events, extras


def client_version_for(member: Member, day: date) -> str:
    # Members upgrade every ~3 weeks, deterministic in the absolute day.
    step = (day.toordinal() + member.index * 5) // 21 % 3
    return CLIENT_VERSIONS[min(len(CLIENT_VERSIONS) - 1, member.version_index + step)]


def aggregate(member: Member, day: date, events: list[tuple], extras: dict | None) -> MemberDay | None:
    if not events:
        return None
    agg = MemberDay(index=member.index)
    models = agg.models
    for ev in events:
        (
            _,
            _,
            rtype,
            kind,
            model,
            charged,
            _,
            headless,
            ap,
            ac,
            rj,
            aa,
            ad,
            ra,
            rd,
            plan,
        ) = ev
        agg.events += 1
        if rtype == AGENT:
            agg.agent += 1
            if plan:
                agg.plan_models[model] = agg.plan_models.get(model, 0) + 1
        elif rtype == CHAT:
            agg.chat += 1
            agg.chat_models[model] = agg.chat_models.get(model, 0) + 1
        elif rtype == COMPOSER:
            agg.composer += 1
        else:
            agg.cmdk += 1
        if kind == USAGE_BASED:
            agg.usage_based += 1
            agg.usage_based_units += charged
        elif kind == API_KEY:
            agg.api_key += 1
        else:
            agg.included += 1
        agg.charged_units += charged
        agg.headless += headless
        agg.applies += ap
        agg.accepts += ac
        agg.rejects += rj
        agg.acc_added += aa
        agg.acc_deleted += ad
        agg.rej_added += ra
        agg.rej_deleted += rd
        models[model] = models.get(model, 0) + 1
    ex = extras or {}
    agg.tabs_shown = ex.get("tabs_shown", 0)
    agg.tabs_accepted = int(agg.tabs_shown * ex.get("tab_rate", 0.0))
    agg.tab_lines_added = agg.tabs_accepted * 2
    agg.tab_lines_deleted = agg.tabs_accepted // 3
    agg.tab_lines_rejected = (agg.tabs_shown - agg.tabs_accepted) * 2
    agg.lines_added = agg.acc_added + agg.tab_lines_added + ex.get("manual_added", 0)
    agg.lines_deleted = agg.acc_deleted + agg.tab_lines_deleted + ex.get("manual_deleted", 0)
    agg.bugbot = ex.get("bugbot", 0)
    agg.cli = bool(ex.get("cli", False))
    agg.apply_ext = ex.get("apply_ext") or member.extensions[0]
    agg.tab_ext = ex.get("tab_ext") or member.extensions[0]
    agg.client_version = client_version_for(member, day)
    return agg
