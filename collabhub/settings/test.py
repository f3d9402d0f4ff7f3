"""Settings for pytest: fast hashing and in-memory mail, but the real database engine and Redis
when DATABASE_URL / REDIS_URL are set (CI sets both)."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, MIDDLEWARE

DEBUG = False
SECRET_KEY = "test-only-secret-key-with-enough-length-for-hmac-0123456789"  # noqa: S105
API_TOKEN_PEPPER = "test-only-pepper"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
ALLOWED_HOSTS = ["*"]
# Login throttling is on in every test, as in production: failed logins are counted in the
# database, which is reset after each test, so counts never carry from one test to the next.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = 5
MIDDLEWARE = list(MIDDLEWARE)
# Tasks run inline in tests even when REDIS_URL is set; the worker tests turn this off for
# themselves to go through the real broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = REDIS_URL or "memory://"  # noqa: F405
# Static files come straight from the finders here; only production collects them.
STATIC_ROOT = None
# `seed_scale` (benchmarks/scale.py) for national-scale data; never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks"]
