"""One simulated Cursor team: its roster, lazily generated per-day data and ground-truth views."""

from __future__ import annotations

import dataclasses
import json
import random
import secrets
import string
import threading
from array import array
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from .faults import Faults
from .generate import (
    DayData,
    MemberDay,
    aggregate,
    base_member_day,
    gen_events,
    member_day_seed,
)
from .roster import Member, build_roster, team_domain
from .util import DAY_MS, daterange, day_start_ms, dt_to_ms, ms_to_day

_ALNUM = string.ascii_letters + string.digits


def generate_api_key() -> str:
    return "crsr_" + "".join(secrets.choice(_ALNUM) for _ in range(64))


class SimTeam:
    """A team served by a CursorSimulator. Ground-truth methods return exactly what the API serves."""

    def __init__(
        self,
        *,
        team_id: int,
        api_key: str,
        seats: int = 50,
        days: int = 60,
        seed: int = 1,
        plan: str = "enterprise",
        now: datetime,
    ):
        if plan not in ("team", "enterprise"):
            raise ValueError("plan must be 'team' or 'enterprise'")
        if seats < 1 or days < 1:
            raise ValueError("seats and days must be positive")
        self.team_id = team_id
        self.api_key = api_key
        self.seats = seats
        self.days = days
        self.seed = seed
        self.plan = plan
        self.domain = team_domain(seed)
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self._now = now.astimezone(UTC)
        self.roster: list[Member] = build_roster(seed, seats, self._now.date(), days)
        self._by_email = {m.email.lower(): m for m in self.roster}
        self._by_id = {m.user_id: m for m in self.roster}
        self._by_numeric = {m.numeric_id: m for m in self.roster}
        self.cycle_day = 1 + random.Random(f"cycle:{seed}").randrange(28)

        # Switches (see the docstring of the simulators.cursor package).
        self.legacy_shapes = False
        self.daily_numeric_user_ids: bool | None = None  # None: numeric only with legacy_shapes
        self.enterprise_denied_status: int | dict = 403
        self.events_max_range_days: int | None = 30  # None: no cap on filtered-usage-events
        self.page_size_policy = "clamp"  # or "reject": pageSize above the documented maximum
        self.ingest_delay_seconds = 0.0  # events newer than now - delay are not visible yet
        self.rate_limits: bool | None = None  # None: follow the simulator's setting
        self.limits: dict | None = None  # per-team overrides of the simulator's limits
        # Billing groups (/teams/groups): email -> group name (None: Unassigned), overriding the
        # deterministic assignment, so a test can move a person between groups.
        self.group_moves: dict[str, str | None] = {}
        # Data faults (what Cursor's data can get wrong, for the data-quality checks): days whose
        # daily rows are not served, cents added to a member's /teams/spend totals, revisions
        # armed to happen after a number of requests. See `apply_data_faults`.
        self.drop_days: set[date] = set()
        self.drop_event_days: set[date] = set()
        self.spend_skew_cents: dict[str, float] = {}
        self._pending_revisions: list[list] = []  # [requests still to answer first, day]
        self.faults = Faults()
        self.request_log: list[tuple[float, str, str, int]] = []

        self._lock = threading.RLock()
        self._days: dict[date, DayData] = {}
        self._revisions: dict[date, int] = {}
        self.data_version = 0  # bumps whenever served data may change (ETags depend on it)
        self._ai_cache: dict = {}  # day -> (revision key, commits, changes)
        self._audit_cache: dict = {}

    # -- time -------------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self._now

    @now.setter
    def now(self, value: datetime) -> None:
        """Move the team's clock (e.g. forward to simulate the next sync). The roster stays fixed."""
        if value.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        with self._lock:
            self._now = value.astimezone(UTC)
            self.data_version += 1

    @property
    def now_ms(self) -> int:
        return dt_to_ms(self._now)

    @property
    def cutoff_ms(self) -> int:
        """Newest visible event timestamp (inclusive)."""
        return self.now_ms - int(self.ingest_delay_seconds * 1000)

    @property
    def first_day(self) -> date:
        """Oldest day with data: `days` calendar days including today."""
        return self._now.date() - timedelta(days=self.days - 1)

    @property
    def last_day(self) -> date:
        return ms_to_day(self.cutoff_ms)

    @property
    def cycle_start(self) -> datetime:
        """Start (00:00 UTC) of the current billing cycle: the last `cycle_day` of a month <= today."""
        today = self._now.date()
        if today.day >= self.cycle_day:
            start = today.replace(day=self.cycle_day)
        else:
            prev = today.replace(day=1) - timedelta(days=1)
            start = prev.replace(day=self.cycle_day)
        return datetime(start.year, start.month, start.day, tzinfo=UTC)

    # -- people -----------------------------------------------------------------------------------

    def member_by_email(self, email: str) -> Member | None:
        return self._by_email.get(email.lower())

    def find_member(self, ref) -> Member | None:
        """Resolve an email, a `user_…` id or a numeric id."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return self._by_numeric.get(int(ref))
        if isinstance(ref, str) and ref.startswith("user_"):
            return self._by_id.get(ref)
        if isinstance(ref, str):
            return self.member_by_email(ref.strip())
        return None

    @property
    def listed_members(self) -> list[Member]:
        return [m for m in self.roster if m.listed]

    def public_id(self, member: Member):
        return member.numeric_id if self.legacy_shapes else member.user_id

    def member_dict(self, member: Member) -> dict:
        return {
            "id": self.public_id(member),
            "name": member.name,
            "email": member.email,
            "role": member.role,
            "isRemoved": member.is_removed,
        }

    def members(self) -> list[dict]:
        """`/teams/members` rows: listed members in roster order, removed ones included."""
        return [self.member_dict(m) for m in self.listed_members]

    # -- per-day store ----------------------------------------------------------------------------

    def _day_cutoff(self, day: date) -> int | None:
        end = day_start_ms(day) + DAY_MS - 1
        cutoff = self.cutoff_ms
        return None if end <= cutoff else cutoff

    def has_data(self, day: date) -> bool:
        return self.first_day <= day and day_start_ms(day) <= self.cutoff_ms

    def day_data(self, day: date) -> DayData | None:
        """The day's events and aggregates, generated on first use; None outside the data window."""
        if not self.has_data(day):
            return None
        cutoff = self._day_cutoff(day)
        revisions = self._revisions.get(day, 0)
        cached = self._days.get(day)
        if cached is not None and cached.cutoff_ms == cutoff and cached.revisions == revisions:
            return cached
        with self._lock:
            cached = self._days.get(day)
            if cached is not None and cached.cutoff_ms == cutoff and cached.revisions == revisions:
                return cached
            data = self._build_day(day, cutoff, revisions)
            self._days[day] = data
            return data

    def _revision_picks(self, day: date, revisions: int) -> dict[int, list[int]]:
        picks: dict[int, list[int]] = {}
        if not revisions:
            return picks
        candidates = [m.index for m in self.roster if m.can_be_active(day)]
        if not candidates:
            return picks
        for rev in range(1, revisions + 1):
            rng = random.Random(f"revise:{self.seed}:{day.toordinal()}:{rev}")
            for index in rng.sample(candidates, min(len(candidates), 1 + rng.randrange(3))):
                picks.setdefault(index, []).append(rev)
        return picks

    def _build_day(self, day: date, cutoff: int | None, revisions: int) -> DayData:
        ordinal = day.toordinal()
        start = day_start_ms(day)
        end = start + DAY_MS
        picks = self._revision_picks(day, revisions)
        served: list[tuple[int, int, str]] = []
        aggs: dict[int, MemberDay] = {}
        for member in self.roster:
            if not member.member_on(day):
                continue
            rng = random.Random(member_day_seed(self.seed, member.index, ordinal))
            base = base_member_day(rng, member, day)
            events, extras = base if base else ([], None)
            dup_every = extras["dup_every"] if extras else 0
            if dup_every:
                # A few genuinely identical events (same content and timestamp). They are real
                # requests, counted in daily rows and spend; a client must keep both copies.
                events = events + [ev for i, ev in enumerate(events) if i % dup_every == dup_every - 1]
            taken = {ev[0] for ev in events}
            for rev in picks.get(member.index, ()):
                rrng = random.Random(member_day_seed(self.seed, member.index, ordinal, salt=rev))
                hi = end if cutoff is None else min(end, cutoff + 1)
                events = events + gen_events(rrng, member, 1 + int(rrng.random() * 5), start, hi, taken)
            if cutoff is not None:
                events = [ev for ev in events if ev[0] <= cutoff]
            agg = aggregate(member, day, events, extras)
            if agg is None:
                continue
            aggs[member.index] = agg
            index = member.index
            for ev in events:
                served.append((ev[0], index, ev[1]))
        served.sort(key=lambda t: (-t[0], t[1]))
        text = ",".join(t[2] for t in served)
        offsets = array("q", [0])
        offsets.extend(accumulate(len(t[2]) + 1 for t in served))
        return DayData(
            day=day,
            cutoff_ms=cutoff,
            revisions=revisions,
            blob=text.encode(),
            offsets=offsets,
            neg_ts=array("q", (-t[0] for t in served)),
            who=array("l", (t[1] for t in served)),
            aggs=aggs,
        )

    def warm(self, start: date | None = None, end: date | None = None, *, ai_code: bool = False) -> None:
        """Generate (and cache) every day in [start, end] now, instead of on first request;
        with ``ai_code`` also each day's AI Code Tracking items, serialized (the benchmarks:
        a 30-day window of a large team is otherwise generated by its first request)."""
        from .analytics_api import warm_ai_code

        for day in daterange(start or self.first_day, end or self.last_day):
            self.day_data(day)
            if ai_code:
                warm_ai_code(self, day)

    def revise_day(self, day: date) -> None:
        """Cursor revises a past day: a few members get late events that day. Daily rows, events,
        spend and analytics for the day all change consistently."""
        if not self.has_data(day):
            raise ValueError(f"{day} is outside the team's data window")
        with self._lock:
            self._revisions[day] = self._revisions.get(day, 0) + 1
            self.data_version += 1

    # -- data faults ------------------------------------------------------------------------------

    def drop_day(self, day: date) -> None:
        """`/teams/daily-usage-data` serves no rows at all for `day` (events and spend keep it)."""
        with self._lock:
            self.drop_days.add(day)
            self.data_version += 1

    def drop_events(self, day: date) -> None:
        """`/teams/filtered-usage-events` serves no events of `day`; daily rows and spend keep them."""
        with self._lock:
            self.drop_event_days.add(day)
            self.data_version += 1

    def revise_day_after(self, day: date, requests: int = 0) -> None:
        """Revise `day` (see `revise_day`) once `requests` more authenticated requests have been
        answered: 0 means before the next one. A later fetch then returns different figures."""
        if not self.has_data(day):
            raise ValueError(f"{day} is outside the team's data window")
        if requests < 0:
            raise ValueError("requests must be >= 0")
        with self._lock:
            self._pending_revisions.append([requests, day])

    def count_request(self) -> None:
        """Called by the server once per authenticated request, before answering it."""
        if not self._pending_revisions:
            return
        with self._lock:
            due = [entry[1] for entry in self._pending_revisions if entry[0] <= 0]
            self._pending_revisions = [[n - 1, d] for n, d in self._pending_revisions if n > 0]
        for day in due:
            self.revise_day(day)

    def add_usage_only_member(self, email: str | None = None) -> str:
        """Someone who uses Cursor every day, up to now, but is not in `/teams/members` (nor in
        `/teams/spend`): their events and daily rows are served. Returns their email."""
        with self._lock:
            index = len(self.roster)
            email = email or f"unlisted.user{index}@{self.domain}"
            if email.lower() in self._by_email:
                raise ValueError(f"{email} is already on the team")
            rng = random.Random(f"usage-only:{self.seed}:{index}")
            template = self.roster[min(1, len(self.roster) - 1)]
            member = dataclasses.replace(
                template,
                index=index,
                user_id="user_" + "".join(rng.choice(_ALNUM) for _ in range(24)),
                numeric_id=900_000 + index,
                name="Unlisted User",
                email=email,
                role="member",
                listed=False,
                is_removed=False,
                join_day=self.first_day - timedelta(days=30),
                leave_day=None,
                idle_from=None,
                level=max(1.0, template.level),
                weekday_p=1.0,
                weekend_p=1.0,
            )
            self.roster.append(member)
            self._by_email[email.lower()] = member
            self._by_id[member.user_id] = member
            self._by_numeric[member.numeric_id] = member
            self._days.clear()  # every cached day must now include them
            self.data_version += 1
        return email

    def skew_spend(self, email: str, cents: float) -> None:
        """Add `cents` to the member's `/teams/spend` totals (`spendCents` and `overallSpendCents`),
        so Cursor's cycle total disagrees with the sum of the member's events."""
        if self.member_by_email(email) is None:
            raise ValueError(f"{email} is not on the team")
        with self._lock:
            self.spend_skew_cents[email.lower()] = self.spend_skew_cents.get(email.lower(), 0) + cents
            self.data_version += 1

    def apply_data_faults(self, spec: dict) -> None:
        """Arm data faults from plain data (the `cursor_simulator` command's flags), e.g.
        ``{"drop_days": ["2026-11-20"], "drop_event_days": ["2026-11-19"], "revise_days": [{"day": "2026-11-21", "after_requests": 50}],
        "usage_only_emails": ["ghost@example.com"], "spend_skew": {"ada@x.com": 250},
        "malformed_events": 2}``. `spend_skew` may name "owner" for the team's owner."""
        unknown = set(spec) - {
            "drop_days",
            "drop_event_days",
            "revise_days",
            "usage_only_emails",
            "spend_skew",
            "malformed_events",
        }
        if unknown:
            raise ValueError(f"unknown data faults: {sorted(unknown)}")
        for day in spec.get("drop_days", ()):
            self.drop_day(_as_date(day))
        for day in spec.get("drop_event_days", ()):
            self.drop_events(_as_date(day))
        for item in spec.get("revise_days", ()):
            item = item if isinstance(item, dict) else {"day": item}
            self.revise_day_after(_as_date(item["day"]), int(item.get("after_requests", 0)))
        for email in spec.get("usage_only_emails", ()):
            self.add_usage_only_member(email or None)
        for email, cents in (spec.get("spend_skew") or {}).items():
            self.skew_spend(self.roster[0].email if email == "owner" else email, float(cents))
        malformed = int(spec.get("malformed_events") or 0)
        if malformed < 0:
            raise ValueError("malformed_events must be >= 0")
        if malformed:
            self.faults.malformed_record_next(malformed, path="/teams/filtered-usage-events")

    # -- ground truth -----------------------------------------------------------------------------

    def event_transform(self, data: bytes) -> bytes:
        """Legacy event shape: `kindLabel` instead of `kind`, plus `isFreeBugbot`."""
        if not self.legacy_shapes:
            return data
        return data.replace(b'"kind":"', b'"kindLabel":"').replace(
            b'"isHeadless":', b'"isFreeBugbot":false,"isHeadless":'
        )

    def event_segments(self, start_ms: int, end_ms: int, member: Member | None = None) -> list:
        """Newest-first segments (DayData, lo, hi) or (DayData, positions) covering the range."""
        segments: list = []
        if end_ms < start_ms:
            return segments
        first = max(ms_to_day(max(start_ms, 0)), self.first_day)
        last = min(ms_to_day(end_ms), self.last_day)
        day = last
        one = timedelta(days=1)
        while day >= first:
            data = self.day_data(day)
            if data is not None and len(data) and day not in self.drop_event_days:
                lo, hi = data.bounds(start_ms, end_ms)
                if member is not None:
                    positions = [p for p in data.positions_of(member.index) if lo <= p < hi]
                    if positions:
                        segments.append((data, positions))
                elif hi > lo:
                    segments.append((data, lo, hi))
            day -= one
        return segments

    def usage_events(self, start_ms: int, end_ms: int, email: str | None = None) -> list[dict]:
        """Events with start_ms <= timestamp <= end_ms, newest first, exactly as served (including
        the few genuinely identical events, which are counted everywhere)."""
        member = None
        if email is not None:
            member = self.member_by_email(email)
            if member is None:
                return []
        parts = [segment_bytes(seg) for seg in self.event_segments(start_ms, end_ms, member)]
        return json.loads(b"[" + self.event_transform(b",".join(parts)) + b"]")

    def member_days(self, start: date, end: date):
        """(day, {member index: MemberDay}) for each day with data in [start, end]."""
        for day in daterange(max(start, self.first_day), min(end, self.last_day)):
            data = self.day_data(day)
            if data is not None:
                yield day, data.aggs

    def daily_rows(self, start: date, end: date, include_inactive: bool = False) -> list[dict]:
        """`/teams/daily-usage-data` rows for the UTC days start..end, ordered by user then day.

        include_inactive=False: the unpaginated answer (active member-days only).
        include_inactive=True: the paginated answer (every member during the range, zero rows)."""
        from .admin_api import daily_rows_for

        return daily_rows_for(self, start, end, include_inactive)

    def spend_rows(self) -> list[dict]:
        """`/teams/spend` rows for the current cycle, listed members (incl. removed) in roster order."""
        from .admin_api import spend_rows_for

        return spend_rows_for(self)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def segment_bytes(segment) -> bytes:
    if len(segment) == 3:
        data, lo, hi = segment
        return data.event_bytes(lo, hi)
    data, positions = segment
    return b",".join(data.one_event(p) for p in positions)
