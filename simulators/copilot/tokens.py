"""Tokens the simulator accepts, and what each endpoint family requires of them
(docs/copilot-api.md §1.2)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field

_ALNUM = string.ascii_letters + string.digits
CLASSIC_SCOPES = ("read:org", "manage_billing:copilot", "read:enterprise")

# family -> (classic scopes, any of which suffices; fine-grained permissions, any of which suffices;
#            None = fine-grained tokens are not supported)
REQUIREMENTS = {
    "org_metrics": (("read:org", "admin:org"), ("organization_copilot_metrics",)),
    "enterprise_metrics": (
        ("manage_billing:copilot", "read:enterprise", "admin:enterprise"),
        ("enterprise_copilot_metrics",),
    ),
    "org_seats": (
        ("manage_billing:copilot", "read:org", "admin:org"),
        ("organization_copilot_seat_management", "organization_administration"),
    ),
    "enterprise_seats": (("manage_billing:copilot", "read:enterprise", "admin:enterprise"), None),
    "org_billing_usage": (("manage_billing:copilot", "admin:org"), ("organization_administration",)),
    "enterprise_billing_usage": (
        ("manage_billing:copilot", "manage_billing:enterprise", "read:enterprise", "admin:enterprise"),
        None,
    ),
    "user": ((), ()),
}
NOT_ACCESSIBLE = "Resource not accessible by personal access token"
FINE_GRAINED_UNSUPPORTED = "Fine-grained personal access tokens are not supported for this endpoint"


def classic_token() -> str:
    return "ghp_" + "".join(secrets.choice(_ALNUM) for _ in range(36))


def fine_grained_token() -> str:
    return (
        "github_pat_"
        + "".join(secrets.choice(_ALNUM) for _ in range(22))
        + "_"
        + "".join(secrets.choice(_ALNUM) for _ in range(59))
    )


@dataclass
class SimToken:
    """A token: whose it is, what it may see (org logins / enterprise slugs, or "*" for all), and
    its classic scopes or fine-grained permissions ({name: "read"})."""

    value: str
    kind: str = "classic"  # or "fine_grained"
    scopes: tuple[str, ...] = CLASSIC_SCOPES
    permissions: dict = field(default_factory=dict)
    orgs: set | str = "*"
    enterprises: set | str = "*"
    login: str = "koalr-bot"
    user_id: int = 424242

    def __post_init__(self):
        if self.kind not in ("classic", "fine_grained"):
            raise ValueError("kind must be 'classic' or 'fine_grained'")

    def __repr__(self) -> str:  # never print the secret
        return f"SimToken(kind={self.kind!r}, login={self.login!r}, scopes={self.scopes!r})"

    def sees_org(self, login: str) -> bool:
        return self.orgs == "*" or login.lower() in {o.lower() for o in self.orgs}

    def sees_enterprise(self, slug: str) -> bool:
        return self.enterprises == "*" or slug.lower() in {e.lower() for e in self.enterprises}

    def denial(self, family: str) -> tuple[str, dict] | None:
        """(message, headers) of the 403 when the token lacks what `family` needs, else None."""
        classic, fine = REQUIREMENTS[family]
        if self.kind == "classic":
            if not classic or set(classic) & set(self.scopes):
                return None
            return NOT_ACCESSIBLE, {"x-accepted-oauth-scopes": ", ".join(classic)}
        if fine is None:
            return FINE_GRAINED_UNSUPPORTED, {}
        if not fine or any(self.permissions.get(p) in ("read", "write") for p in fine):
            return None
        return NOT_ACCESSIBLE, {"x-accepted-github-permissions": ",".join(f"{p}=read" for p in fine)}
