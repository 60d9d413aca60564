"""A scripted fake of Cursor's API on ``httpx.MockTransport`` for client unit tests.

Routes map (METHOD, path) to either a callable ``(request) -> httpx.Response`` or a list of
responses served in order (the last one repeats). Every request is recorded.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date

import httpx

from integrations.cursor.client import CursorClient
from integrations.cursor.ratelimit import NoRateLimit

API_KEY = "crsr_" + "s3cr3tK3y" * 7 + "x"  # 64 characters after the prefix, like a real key
BASE_URL = "https://cursor.test"


def ok(payload, status: int = 200, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


def error(status: int, error_text: str, message: str, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": error_text, "message": message}, headers=headers)


def raw(status: int, content: bytes, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, content=content, headers=headers)


class FakeCursor:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Callable | list] = {}
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self.sleeps: list[float] = []
        self.waits: list[tuple[float, str]] = []

    def route(self, method: str, path: str, handler) -> None:
        if isinstance(handler, httpx.Response):
            handler = [handler]
        self.routes[(method, path)] = handler

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(time.monotonic())
        handler = self.routes.get((request.method, request.url.path))
        if handler is None:
            return error(404, "Not Found", "Resource not found")
        if callable(handler):
            return handler(request)
        return handler.pop(0) if len(handler) > 1 else handler[0]

    def client(self, **kwargs) -> CursorClient:
        kwargs.setdefault("base_url", BASE_URL)
        kwargs.setdefault("limiter", NoRateLimit())
        kwargs.setdefault("sleep", self.sleeps.append)
        kwargs.setdefault("on_wait", lambda seconds, reason: self.waits.append((seconds, reason)))
        kwargs.setdefault("transport", httpx.MockTransport(self))
        return CursorClient(API_KEY, **kwargs)

    # helpers for assertions
    def bodies(self, path: str | None = None) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if path is None or r.url.path == path]

    def params(self, path: str | None = None) -> list[dict]:
        return [dict(r.url.params) for r in self.requests if path is None or r.url.path == path]


def body_of(request: httpx.Request) -> dict:
    return json.loads(request.content)


# -- record builders: the newest documented shapes (D4 in docs/cursor-api.md §0), invented values


def member(i: int, **over) -> dict:
    rec = {
        "id": f"user_{i:04d}",
        "name": f"User {i}",
        "email": f"User{i}@Example.com ",
        "role": "member",
        "isRemoved": False,
    }
    rec.update(over)
    return rec


def usage_event(i: int, ts_ms: int = 1754040000123, **over) -> dict:
    rec = {
        "timestamp": str(ts_ms),
        "userEmail": f"user{i % 50}@example.com",
        "conversationId": f"conv-{i}",
        "model": "claude-4.5-sonnet",
        "kind": "Usage-based",
        "maxMode": False,
        "requestsCosts": 2,
        "isTokenBasedCall": True,
        "isChargeable": True,
        "isHeadless": False,
        "tokenUsage": {
            "inputTokens": 900,
            "outputTokens": 210,
            "cacheWriteTokens": 4000,
            "cacheReadTokens": 12000,
            "totalCents": 7.91,
        },
        "chargedCents": 8.4,
        "cursorTokenFee": 0.49,
    }
    rec.update(over)
    return rec


def daily_row(user: int, day: str, **over) -> dict:
    try:
        day_ms = (date.fromisoformat(day) - date(1970, 1, 1)).days * 86_400_000
    except ValueError:
        day_ms = None
    rec = {
        "userId": user,
        "day": day,
        "date": day_ms,
        "email": f"user{user}@example.com",
        "isActive": True,
        "totalLinesAdded": 10,
        "totalLinesDeleted": 2,
        "acceptedLinesAdded": 5,
        "acceptedLinesDeleted": 1,
        "totalApplies": 3,
        "totalAccepts": 2,
        "totalRejects": 1,
        "totalTabsShown": 20,
        "totalTabsAccepted": 7,
        "composerRequests": 1,
        "chatRequests": 2,
        "agentRequests": 3,
        "cmdkUsages": 4,
        "subscriptionIncludedReqs": 5,
        "apiKeyReqs": 0,
        "usageBasedReqs": 1,
        "bugbotUsages": 0,
        "mostUsedModel": "gpt-5",
        "applyMostUsedExtension": ".py",
        "tabMostUsedExtension": ".tsx",
        "clientVersion": "1.6.0",
    }
    rec.update(over)
    return rec


def spend_row(i: int, **over) -> dict:
    rec = {
        "userId": f"user_{i:04d}",
        "name": f"User {i}",
        "email": f"user{i}@example.com",
        "role": "member",
        "spendCents": 1234.567891,
        "overallSpendCents": 5234.567891,
        "fastPremiumRequests": 310,
        "hardLimitOverrideDollars": 0,
        "monthlyLimitDollars": None,
        "effectivePerUserLimitDollars": 200,
    }
    rec.update(over)
    return rec


def ai_commit(i: int, **over) -> dict:
    rec = {
        "commitHash": f"{i:040x}",
        "userId": f"user_{i:04d}",
        "userEmail": f"User{i}@example.com",
        "repoName": "acme/app",
        "branchName": "main",
        "isPrimaryBranch": True,
        "commitSource": "ide",
        "totalLinesAdded": 40,
        "totalLinesDeleted": 4,
        "tabLinesAdded": 10,
        "tabLinesDeleted": 1,
        "composerLinesAdded": 20,
        "composerLinesDeleted": 2,
        "nonAiLinesAdded": 10,
        "nonAiLinesDeleted": 1,
        "message": "Fix things",
        "commitTs": "2026-08-01T10:00:00.000Z",
        "createdAt": "2026-08-01T10:05:00.000Z",
    }
    rec.update(over)
    return rec


def ai_change(i: int, **over) -> dict:
    rec = {
        "changeId": str(749356201 + i),
        "userId": f"user_{i:04d}",
        "userEmail": f"user{i}@example.com",
        "source": "COMPOSER",
        "model": "gpt-5",
        "totalLinesAdded": 12,
        "totalLinesDeleted": 3,
        "createdAt": "2026-08-01T10:05:00Z",
        "metadata": [{"fileExtension": "py", "linesAdded": 12, "linesDeleted": 3}],
    }
    rec.update(over)
    return rec
