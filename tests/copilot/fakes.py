"""A scripted fake of GitHub's Copilot API and its report download host on httpx.MockTransport.

``FakeGitHub`` serves the API (routes: path → response, list of responses served in order with
the last repeating, or callable) and, through a second transport, the signed download links
(``files``: URL → bytes, or a list of status codes/bytes served in order). Every request to
either host is recorded, so tests can assert the token never reached the download host.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import httpx

from integrations.copilot.client import CopilotClient
from integrations.ratelimit import NoRateLimit

TOKEN = "ghp_" + "T0kenS3cret" * 3 + "xyz"
BASE_URL = "https://api.github.test"
DOWNLOAD_HOST = "https://copilot-reports.github.test"


def ok(payload, status: int = 200, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


def gh_error(status: int, message: str, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        json={"message": message, "documentation_url": "https://docs.github.com/rest", "status": str(status)},
        headers=headers,
    )


def user_line(login: str, day: date, **overrides) -> dict:
    record = {
        "user_id": abs(hash(login)) % 10_000_000,
        "user_login": login,
        "day": day.isoformat(),
        "organization_id": "90211",
        "enterprise_id": "4417",
        "user_initiated_interaction_count": 10,
        "code_generation_activity_count": 30,
        "code_acceptance_activity_count": 12,
        "loc_suggested_to_add_sum": 200,
        "loc_suggested_to_delete_sum": 0,
        "loc_added_sum": 150,
        "loc_deleted_sum": 20,
        "ai_credits_used": 42.5,
        "used_agent": True,
        "used_chat": True,
        "used_cli": False,
        "ai_adoption_phase": {"phase_number": 2, "phase": "Phase 2", "version": "v1"},
        "totals_by_ide": [
            {
                "ide": "vscode",
                "user_initiated_interaction_count": 10,
                "code_generation_activity_count": 30,
                "code_acceptance_activity_count": 12,
                "loc_suggested_to_add_sum": 200,
                "loc_suggested_to_delete_sum": 0,
                "loc_added_sum": 150,
                "loc_deleted_sum": 20,
            }
        ],
        "totals_by_feature": [
            {
                "feature": "code_completion",
                "user_initiated_interaction_count": 0,
                "code_generation_activity_count": 20,
                "code_acceptance_activity_count": 8,
                "loc_suggested_to_add_sum": 120,
                "loc_suggested_to_delete_sum": 0,
                "loc_added_sum": 60,
                "loc_deleted_sum": 0,
            }
        ],
        "totals_by_language_feature": [
            {
                "language": "python",
                "feature": "code_completion",
                "code_generation_activity_count": 20,
                "code_acceptance_activity_count": 8,
                "loc_suggested_to_add_sum": 120,
                "loc_suggested_to_delete_sum": 0,
                "loc_added_sum": 60,
                "loc_deleted_sum": 0,
            }
        ],
        "totals_by_language_model": [],
        "totals_by_model_feature": [
            {
                "model": "claude-sonnet-4.6",
                "feature": "chat_panel_agent_mode",
                "user_initiated_interaction_count": 10,
                "code_generation_activity_count": 10,
                "code_acceptance_activity_count": 4,
                "loc_suggested_to_add_sum": 80,
                "loc_suggested_to_delete_sum": 0,
                "loc_added_sum": 90,
                "loc_deleted_sum": 20,
            }
        ],
        "totals_by_3rd_party_agent": [],
    }
    record.update(overrides)
    return record


def ndjson(*records) -> bytes:
    return ("\n".join(json.dumps(r) for r in records) + "\n").encode()


def seat(login: str, *, user_id: int | None = None, **overrides) -> dict:
    value = {
        "created_at": "2026-01-05T10:00:00Z",
        "updated_at": "2026-01-05T10:00:00Z",
        "pending_cancellation_date": None,
        "last_activity_at": "2026-11-20T09:00:00Z",
        "last_activity_editor": "vscode/1.106.1/copilot/1.300.0",
        "last_authenticated_at": "2026-11-20T09:00:00Z",
        "plan_type": "business",
        "assignee": {"login": login, "id": user_id or abs(hash(login)) % 10_000_000, "type": "User"},
        "assigning_team": {"id": 1, "name": "Platform", "slug": "platform"},
    }
    value.update(overrides)
    return value


class FakeGitHub:
    def __init__(self) -> None:
        self.routes: dict[str, Callable | list] = {}
        self.files: dict[str, bytes | list] = {}
        self.requests: list[httpx.Request] = []
        self.downloads: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.waits: list[tuple[float, str]] = []

    def route(self, path: str, handler) -> None:
        if isinstance(handler, httpx.Response):
            handler = [handler]
        self.routes[path] = handler

    def report(self, path: str, day: date | None, files: dict[str, bytes], **extra) -> None:
        """Serve a report whose download links point at ``files`` on the download host."""
        links = []
        for name, content in files.items():
            url = f"{DOWNLOAD_HOST}/{name}?sig=abc123&se=2026-12-01"
            self.files[url] = content
            links.append(url)
        body = {"download_links": links, **extra}
        if day is not None:
            body.setdefault("report_day", day.isoformat())
        self.route(path, ok(body))

    def api(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = self.routes.get(request.url.path)
        if handler is None:
            return gh_error(404, "Not Found")
        if callable(handler):
            return handler(request)
        return handler.pop(0) if len(handler) > 1 else handler[0]

    def download(self, request: httpx.Request) -> httpx.Response:
        self.downloads.append(request)
        content = self.files.get(str(request.url))
        if content is None:
            return httpx.Response(404, text="BlobNotFound")
        if isinstance(content, list):
            content = content.pop(0) if len(content) > 1 else content[0]
        if isinstance(content, int):
            return httpx.Response(content, text="error")
        if isinstance(content, Exception):
            raise content
        return httpx.Response(200, content=content, headers={"Content-Type": "application/x-ndjson"})

    def client(self, **kwargs) -> CopilotClient:
        kwargs.setdefault("base_url", BASE_URL)
        kwargs.setdefault("slug", "acme")
        kwargs.setdefault("limiter", NoRateLimit())
        kwargs.setdefault("sleep", self.sleeps.append)
        kwargs.setdefault("on_wait", lambda s, r: self.waits.append((s, r)))
        return CopilotClient(
            TOKEN,
            transport=httpx.MockTransport(self.api),
            download_transport=httpx.MockTransport(self.download),
            **kwargs,
        )
