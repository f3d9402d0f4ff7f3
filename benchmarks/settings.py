"""Settings for `make bench`: the local settings with DEBUG off, the benchmark's own URLs (the
application's plus the floor views), quiet logs, mail discarded, and API throttling raised out of
the way (a load test from one client would otherwise measure the throttle)."""

from collabhub.settings.local import *  # noqa: F403
from collabhub.settings.local import LOGGING, REST_FRAMEWORK

DEBUG = False
ROOT_URLCONF = "benchmarks.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"partner": "1000000/min", "user": "1000000/min"},
}
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
