"""Seat rows and billing-usage items in GitHub's shapes (docs/copilot-api.md §4, §5)."""

from __future__ import annotations

import zlib
from datetime import timedelta

from .util import credits_number, dollars, iso_z

API = "https://api.github.com"
PRICE = {
    "ai_credit": (0.01, 100, "Copilot AI Credits", "credits"),
    "premium_request": (0.04, 400, "Copilot Premium Request", "requests"),
}


def node_id(prefix: str, number: int) -> str:
    return f"{prefix}_kgDO{number:08X}"


def simple_user(user) -> dict:
    row = {
        "login": user.login,
        "id": user.id,
        "node_id": node_id("U", user.id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
        "gravatar_id": "",
        "url": f"{API}/users/{user.login}",
        "html_url": f"https://github.com/{user.login}",
        "type": "User",
        "site_admin": False,
        "name": user.name,
    }
    if user.email:
        row["email"] = user.email
    return row


def simple_org(org) -> dict:
    return {
        "login": org.login,
        "id": org.id,
        "node_id": node_id("O", org.id),
        "url": f"{API}/orgs/{org.login}",
        "repos_url": f"{API}/orgs/{org.login}/repos",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{org.id}?v=4",
        "description": None,
    }


def team_id(org, slug: str) -> int:
    return 7_000_000 + (org.id % 1000) * 100 + zlib.crc32(slug.encode()) % 100


def team_row(org, slug: str) -> dict:
    tid = team_id(org, slug)
    return {
        "id": tid,
        "node_id": node_id("T", tid),
        "name": slug.title(),
        "slug": slug,
        "description": None,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "url": f"{API}/organizations/{org.id}/team/{tid}",
        "html_url": f"https://github.com/orgs/{org.login}/teams/{slug}",
        "members_url": f"{API}/organizations/{org.id}/team/{tid}/members{{/member}}",
        "repositories_url": f"{API}/organizations/{org.id}/team/{tid}/repos",
        "parent": None,
    }


def seat_row(org, seat) -> dict:
    """One `seats[]` item (`additionalProperties: false`)."""
    last = org.last_activity(seat.user)
    authenticated = None
    if last is not None:
        authenticated = last[0] - timedelta(minutes=seat.user.id % 50)
        authenticated = max(authenticated, seat.created_at)
    row = {
        "created_at": iso_z(seat.created_at),
        "updated_at": iso_z(seat.created_at),
        "pending_cancellation_date": org.pending_cancellation_date().isoformat()
        if seat.pending_cancellation
        else None,
        "last_activity_at": iso_z(last[0]) if last else None,
        "last_activity_editor": last[1] if last else None,
        "last_authenticated_at": iso_z(authenticated) if authenticated else None,
        "assignee": simple_user(seat.user),
        "organization": simple_org(org),
        "assigning_team": team_row(org, seat.assigning_team) if seat.assigning_team else None,
    }
    if seat.plan_type is not None:
        row["plan_type"] = seat.plan_type
    return row


def usage_item(kind: str, model: str, gross: int, discount: int) -> dict:
    """One `usageItems[]` entry; `gross`/`discount` in hundredths of a credit or in requests."""
    price, per_unit_tenk, sku, unit = PRICE[kind]
    net = gross - discount
    if kind == "ai_credit":
        quantity = credits_number
        amount = dollars  # hundredths of a credit x $0.01 = 1/10,000 dollar
    else:
        quantity = int

        def amount(q):
            return dollars(q * per_unit_tenk)

    return {
        "product": "Copilot",
        "sku": sku,
        "model": model,
        "unitType": unit,
        "pricePerUnit": price,
        "grossQuantity": quantity(gross),
        "grossAmount": amount(gross),
        "discountQuantity": quantity(discount),
        "discountAmount": amount(discount),
        "netQuantity": quantity(net),
        "netAmount": amount(net),
    }
