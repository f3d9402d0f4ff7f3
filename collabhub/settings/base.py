"""Settings shared by every environment; each value that differs between machines comes from the
environment (DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS, DEBUG, EMAIL_*, SITE_URL)."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Before the admin and our apps: its ready() adds the language columns of agreements/
    # translation.py before anything else reads the models.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "simple_history",
    "axes",
    "csp",
    "django_celery_beat",
    # CollabHub
    "core",
    "partners",
    "agreements",
    "commissioner",
]

MIDDLEWARE = [
    # Before host validation and the HTTPS redirect: health checks come from inside the network.
    "core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body: an oversized request is refused from its declared length.
    "core.middleware.RequestBodyLimitMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a signed-in person's stored language; the API's Accept-Language.
    "core.i18n.ReaderLanguageMiddleware",
    "core.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "collabhub.urls"
WSGI_APPLICATION = "collabhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.navigation",
            ],
        },
    },
]

# Database: PostgreSQL when DATABASE_URL is set, otherwise a SQLite file under var/.
# Connections close at the end of each request unless DATABASE_CONN_MAX_AGE says otherwise:
# runserver (and the test live server) serve each request on a new thread, and a persistent
# connection per dead thread exhausted PostgreSQL's max_connections for every database on the
# server. Production's gunicorn workers reuse theirs (collabhub/settings/production.py); health
# checks drop a connection the server closed before it is reused.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
# SQLite (the embedded default): concurrent writers wait for each other instead of failing with
# "database is locked". WAL lets readers go on while one writes; every transaction is IMMEDIATE,
# taking the write lock at BEGIN (a deferred one that reads, then writes, cannot wait: SQLite
# fails it at once); a writer waits up to 30 s for the lock.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
# PostgreSQL: no JIT compilation. The planner's cost estimates on the portfolio and inbox
# queries cross JIT's thresholds, and compiling costs more than the query saves (0.5 s on the
# "all collaborations" portfolio at national scale; docs/performance.md, "JIT"). A DATABASE_URL
# that sets `options` keeps them, and one that sets jit itself wins.
POSTGRES_CONNECTION_OPTIONS = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    if "jit=" not in _options.get("options", ""):
        _options["options"] = f"{_options.get('options', '')} {POSTGRES_CONNECTION_OPTIONS}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "partners.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# Canada's two official languages. Each name is written in its own language (a French reader
# looks for "Français", not "French"). Catalogues: each app's own locale/ and, for templates/
# and collabhub/, core/locale (docs/translations.md says how to add a language).
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "core" / "locale"]
# Content in both languages (agreements/translation.py, core/translated.py): a reader gets their
# language's version, else the other one (which the pages mark as such). Version columns are
# labelled "title (English)" in the admin and the histories.
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": tuple(code for code, _name in LANGUAGES)}


def _version_label(verbose_name, language):
    from core.translated import localized_verbose_name

    return localized_verbose_name(verbose_name, language)


MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME = _version_label
# Canadian usage for dates and numbers: collabhub/formats/fr follows Django's fr_CA (ISO short
# dates, "13 h 40") with the French thousands separator, so 1234.5 dollars reads 1 234,50 $.
FORMAT_MODULE_PATH = ["core.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Toronto")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Uploads: agreement documents are at most 20 MB; a request body larger than that is refused.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# A multipart body may carry one maximal document plus the form's other fields; any other body
# (JSON, urlencoded) is limited to DATA_UPLOAD_MAX_MEMORY_SIZE (core.middleware).
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024

# Cache and Celery: Redis when REDIS_URL is set; otherwise a process-local cache and tasks run
# in-process (the embedded default of `make run`).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# Redis redelivers an unacknowledged task after the visibility timeout; every time limit stays
# well below it so a slow task is killed before a second copy can start.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_TASK_SOFT_TIME_LIMIT = 50 * 60
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request must not hang when the broker is down: fail fast, the caller logs and moves on.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

ENGAGEMENT_SCAN_HOUR = env_int("ENGAGEMENT_SCAN_HOUR", 5)
ENGAGEMENT_SCAN_MINUTE = env_int("ENGAGEMENT_SCAN_MINUTE", 0)
# A partner's election period around each polling day of its jurisdictions: a collaboration's
# goal targets, renewals and planned end inside it are flagged (partners/elections.py).
ELECTION_PERIOD_DAYS_BEFORE = env_int("ELECTION_PERIOD_DAYS_BEFORE", 90)
ELECTION_PERIOD_DAYS_AFTER = env_int("ELECTION_PERIOD_DAYS_AFTER", 60)
# Background CSV imports (partners/imports.py): the largest file and the most rows accepted, and
# the row count above which an import runs as a Celery task with a progress page.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 20_000)
IMPORT_BACKGROUND_ROWS = env_int("IMPORT_BACKGROUND_ROWS", 500)
# The periodic jobs, kept in code; `manage.py sync_schedules` loads them into django-celery-beat's
# tables (make run and the beat container do this on start).
CELERY_BEAT_SCHEDULE = {
    "engagement-scan": {
        "task": "commissioner.tasks.engagement_scan_task",
        "schedule": crontab(hour=ENGAGEMENT_SCAN_HOUR, minute=ENGAGEMENT_SCAN_MINUTE),
    },
    # A scan stopped part-way (its worker killed) is completed within the hour, not after the
    # broker's visibility timeout.
    "engagement-scan-finish": {
        "task": "commissioner.tasks.engagement_scan_finish_task",
        "schedule": crontab(minute=30),
    },
    # Snapshots older than 13 months thinned to one a week (commissioner/services/retention.py).
    "snapshot-retention": {
        "task": "commissioner.tasks.snapshots_thin_task",
        "schedule": crontab(hour=4, minute=30),
    },
    "obligation-reminders": {
        "task": "commissioner.tasks.send_obligation_reminders_task",
        "schedule": crontab(hour=7, minute=0),
    },
    "agreement-renewal-reminders": {
        "task": "commissioner.tasks.send_agreement_renewal_reminders_task",
        "schedule": crontab(hour=7, minute=15),
    },
    "survey-reminders": {
        "task": "commissioner.tasks.send_survey_reminders_task",
        "schedule": crontab(hour=7, minute=30),
    },
    "survey-rounds-due": {
        "task": "commissioner.tasks.open_scheduled_survey_rounds_task",
        "schedule": crontab(hour=6, minute=30),
    },
    "clear-expired-sessions": {
        "task": "core.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=30),
    },
}

# Reminders: obligations due within this many days get a "due soon" reminder.
OBLIGATION_REMINDER_DAYS = env_int("OBLIGATION_REMINDER_DAYS", 14)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CollabHub <noreply@collabhub.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where people reach this deployment: every link in an e-mail is SITE_URL + a path (an e-mail has
# no request to take the host from). `make run` serves on 127.0.0.1:8000.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# API tokens: only an HMAC of each token is stored; the pepper is a server-side secret.
API_TOKEN_PEPPER = os.environ.get("API_TOKEN_PEPPER", "")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "partners.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "partners.api.permissions.ReadOnlyTokenCannotWrite",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only: every operation takes one request body type, so generated clients send what
    # the API reads (a schema offering JSON, multipart and form for each body broke them). DRF's
    # parser, with deeply nested JSON refused as a 400 (a RecursionError otherwise). A file
    # travels only through its own upload operation (`PUT .../document/`), which sets its own.
    "DEFAULT_PARSER_CLASSES": ["core.api.JSONParser"],
    # The test client sends what the API reads (DRF's default is multipart).
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per partner token and per signed-in user, counted in the cache (Redis when configured).
    "DEFAULT_THROTTLE_CLASSES": ["core.api.CallerRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "partner": os.environ.get("API_THROTTLE_PARTNER", "1200/min"),
        "user": os.environ.get("API_THROTTLE_USER", "2400/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CollabHub API",
    "DESCRIPTION": "The partner organisations' API: collaborations, goals, measurements, "
    "agreements, obligations, meetings and engagement. Authenticate with "
    "`Authorization: Bearer <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # Deep links put a link inside each operation's toggle button, a nested interactive control
    # keyboard and screen reader users cannot reach (WCAG 4.1.2; axe-core's nested-interactive);
    # the highlighter's colours are below WCAG's contrast (static/css/api-docs.css fixes the rest).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "syntaxHighlight": False},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Every choice set is a named enum component. drf-spectacular names an enum after its field,
    # and `status`, `kind` and `unit` mean different sets on different models: each is named
    # here after its model, so no name collides and none is suffixed with a hash.
    "ENUM_NAME_OVERRIDES": {
        "StructureEnum": "agreements.models.Structure",
        "RoleEnum": "agreements.models.Role",
        "CollaborationStatusEnum": "agreements.models.Collaboration.Status",
        "ParticipationStatusEnum": "agreements.models.Participation.Status",
        "JoinStatusEnum": "agreements.api.serializers.JOIN_STATUSES",
        "CadenceEnum": "agreements.models.SharedGoal.Cadence",
        "AgreementKindEnum": "agreements.models.Agreement.Kind",
        "AgreementStatusEnum": "agreements.models.Agreement.Status",
        "ObligationKindEnum": "agreements.models.Obligation.Kind",
        "ObligationUnitEnum": "agreements.models.Obligation.Unit",
        "ObligationStatusEnum": "agreements.models.Obligation.Status",
        "AttendanceStatusEnum": "commissioner.models.Attendance.Status",
        "BandEnum": "commissioner.models.Band",
        "EngagementStateEnum": "commissioner.models.State",
        "FlagStatusEnum": "commissioner.models.Flag.Status",
        "InterventionKindEnum": "commissioner.models.Intervention.Kind",
        "OrganisationKindEnum": "partners.models.Organisation.Kind",
        "TokenScopeEnum": "partners.api.serializers.TOKEN_SCOPES",
        "CallerTypeEnum": "partners.api.serializers.CALLER_TYPES",
    },
    "GET_LIB_DOC_EXCLUDES": "core.api.lib_doc_excludes",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.integer_path_ids",
    ],
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Login throttling: five failures for a username from one address lock it for fifteen minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Content-Security-Policy: everything from this server, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refused_one_line": {"()": "core.log_filters.RefusedRequestOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"filters": ["refused_one_line"]},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
