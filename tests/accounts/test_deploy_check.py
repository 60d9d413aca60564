import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_settings():
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "koalr.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "koalr.example.com",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": "postgres://koalr:secret@db.internal:5432/koalr",
        "REDIS_URL": "redis://redis.internal:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.skipif((ROOT / ".env").exists(), reason="a local .env may provide SECRET_KEY")
def test_production_refuses_to_start_without_a_secret_key():
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "koalr.settings",
        "DEBUG": "0",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_healthz_is_served_over_http_while_pages_redirect_to_https(settings, db):
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = True  # the test settings turn it off; production has it on
    client = Client()  # a fresh client builds its middleware with these settings
    assert client.get("/healthz").status_code == 200
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response.url.startswith("https://")
