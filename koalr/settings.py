"""Settings for Koalr, read from the environment (12-factor).

Embedded default: with no DATABASE_URL / REDIS_URL the app runs on a SQLite file and Celery
executes tasks in-process, so a newcomer can try it with one command. Production sets
DEBUG=false, SECRET_KEY, DATABASE_URL, REDIS_URL, ALLOWED_HOSTS and FIELD_ENCRYPTION_KEYS.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE
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
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on-0123456789"  # noqa: S105  # nosec B105  # DEBUG only

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
    "axes",
    "koalr.accounts",
    "people",
    "analytics",
    "integrations",
    "web",
    "api",
    "alerts",
]
# Development-only commands (`demo`, `cursor_simulator`): with DEBUG, or when asked for
# explicitly (the test settings do, so the command tests run with DEBUG off). Production sets neither.
KOALR_DEV_COMMANDS = env.bool("KOALR_DEV_COMMANDS", default=False)
if DEBUG or KOALR_DEV_COMMANDS:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "koalr.middleware.RejectNulCharacters",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
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
                "people.context_processors.team_lead",
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# A persistent connection is checked before a request reuses it: after a database restart the
# first request reconnects instead of failing on the dead connection.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# A process frozen in the middle of a transaction (a stopped worker, a partitioned host) would
# hold its row locks for ever and stall the sync that takes over from it: PostgreSQL ends such a
# session after this many seconds (0: never).
_IDLE_IN_TRANSACTION = env.int("DB_IDLE_IN_TRANSACTION_TIMEOUT", default=60)
if DATABASES["default"]["ENGINE"].endswith("postgresql") and _IDLE_IN_TRANSACTION:
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c idle_in_transaction_session_timeout={_IDLE_IN_TRANSACTION * 1000}"
    )
# Parallel test sessions on one machine each get their own test database.
if env.str("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# django-axes first: it refuses a locked-out account or address before a password is checked.
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
# Data-quality checks after each sync (integrations/quality.py, analytics/selectors/data_quality.py):
# a day's requests in daily rows may differ from its usage events by this much (the larger of the
# two tolerances) before the check warns; a member's /teams/spend total may differ from the sum of
# their events' charged cents by this much; an email in usage but not in the roster warns when it
# was active in the last N days (older ones are former members, which Cursor drops from the roster).
DATA_QUALITY_REQUESTS_TOLERANCE_PCT = env.float("DATA_QUALITY_REQUESTS_TOLERANCE_PCT", default=2.0)
DATA_QUALITY_REQUESTS_TOLERANCE_ABS = env.int("DATA_QUALITY_REQUESTS_TOLERANCE_ABS", default=2)
DATA_QUALITY_SPEND_TOLERANCE_PCT = env.float("DATA_QUALITY_SPEND_TOLERANCE_PCT", default=0.5)
DATA_QUALITY_SPEND_TOLERANCE_CENTS = env.float("DATA_QUALITY_SPEND_TOLERANCE_CENTS", default=1.0)
DATA_QUALITY_UNLISTED_RECENT_DAYS = env.int("DATA_QUALITY_UNLISTED_RECENT_DAYS", default=7)
# Teams: a group smaller than this shows only merged into "Other" to who may not see its people.
TEAM_MIN_GROUP_SIZE = env.int("TEAM_MIN_GROUP_SIZE", default=3)

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
# Queues (integrations/queues.py): hourly syncs on `sync`, first syncs and long windows on
# `backfill` (chosen per run when it is queued), alerts and emails on `alerts`, the beat's
# fan-out and maintenance on `default`. Workers subscribe with -Q (docker-compose.yml).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "integrations.tasks.sync_connection": {"queue": "sync"},
    "integrations.tasks.sync_copilot_connection": {"queue": "sync"},
    "integrations.tasks.sync_claude_code_connection": {"queue": "sync"},
    "alerts.tasks.*": {"queue": "alerts"},
}
# A run over more days than this (or a connection's first) goes to the backfill queue.
SYNC_BACKFILL_QUEUE_DAYS = env.int("SYNC_BACKFILL_QUEUE_DAYS", default=7)
# Chosen, not defaulted (the drills in tests/drills/ exercise them):
# - visibility_timeout: a message a dead worker took is handed out again after 15 min, not
#   Redis' default hour. Runs still going then get a duplicate that finds the run claimed and
#   does nothing (integrations.locks.run_claim); a dead worker's run is usually taken over
#   sooner, by its heartbeat (recover-interrupted-syncs below).
# - connect/socket timeouts and a short publish retry: with Redis down, "Sync now" answers
#   "Couldn't queue the sync" in about a second instead of hanging.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=15 * 60),
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "retry_on_timeout": True,
    "health_check_interval": 25,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# A running sync writes SyncRun.heartbeat_at this often; one silent for SYNC_STALE_AFTER_SECONDS
# has lost its worker and is taken over (integrations/cursor/sync/heartbeat.py).
SYNC_HEARTBEAT_SECONDS = env.int("SYNC_HEARTBEAT_SECONDS", default=10)
SYNC_STALE_AFTER_SECONDS = env.int("SYNC_STALE_AFTER_SECONDS", default=90)
CELERY_BEAT_SCHEDULE = {
    "sync-cursor-connections-hourly": {
        "task": "integrations.tasks.enqueue_hourly_syncs",
        "schedule": crontab(minute=7),
    },
    # Budgets and anomalies also run after every sync; this catches organizations whose
    # sync did not run (the thresholds of a cycle still fire on time).
    "alerts-evaluate-daily": {
        "task": "alerts.tasks.evaluate_all",
        "schedule": crontab(minute=40, hour=6),
    },
    "alerts-weekly-digest": {
        "task": "alerts.tasks.send_weekly_digests",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
    "alerts-cycle-end-digest": {
        "task": "alerts.tasks.send_cycle_end_digests",
        "schedule": crontab(minute=10, hour=7),
    },
    "recover-interrupted-syncs": {
        "task": "integrations.tasks.recover_interrupted_syncs",
        "schedule": 60.0,
    },
    "sync-copilot-connections-hourly": {
        "task": "integrations.tasks.enqueue_hourly_copilot_syncs",
        "schedule": crontab(minute=37),
    },
    "sync-claude-code-connections-hourly": {
        "task": "integrations.tasks.enqueue_hourly_claude_code_syncs",
        "schedule": crontab(minute=22),
    },
    # Monthly partitions of usage events and AI-code rows, three months ahead (idempotent).
    "analytics-create-partitions-ahead": {
        "task": "analytics.tasks.create_partitions_ahead",
        "schedule": crontab(minute=15, hour=3),
    },
}

# Alerts (alerts/): where deep links point, and the anomaly rules' thresholds.
KOALR_PUBLIC_URL = env.str("KOALR_PUBLIC_URL", default="http://127.0.0.1:8000")
# Webhook channels may not point at private or local addresses (SSRF) unless allowed.
ALERTS_ALLOW_PRIVATE_URLS = env.bool("ALERTS_ALLOW_PRIVATE_URLS", default=DEBUG)
ALERTS_Z_THRESHOLD = env.float("ALERTS_Z_THRESHOLD", default=3.5)
ALERTS_MIN_RATIO = env.float("ALERTS_MIN_RATIO", default=2.0)
ALERTS_SPEND_FLOOR_CENTS = env.int("ALERTS_SPEND_FLOOR_CENTS", default=2500)
ALERTS_REQUESTS_FLOOR = env.int("ALERTS_REQUESTS_FLOOR", default=100)
ALERTS_PERSON_SHARE_PERCENT = env.float("ALERTS_PERSON_SHARE_PERCENT", default=50.0)
ALERTS_SHARE_MIN_PEOPLE = env.int("ALERTS_SHARE_MIN_PEOPLE", default=3)
ALERTS_ORG_JUMP_RATIO = env.float("ALERTS_ORG_JUMP_RATIO", default=2.0)
ALERTS_ORG_JUMP_FLOOR_CENTS = env.int("ALERTS_ORG_JUMP_FLOOR_CENTS", default=10000)
ALERTS_EXPENSIVE_MODELS = env.list(
    "ALERTS_EXPENSIVE_MODELS", default=["*opus*", "*-max", "o3-pro*", "gpt-5-pro*", "gpt-4.5*"]
)

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

# ---------- Abuse limits: log-in lockout, sign-up and password-reset rates ----------

# The real client address behind the proxies in front of the app: with N trusted proxies the
# N-th address from the right of X-Forwarded-For; with 0 (the default) REMOTE_ADDR only, so a
# client cannot pick its own address by sending the header. See koalr/accounts/client_ip.py.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# django-axes: the failed log-in that reaches AXES_FAILURE_LIMIT for one email, or from one
# address, and every attempt after it answer 429 for the cool-off time, right password or not.
# Unknown emails are counted like real ones, so a lockout reveals nothing about accounts.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "koalr.accounts.client_ip.client_ip"
AXES_USERNAME_CALLABLE = "koalr.accounts.throttling.login_username"
AXES_LOCKOUT_CALLABLE = "koalr.accounts.throttling.lockout_response"
AXES_CLIENT_STR_CALLABLE = "koalr.accounts.throttling.client_str"
# axes' table of successful log-ins is not needed: failures and lockouts are what it is for.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# django-ratelimit (sign-up, password reset, failed API tokens): counters in the default cache.
RATELIMIT_USE_CACHE = "default"
SIGNUP_RATE = env.str("SIGNUP_RATE", default="10/h")
PASSWORD_RESET_RATE = env.str("PASSWORD_RESET_RATE", default="10/h")
# Failed bearer-token authentications per client address before the API answers 429.
API_AUTH_FAILURE_RATE = env.str("API_AUTH_FAILURE_RATE", default="20/m")

# Email verification links (sign-up) stay valid this long.
EMAIL_VERIFICATION_MAX_AGE = timedelta(days=env.int("EMAIL_VERIFICATION_DAYS", default=3))

# ---------- Content-Security-Policy and Permissions-Policy ----------

# Scripts only from our own origin or with the per-response nonce: no inline script, no eval.
# plotly.min.js draws our (SVG) charts without eval, and Swagger UI's start-up script is a file
# (api/docs.py); the browser tests assert that no page reports a violation.
# Styles allow 'unsafe-inline': Plotly writes a <style> element and style attributes at run
# time, progress bars set their width inline and Swagger UI ships an inline <style>. Inline
# styles cannot run code; the script policy is what stops injected markup from executing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features the app never uses are switched off for it and anything it embeds.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

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
    "filters": {"client_errors_without_traceback": {"()": "koalr.log_filters.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request at INFO; our Cursor client logs one line per call itself.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Django's own handlers are dropped, so each record reaches the root handler once
        # (with DEBUG, Django's console handler printed every 403/404 a second time).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A refused request (4xx) is one line at WARNING without the PermissionDenied traceback.
        "django.request": {"level": "WARNING", "filters": ["client_errors_without_traceback"]},
    },
}
