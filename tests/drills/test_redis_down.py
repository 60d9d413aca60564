"""Drill (finding 12): Redis, the cache behind the dashboard and the API throttle, dies.

/ai-analytics/ and /api/v1/ must keep answering from the database, with a logged warning,
instead of a 500.
"""

import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from koalr.accounts.services import create_api_token

from .procs import say

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(redis_server, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_server.url}
    }
    yield redis_server


def test_pages_and_api_read_through_when_redis_dies(seeded_org, owner, redis_cache, caplog):
    org = seeded_org
    page = Client()
    page.force_login(owner)
    _, token = create_api_token(organization=org, user=owner, name="drill")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    end = timezone.now().date()
    params = {"start": (end - timedelta(days=6)).isoformat(), "end": end.isoformat()}
    url = f"/api/v1/orgs/{org.slug}/usage/daily"

    healthy_page = page.get("/ai-analytics/")
    healthy_api = api.get(url, params)
    assert healthy_page.status_code == 200 and healthy_api.status_code == 200
    assert any(k.startswith(b":1:analytics:") for k in cache._cache.get_client().keys("*")), (
        "nothing was cached"
    )

    redis_cache.kill()
    with caplog.at_level(logging.WARNING):
        down_page = page.get("/ai-analytics/")
        down_api = api.get(url, params)
    say(f"with Redis killed: /ai-analytics/ -> {down_page.status_code}, {url} -> {down_api.status_code}")
    assert down_page.status_code == 200
    assert down_api.status_code == 200
    assert down_api.json() == healthy_api.json()  # the same figures, read from the database
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("analytics cache unavailable" in w for w in warnings), warnings
    assert any("API throttle cache unavailable" in w for w in warnings), warnings
