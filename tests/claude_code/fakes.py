"""A scripted Anthropic API on httpx.MockTransport: routes answer queued responses in order."""

from __future__ import annotations

import json
from collections import defaultdict

import httpx

BASE_URL = "https://api.anthropic.test"
ADMIN_KEY = "sk-ant-admin01-" + "a" * 40 + "SEKRET"
ANALYTICS_KEY = "sk-ant-api01-" + "b" * 40 + "SEKRET"


def ok(body) -> httpx.Response:
    return httpx.Response(200, json=body)


def error(status: int, kind: str, message: str = "", headers=None) -> httpx.Response:
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"}
    return httpx.Response(status, json=body, headers=headers or {})


def console_row(
    email="ada@example.com", day="2026-11-17", *, api_key=None, remote=False, models=None, **core
):
    actor = (
        {"type": "api_actor", "api_key_name": api_key}
        if api_key
        else {"type": "user_actor", "email_address": email}
    )
    return {
        "actor": actor,
        "organization_id": "12345678-1234-5678-1234-567812345678",
        "customer_type": "api",
        "subscription_type": None,
        "terminal_type": "vscode",
        "is_remote": remote,
        "date": f"{day}T00:00:00Z",
        "core_metrics": {
            "num_sessions": core.get("sessions", 3),
            "lines_of_code": {"added": core.get("added", 100), "removed": core.get("removed", 20)},
            "commits_by_claude_code": core.get("commits", 2),
            "pull_requests_by_claude_code": core.get("prs", 1),
        },
        "tool_actions": core.get("tool_actions", {"edit_tool": {"accepted": 5, "rejected": 1}}),
        "model_breakdown": models
        if models is not None
        else [
            {
                "model": "claude-sonnet-5",
                "tokens": {"input": 1000, "output": 200, "cache_read": 50, "cache_creation": 10},
                "estimated_cost": {"amount": 42, "currency": "USD"},
            }
        ],
    }


def page(data, next_page=None):
    return {"data": data, "has_more": next_page is not None, "next_page": next_page}


class FakeAnthropic:
    def __init__(self):
        self.routes: dict[str, list] = defaultdict(list)
        self.requests: list[httpx.Request] = []

    def route(self, path: str, *responses) -> None:
        self.routes[path].extend(responses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get(request.url.path)
        if not queue:
            return error(404, "not_found_error", "The requested resource could not be found.")
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        if callable(item):
            return item(request)
        return item

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def client_options(self, **extra) -> dict:
        self.sleeps: list[float] = []
        return {"base_url": BASE_URL, "transport": self.transport(), "sleep": self.sleeps.append, **extra}


def body_of(request: httpx.Request):
    return json.loads(request.content) if request.content else None
