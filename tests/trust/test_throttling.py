"""Rate limits: the API per token and per signed-in user (counted in the cache, Redis when
configured), and the login form per username and address (django-axes)."""

import logging
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from core.api import CallerRateThrottle
from tests.factories import PASSWORD, UserFactory, api_token
from tests.trust.conftest import DEAD_CACHES, bearer

pytestmark = pytest.mark.django_db

# Every API view is throttled; the schema is the one route that always exists.
URL = "/api/schema/?format=json"


@pytest.fixture
def rates(settings, monkeypatch):
    # One fixed window for the whole test: on a loaded machine a few schema requests can take
    # long enough to cross a minute boundary, which would open a fresh window (and a 429 the
    # test expects would be a 200).
    monkeypatch.setattr("core.api.time.time", lambda: 6_000_000.0)

    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"partner": "1000/min", "user": "1000/min", **rates},
        }

    return set_rates


def test_the_default_rates_come_from_settings(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["partner"] == "1200/min"
    assert rates["user"] == "2400/min"
    assert "core.api.CallerRateThrottle" in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]


def test_a_token_over_its_rate_gets_429_with_retry_after(organisation, rates):
    rates(partner="3/min")
    _, raw = api_token(organisation)
    client = bearer(raw)
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 200]

    response = client.get(URL)

    assert response.status_code == 429
    assert "throttled" in response.json()["detail"].lower()
    assert 1 <= int(response["Retry-After"]) <= 60


def test_two_tokens_do_not_share_a_bucket(organisation, rates):
    rates(partner="2/min")
    _, first = api_token(organisation)
    _, second = api_token(organisation)
    first_client, second_client = bearer(first), bearer(second)
    for _ in range(2):
        assert first_client.get(URL).status_code == 200
    assert first_client.get(URL).status_code == 429

    assert second_client.get(URL).status_code == 200


def test_signed_in_users_are_limited_each_on_their_own(client, rates):
    rates(user="2/min")
    alice, bob = UserFactory(), UserFactory()
    client.force_login(alice)
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 429]
    client.force_login(bob)
    assert client.get(URL).status_code == 200


def test_the_count_lives_in_the_shared_cache(organisation, rates):
    """Every web process counts in the same place: emptying the cache empties the bucket."""
    rates(partner="1/min")
    _, raw = api_token(organisation)
    client = bearer(raw)
    assert client.get(URL).status_code == 200
    assert client.get(URL).status_code == 429
    cache.clear()
    assert client.get(URL).status_code == 200


@pytest.fixture
def redis_url():
    """The Redis of the deployment's shape. CI sets REDIS_URL: there its absence is a failure,
    not a reason to skip."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("REDIS_URL is not set: CI must run the throttling tests against Redis")
        pytest.skip("REDIS_URL is not set: the Redis cache is tested where it is (CI sets it)")
    return url


def test_the_count_lives_in_redis(organisation, rates, redis_url, settings, monkeypatch):
    """With REDIS_URL set the throttle counts in Redis itself: the key is read back from Redis
    with its own client (not through Django's cache), and another process's view of it (a
    separate Python reading Redis) sees the same count, as a second web process would."""
    import redis

    # One fixed window for the whole test (a slow machine may cross a minute boundary).
    monkeypatch.setattr("core.api.time.time", lambda: 6_000_060.0)

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    rates(partner="3/min")
    token, raw = api_token(organisation)
    client = bearer(raw)
    window = int(time.time() // 60)
    assert [client.get(URL).status_code for _ in range(2)] == [200, 200]

    direct = redis.Redis.from_url(redis_url)
    keys = [key.decode() for key in direct.keys(f"*throttle:partner:token:{token.prefix}:*")]
    assert keys, "no throttle key in Redis"
    counts = {int(direct.get(key)) for key in keys}
    if int(time.time() // 60) == window:  # (the minute did not turn between the calls)
        assert counts == {2}, counts

    # Another process sets the count to the limit, as three calls elsewhere would...
    script = (
        "import redis, sys; r = redis.Redis.from_url(sys.argv[1]); "
        "[r.set(k, 3, keepttl=True) for k in sys.argv[2:]]"
    )
    subprocess.run([sys.executable, "-c", script, redis_url, *keys], check=True, timeout=30)
    # ... and this process is refused: one count, shared.
    assert client.get(URL).status_code == 429


def test_the_test_settings_use_redis_when_redis_url_is_set(redis_url):
    assert django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    assert django_settings.CACHES["default"]["LOCATION"] == redis_url


def test_a_dead_cache_lets_requests_through_and_logs_an_error(organisation, rates, caplog):
    rates(partner="1/min")
    _, raw = api_token(organisation)
    client = bearer(raw)
    with (
        override_settings(CACHES=DEAD_CACHES),
        caplog.at_level(logging.ERROR, logger="core.api"),
    ):
        statuses = [client.get(URL).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert "API throttling off" in caplog.text
    # One attempt per interval, not one per request.
    assert caplog.text.count("API throttling off") == 1
    assert CallerRateThrottle.cache_down_until > 0


class TestLoginThrottling:
    """django-axes: five failures for a username from one address lock it for fifteen minutes."""

    def fail(self, client, username, times):
        return [
            client.post(reverse("login"), {"username": username, "password": "wrong"})
            for _ in range(times)
        ]

    def test_five_failures_show_the_locked_page(self, client):
        UserFactory(username="carol")
        responses = self.fail(client, "carol", 5)
        assert [r.status_code for r in responses[:4]] == [200, 200, 200, 200]
        locked = responses[4]
        assert locked.status_code == 429
        html = locked.content.decode()
        assert "Too many failed log-in attempts" in html
        assert "<h1>" in html and 'role="alert"' in html

    def test_the_right_password_is_refused_while_locked(self, client):
        UserFactory(username="carol")
        self.fail(client, "carol", 5)

        response = client.post(reverse("login"), {"username": "carol", "password": PASSWORD})

        assert response.status_code == 429
        assert "Too many failed log-in attempts" in response.content.decode()
        assert "_auth_user_id" not in client.session
        assert client.get("/").status_code == 302  # still sent to the login page

    def test_the_lock_is_per_username(self, client):
        UserFactory(username="carol")
        UserFactory(username="dave")
        self.fail(client, "carol", 5)

        response = client.post(reverse("login"), {"username": "dave", "password": PASSWORD})

        assert response.status_code == 302
        assert client.session["_auth_user_id"]

    def test_a_success_resets_the_count(self, client):
        UserFactory(username="carol")
        self.fail(client, "carol", 4)
        assert (
            client.post(reverse("login"), {"username": "carol", "password": PASSWORD}).status_code
            == 302
        )
        client.post(reverse("logout"))

        responses = self.fail(client, "carol", 4)

        assert all(r.status_code == 200 for r in responses)
        assert (
            client.post(reverse("login"), {"username": "carol", "password": PASSWORD}).status_code
            == 302
        )
