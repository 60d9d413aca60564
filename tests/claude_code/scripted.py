"""A stateful scripted Anthropic for sync tests (httpx.MockTransport): a ground truth of Console
rows per day and Enterprise activity and costs, served with pagination, plus injectable faults."""

from __future__ import annotations

import httpx

from .fakes import console_row, error

PAGE = 2  # tiny pages, so every sync exercises next_page


class ScriptedAnthropic:
    def __init__(self):
        self.console: dict[str, list[dict]] = {}  # "YYYY-MM-DD" → rows
        self.roster: list[dict] = []
        self.activity: dict[str, list[dict]] = {}
        self.costs: list[dict] = []
        self.usage: list[dict] = []
        self.faults: list[tuple[str, httpx.Response]] = []  # (path substring, response), used once each
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.latest_activity_day: str | None = None

    def add_console_day(self, day: str, *emails: str, api_keys=(), **core) -> None:
        rows = [console_row(e, day, **core) for e in emails]
        rows += [console_row(day=day, api_key=k, **core) for k in api_keys]
        self.console[day] = rows

    def fail_next(self, path_part: str, response: httpx.Response, times: int = 1) -> None:
        self.faults += [(path_part, response)] * times

    def _paged(self, request, rows):
        start = int(request.url.params.get("page", "p0")[1:])
        chunk = rows[start : start + PAGE]
        more = start + PAGE < len(rows)
        return httpx.Response(
            200, json={"data": chunk, "has_more": more, "next_page": f"p{start + PAGE}" if more else None}
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        for i, (part, response) in enumerate(self.faults):
            if part in path:
                del self.faults[i]
                return response
        params = request.url.params
        if path == "/v1/organizations/usage_report/claude_code":
            return self._paged(request, self.console.get(params["starting_at"], []))
        if path == "/v1/organizations/users":
            return httpx.Response(
                200, json={"data": self.roster, "has_more": False, "first_id": None, "last_id": None}
            )
        if path == "/v1/organizations/analytics/users":
            day = params["date"]
            if self.latest_activity_day and day > self.latest_activity_day:
                return error(
                    400,
                    "invalid_request_error",
                    f"the most recent available day is {self.latest_activity_day}",
                )
            response = self._paged(request, self.activity.get(day, []))
            body = response.json()
            body.pop("has_more")
            return httpx.Response(200, json=body)
        if path.endswith("/user_cost_report") or path.endswith("/user_usage_report"):
            rows = self.costs if path.endswith("cost_report") else self.usage
            start, end = params["starting_at"], params["ending_at"]
            return self._paged(request, [r for r in rows if start <= r["starting_at"] < end])
        return error(404, "not_found_error", "The requested resource could not be found.")

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def days_requested(self) -> list[str]:
        return [
            r.url.params["starting_at"]
            for r in self.requests
            if r.url.path.endswith("/claude_code") and "page" not in r.url.params
        ]
