"""Settings for Koalr, read from the environment (12-factor).

Embedded default: with no DATABASE_URL / REDIS_URL the app runs on a SQLite file and Celery
executes tasks in-process, so a newcomer can try it with one command. Production sets
DEBUG=false, SECRET_KEY, DATABASE_URL, REDIS_URL, ALLOWED_HOSTS and FIELD_ENCRYPTION_KEYS.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# No default secret in production: DEBUG off without SECRET_KEY refuses to start.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on-0123456789"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "koalr.accounts",
    "people",
    "analytics",
    "integrations",
    "web",
    "api",
]
# Development-only commands (`demo`, `cursor_simulator`): with DEBUG, or when asked for
# explicitly (the test settings do, so the command tests run with DEBUG off). Production sets neither.
KOALR_DEV_COMMANDS = env.bool("KOALR_DEV_COMMANDS", default=False)
if DEBUG or KOALR_DEV_COMMANDS:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "koalr.urls"
WSGI_APPLICATION = "koalr.wsgi.application"
ASGI_APPLICATION = "koalr.asgi.application"

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
                "koalr.accounts.context_processors.tenancy",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# Parallel test sessions on one machine each get their own test database.
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and not env.bool("TESTING", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Email: console in development, any EMAIL_URL (smtp://user:pass@host:587) in production.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Koalr <no-reply@koalr.local>")

# Secrets at rest: comma-separated Fernet keys, newest first (MultiFernet).
_DEV_FERNET_KEY = "uX2zkBtTmH73IDWwR4Ksws7Goo41OClAEbgzz6L5iws="
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG and not env.bool("TESTING", default=False):
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DEBUG is off.")
    FIELD_ENCRYPTION_KEYS = [_DEV_FERNET_KEY]

CURSOR_API_BASE_URL = env.str("CURSOR_API_BASE_URL", default="https://api.cursor.com")
# Client-side pacing under Cursor's per-minute limits. Off only for a local simulator
# without limits (`make demo`); never against api.cursor.com.
CURSOR_RATE_LIMITS = env.bool("CURSOR_RATE_LIMITS", default=True)
CURSOR_BACKFILL_DAYS = env.int("CURSOR_BACKFILL_DAYS", default=30)
CURSOR_SYNC_LOOKBACK_DAYS = env.int("CURSOR_SYNC_LOOKBACK_DAYS", default=2)

# GitHub Copilot (docs/copilot-api.md). Pacing stays on against api.github.com.
COPILOT_API_BASE_URL = env.str("COPILOT_API_BASE_URL", default="https://api.github.com")
COPILOT_RATE_LIMITS = env.bool("COPILOT_RATE_LIMITS", default=True)
COPILOT_BACKFILL_DAYS = env.int("COPILOT_BACKFILL_DAYS", default=90)
# Monthly Copilot seat prices (cents) used until an admin sets the organization's own on the
# Tools page: GitHub's list prices, shown as estimates.
COPILOT_SEAT_PRICE_CENTS = {
    "business": env.int("COPILOT_BUSINESS_SEAT_CENTS", default=1900),
    "enterprise": env.int("COPILOT_ENTERPRISE_SEAT_CENTS", default=3900),
}

# Claude Code (docs/claude-code-api.md). The Enterprise window and lag are settings because
# Anthropic's sources disagree (§5.3: 366 days and a 1-day lag, or 90 days and 3).
CLAUDE_CODE_API_BASE_URL = env.str("CLAUDE_CODE_API_BASE_URL", default="https://api.anthropic.com")
CLAUDE_CODE_BACKFILL_DAYS = env.int("CLAUDE_CODE_BACKFILL_DAYS", default=90)
CLAUDE_CODE_CONSOLE_SETTLE_DAYS = env.int("CLAUDE_CODE_CONSOLE_SETTLE_DAYS", default=2)
CLAUDE_CODE_ENTERPRISE_LAG_DAYS = env.int("CLAUDE_CODE_ENTERPRISE_LAG_DAYS", default=1)
CLAUDE_CODE_ENTERPRISE_WINDOW_DAYS = env.int("CLAUDE_CODE_ENTERPRISE_WINDOW_DAYS", default=366)
CLAUDE_CODE_ENTERPRISE_SETTLE_DAYS = env.int("CLAUDE_CODE_ENTERPRISE_SETTLE_DAYS", default=3)
CLAUDE_CODE_ENTERPRISE_COST_SETTLE_DAYS = env.int("CLAUDE_CODE_ENTERPRISE_COST_SETTLE_DAYS", default=30)

# Celery: Redis broker when REDIS_URL is set, otherwise tasks run eagerly in-process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "sync-cursor-connections-hourly": {
        "task": "integrations.tasks.enqueue_hourly_syncs",
        "schedule": crontab(minute=7),
    },
    "sync-copilot-connections-hourly": {
        "task": "integrations.tasks.enqueue_hourly_copilot_syncs",
        "schedule": crontab(minute=37),
    },
    "sync-claude-code-connections-hourly": {
        "task": "integrations.tasks.enqueue_hourly_claude_code_syncs",
        "schedule": crontab(minute=22),
    },
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Koalr API",
    "DESCRIPTION": "AI coding adoption analytics: Cursor usage, models and spend.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Production hardening: `manage.py check --deploy` is clean with DEBUG off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Container/load-balancer health checks speak plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request at INFO; our Cursor client logs one line per call itself.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
