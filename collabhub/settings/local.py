"""Settings for `make run`: a developer's machine, an embedded default for everything.

DEBUG is off unless asked for (`DEBUG=1 make run`): a newcomer who mistypes a URL sees the
friendly 404 page, not Django's URL listing, and errors show the 500 page (the traceback is in
the terminal's log). Static files are served by whitenoise from the finders either way."""

import os

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env_bool
from .base import SECRET_KEY as _SECRET_KEY

DEBUG = env_bool("DEBUG", False)
# A fixed key is fine here: local settings never serve the public (production requires its own).
SECRET_KEY = _SECRET_KEY or "local-only-insecure-key-do-not-use-in-production"
API_TOKEN_PEPPER = os.environ.get("API_TOKEN_PEPPER") or "local-only-pepper"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Whitenoise (not runserver, see whitenoise.runserver_nostatic) serves static files straight
# from the finders, with DEBUG on or off, and picks up edits without a restart.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Only production collects static files.
STATIC_ROOT = None
# `seed_scale` (benchmarks/scale.py) for national-scale data; never installed in production.
INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks"]
