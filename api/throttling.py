"""Per-token rate limiting: each API token (or, for the browser, each user) has its own budget.

The rate comes from `settings.API_THROTTLE_RATE` (default 120 requests a minute) so an
operator can change it without code, and tests can lower it. Over budget DRF answers 429
with a `Retry-After` header.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from koalr.accounts.models import ApiToken

DEFAULT_RATE = "120/min"


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self):
        return getattr(settings, "API_THROTTLE_RATE", DEFAULT_RATE)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
