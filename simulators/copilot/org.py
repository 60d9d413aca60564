"""`SimOrg` (an organization with Copilot seats) and `SimEnterprise` (a group of organizations)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .billing import seat_row
from .roster import GitHubUser, Seat, build_seats
from .scope import Scope, _DayCache
from .util import midnight


class SimOrg(Scope):
    """An organization served by a CopilotSimulator. Ground-truth methods return what the API serves."""

    kind = "org"

    def __init__(
        self,
        *,
        login: str,
        org_id: int,
        seed: int,
        people: list[GitHubUser],
        plan: str,
        now: datetime,
        days: int,
        cache: _DayCache,
        enterprise_id: int | None = None,
    ):
        if plan not in ("business", "enterprise"):
            raise ValueError("plan must be 'business' or 'enterprise'")
        super().__init__(slug=login, entity_id=org_id, now=now, days=days, cache=cache)
        self.login = login
        self.seed = seed
        self.plan = plan
        self.enterprise_id = enterprise_id
        self.enterprise: SimEnterprise | None = None
        self.people = people
        self.seats: list[Seat] = build_seats(seed, people, self.today, plan)
        self._seat_by_login = {s.user.login.lower(): s for s in self.seats}
        # `/orgs/{org}/copilot/billing` settings (docs/copilot-api.md §4.2).
        self.settings = {
            "seat_management_setting": "assign_selected",
            "ide_chat": "enabled",
            "platform_chat": "enabled",
            "cli": "enabled",
            "public_code_suggestions": "block",
        }
        self.billing_consolidated = False  # True: org billing paths answer 404 (billed by the enterprise)

    def ids(self) -> dict:
        ids = {"enterprise_id": str(self.enterprise_id)} if self.enterprise_id is not None else {}
        ids["organization_id"] = str(self.id)
        return ids

    def team_seats(self, day: date):
        return [(self, s) for s in self.seats if s.created_at.date() <= day]

    def seat(self, login: str) -> Seat | None:
        return self._seat_by_login.get(login.lower())

    def seated(self, user: GitHubUser, day: date) -> bool:
        seat = self._seat_by_login.get(user.login.lower())
        return seat is not None and seat.user.id == user.id and seat.created_at.date() <= day

    def people_on(self, day: date) -> list[GitHubUser]:
        return [s.user for s in self.seats if s.created_at.date() <= day]

    def billing_people(self) -> list[GitHubUser]:
        return [s.user for s in self.seats]

    def billing_plan(self, user: GitHubUser) -> str:
        seat = self.seat(user.login)
        return seat.plan_type if seat and seat.plan_type in ("business", "enterprise") else self.plan

    def last_activity(self, user: GitHubUser) -> tuple[datetime, str] | None:
        """The seat's `last_activity_at` and `last_activity_editor`: the person's latest activity
        at or before `now` (today's included once it has happened)."""
        day = self.today
        seat = self.seat(user.login)
        start = max(self.first_day, seat.created_at.date()) if seat else self.first_day
        while day >= start:
            ud = self._cache.get(user, day)
            if ud is not None:
                moment = midnight(day) + timedelta(seconds=ud.last_seconds)
                if moment <= self._now:
                    return moment, ud.editor
            day -= timedelta(days=1)
        if user.history_last_active and seat and user.history_last_active >= seat.created_at.date():
            moment = midnight(user.history_last_active) + timedelta(hours=11, minutes=user.id % 60)
            return moment, f"{user.ides[0]}/{user.ide_versions[user.ides[0]]}/copilot/1.300.0"
        return None

    def pending_cancellation_date(self) -> date:
        """Seats pending cancellation end at the start of the next billing cycle (the 1st)."""
        return (self.today.replace(day=1) + timedelta(days=32)).replace(day=1)

    def seat_rows(self) -> list[dict]:
        """`/orgs/{org}/copilot/billing/seats` items, all pages, in order."""
        return [seat_row(self, seat) for seat in self.seats]

    def seat_breakdown(self) -> dict:
        cycle_start = midnight(self.today.replace(day=1))
        active = 0
        added = 0
        for seat in self.seats:
            last = self.last_activity(seat.user)
            if last is not None and last[0] >= cycle_start:
                active += 1
            if seat.created_at >= cycle_start:
                added += 1
        total = len(self.seats)
        return {
            "total": total,
            "added_this_cycle": added,
            "pending_invitation": 0,
            "pending_cancellation": sum(1 for s in self.seats if s.pending_cancellation),
            "active_this_cycle": active,
            "inactive_this_cycle": total - active,
        }

    def overlap_with_cursor(self) -> list[dict]:
        """People who are also Cursor members: login, the Cursor email, and the email the seat API
        shows (None when hidden, so a sync must map them by login)."""
        return [
            {"login": u.login, "user_id": u.id, "cursor_email": u.cursor_email, "seat_email": u.email}
            for u in self.people
            if u.cursor_email
        ]


class SimEnterprise(Scope):
    """An enterprise: the union of its organizations' seats; each person counted once."""

    kind = "enterprise"

    def __init__(
        self, *, slug: str, enterprise_id: int, orgs: list[SimOrg], now: datetime, days: int, cache: _DayCache
    ):
        super().__init__(slug=slug, entity_id=enterprise_id, now=now, days=days, cache=cache)
        self.orgs = orgs

    def ids(self) -> dict:
        return {"enterprise_id": str(self.id)}

    def _people(self) -> list[tuple[GitHubUser, datetime]]:
        seen: dict[int, tuple[GitHubUser, datetime]] = {}
        for org in self.orgs:
            for seat in org.seats:
                known = seen.get(seat.user.id)
                if known is None or seat.created_at < known[1]:
                    seen[seat.user.id] = (
                        seat.user,
                        seat.created_at if known is None else min(seat.created_at, known[1]),
                    )
        return list(seen.values())

    def people_on(self, day: date) -> list[GitHubUser]:
        return [u for u, created in self._people() if created.date() <= day]

    def team_seats(self, day: date):
        return [pair for org in self.orgs for pair in org.team_seats(day)]

    def seated(self, user: GitHubUser, day: date) -> bool:
        return any(o.seated(user, day) for o in self.orgs)

    def billing_people(self) -> list[GitHubUser]:
        return [u for u, _ in self._people()]

    def billing_plan(self, user: GitHubUser) -> str:
        for org in self.orgs:
            if org.seat(user.login) is not None:
                return org.billing_plan(user)
        return "enterprise"

    def seat_rows(self) -> list[dict]:
        """`/enterprises/{e}/copilot/billing/seats` items: one per granting organization."""
        return [seat_row(org, seat) for org in self.orgs for seat in org.seats]

    @property
    def total_seats(self) -> int:
        return len(self._people())
