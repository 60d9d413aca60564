"""The address a request really comes from, for lockouts and rate limits.

Behind N trusted proxies (`TRUSTED_PROXY_COUNT`), each proxy appends the address it received
the request from to X-Forwarded-For, so the client is the N-th entry from the right; anything
further left was written by the client and is ignored. With no trusted proxy (the default),
REMOTE_ADDR is the client and X-Forwarded-For is not read at all, so it cannot be spoofed.

Written here rather than taken from django-ipware: ipware ranks many headers and guesses
about private ranges, where the rule we need is this one counted from the right.
"""

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: the request did not come through them; REMOTE_ADDR is its sender.
        return remote
    return forwarded[-proxies]


def ratelimit_key(group, request) -> str:
    """django-ratelimit's `key` callable: count per real client address."""
    return client_ip(request)
