"""Settings for the test suite: the real PostgreSQL, eager Celery, fast hashing."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/koalr")
os.environ.setdefault("TESTING", "1")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
# The dev-only commands (`demo`, `cursor_simulator`) are tested too, with DEBUG off.
os.environ.setdefault("KOALR_DEV_COMMANDS", "1")

from .settings import *  # noqa: E402,F403

CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Serve static files from the finders; no collectstatic before tests.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
