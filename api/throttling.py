"""Per-token rate limiting: each API token (or, for the browser, each user) has its own budget.

The rate comes from `settings.API_THROTTLE_RATE` (default 120 requests a minute) so an
operator can change it without code, and tests can lower it. Over budget DRF answers 429
with a `Retry-After` header.

The budget lives in the cache (Redis). If the cache fails, the throttle fails open with a
logged warning: the API keeps answering rather than turning every call into a 500.
"""

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from koalr.accounts.models import ApiToken

logger = logging.getLogger(__name__)

DEFAULT_RATE = "120/min"


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self):
        return getattr(settings, "API_THROTTLE_RATE", DEFAULT_RATE)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # the cache backend failed (Redis down): fail open
            logger.warning("API throttle cache unavailable (%s); request allowed", type(exc).__name__)
            return True

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
