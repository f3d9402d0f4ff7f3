"""Settings for `make run`: a developer's machine, DEBUG on, an embedded default for everything."""

from .base import *  # noqa: F403
from .base import SECRET_KEY as _SECRET_KEY
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
# A fixed key is fine here: local settings never serve the public (production requires its own).
SECRET_KEY = _SECRET_KEY or "local-only-insecure-key-do-not-use-in-production"
API_TOKEN_PEPPER = "local-only-pepper"  # noqa: S105
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Static files come straight from the finders here; only production collects them.
STATIC_ROOT = None
