"""Fixtures of the trust suite: the two-organisation world and API clients for its sides."""

import pytest
from rest_framework.test import APIClient

from core.api import CallerRateThrottle
from tests.trust.world import build_world

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
DEAD_CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": DEAD_REDIS,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture(autouse=True)
def _throttle_cache_healthy():
    """A test that kills the cache must not switch throttling off for the tests after it."""
    CallerRateThrottle.cache_down_until = 0.0
    yield
    CallerRateThrottle.cache_down_until = 0.0


@pytest.fixture
def world(db):
    return build_world()


def bearer(raw_token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    return client


@pytest.fixture
def alpha_api(world):
    """Organisation A's read-write token."""
    return bearer(world.a.raw_token)


@pytest.fixture
def unthrottled(settings):
    """Walks and fuzzing send thousands of requests a minute from one caller: throttling is
    tested on its own (test_throttling.py), not here."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"partner": "1000000/min", "user": "1000000/min"},
    }
