"""A small GitHub organization with known ground truth, served by FakeGitHub (MockTransport):
seats, per-user reports per day (some days without a report), the 28-day report, the org
aggregate and AI-credit usage. Faults can be scheduled per day."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from .fakes import DOWNLOAD_HOST, FakeGitHub, gh_error, ndjson, ok, seat, user_line

ORG = "acme"
REPORTS = f"/orgs/{ORG}/copilot/metrics/reports"


class ScriptedGitHub(FakeGitHub):
    def __init__(self, today: date, *, days: int = 10, logins=("ada", "bob", "cy"), missing=(), emails=None):
        super().__init__()
        self.today = today
        self.logins = list(logins)
        self.emails = emails or {}
        self.missing = set(missing)  # days answered 404 (no report)
        self.faults: dict[date, httpx.Response] = {}  # per-day response replacing the report
        self.latest = today - timedelta(days=2)  # GitHub's processing lag
        self.truth: dict[date, list[dict]] = {}
        for i in range(days):
            day = self.latest - timedelta(days=i)
            if day in self.missing:
                continue
            # Each login is active on a different subset of days, with day-dependent figures.
            self.truth[day] = [
                user_line(
                    login,
                    day,
                    user_initiated_interaction_count=n + day.day,
                    code_acceptance_activity_count=n * 2 + 1,
                    loc_suggested_to_add_sum=10 * n + day.day,
                    loc_added_sum=5 * n + 1,
                    ai_credits_used=float(n) + 0.5,
                )
                for n, login in enumerate(self.logins, start=1)
                if (day.toordinal() + n) % 3 != 0
            ]
        self.route(f"/orgs/{ORG}/copilot/billing/seats", self._seats)
        self.route(f"{REPORTS}/users-1-day", self._users_day)
        self.route(f"{REPORTS}/users-28-day/latest", self._users_28)
        self.route(f"{REPORTS}/organization-1-day", self._org_day)
        self.route(f"/organizations/{ORG}/settings/billing/ai_credit/usage", self._usage)
        self.route(f"/organizations/{ORG}/settings/billing/premium_request/usage", self._usage)

    def _seats(self, request):
        seats = []
        for login in self.logins:
            value = seat(login)
            if login in self.emails:
                value["assignee"]["email"] = self.emails[login]
            seats.append(value)
        return ok({"total_seats": len(seats), "seats": seats})

    def _link(self, name: str, content: bytes) -> str:
        url = f"{DOWNLOAD_HOST}/{name}?sig=s"
        self.files[url] = content
        return url

    def _users_day(self, request):
        day = date.fromisoformat(request.url.params["day"])
        if day in self.faults:
            return self.faults[day]
        if day > self.latest or day not in self.truth:
            return httpx.Response(204) if day > self.latest else gh_error(404, "Not Found")
        return ok(
            {"download_links": [self._link(f"u-{day}", ndjson(*self.truth[day]))], "report_day": str(day)}
        )

    def _users_28(self, request):
        start = self.latest - timedelta(days=27)
        lines = [r for d, rs in sorted(self.truth.items()) if d >= start for r in rs]
        link = self._link("u28", ndjson(*lines))
        return ok(
            {"download_links": [link], "report_start_day": str(start), "report_end_day": str(self.latest)}
        )

    def _org_day(self, request):
        day = date.fromisoformat(request.url.params["day"])
        if day not in self.truth:
            return gh_error(404, "Not Found")
        body = f'{{"day": "{day}", "daily_active_users": {len(self.truth[day])}}}'.encode()
        return ok({"download_links": [self._link(f"o-{day}", body)], "report_day": str(day)})

    def _usage(self, request):
        user = request.url.params.get("user")
        amount = 1.5 if user else 9.0
        item = {
            "product": "Copilot", "sku": "Copilot AI Credits", "model": "GPT-5", "unitType": "credits",
            "pricePerUnit": 0.01, "grossQuantity": amount * 100, "grossAmount": amount, "discountQuantity": 0,
            "discountAmount": 0, "netQuantity": amount * 100, "netAmount": amount,
        }  # fmt: skip
        return ok({"timePeriod": {"year": 2026}, "organization": ORG, "usageItems": [item]})

    def expected(self, start: date, end: date) -> dict[tuple[str, date], dict]:
        """(login, day) → the report's figures, for days in start..end."""
        return {(r["user_login"], d): r for d, rs in self.truth.items() if start <= d <= end for r in rs}
