"""Settings for the production shape (gunicorn behind TLS): every secret from the environment,
HTTPS enforced; `manage.py check --deploy --fail-level WARNING` passes."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, REDIS_URL, env_bool, env_int

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50+ characters.")
API_TOKEN_PEPPER = os.environ.get("API_TOKEN_PEPPER") or SECRET_KEY
# Without Redis the cache would be each process's own memory: every gunicorn worker would keep its
# own API throttle counts (and tasks would run inside web requests). Refuse to start instead.
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL must be set in production (e.g. redis://redis:6379/0): it is the cache shared "
        "by every process (API throttling) and the Celery broker."
    )

# Links in e-mails: the deployment's own address; by default the first allowed host over HTTPS.
SITE_URL = (
    os.environ.get("SITE_URL") or f"https://{(ALLOWED_HOSTS or ['localhost'])[0].lstrip('.')}"
).rstrip("/")
# Gunicorn's workers are long-lived: each keeps its connection (DATABASE_CONN_MAX_AGE to change).
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Health checks come from inside the container network over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
