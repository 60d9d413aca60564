"""Finding 5: the Content-Security-Policy and Permissions-Policy headers, read from a process
running the production settings (DEBUG off, no test settings), and the same in the test app."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, django
django.setup()
from django.test import Client
r = Client().get("/healthz", secure=True, HTTP_HOST="koalr.example.com")
print(json.dumps({"status": r.status_code, "headers": dict(r.headers)}))
"""


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (d.strip().split() for d in policy.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.fixture(scope="module")
def production_headers():
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "koalr.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "koalr.example.com",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": "sqlite://:memory:",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200
    return answer["headers"]


def test_production_sends_a_strict_script_policy(production_headers):
    csp = _directives(production_headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert not any("http" in source for sources in csp.values() for source in sources), "no third party"


def test_production_switches_off_unused_browser_features(production_headers):
    policy = production_headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy
    assert production_headers["Referrer-Policy"] == "same-origin"
    assert production_headers["X-Frame-Options"] == "DENY"
    assert production_headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_page_that_uses_the_nonce_gets_it_in_its_policy():
    """A template that needs an inline script gives it `{{ request.csp_nonce }}`; the header
    then allows exactly that nonce."""
    request = RequestFactory().get("/")
    middleware = CSPMiddleware(lambda req: None)
    middleware.process_request(request)
    html = Template('<script nonce="{{ request.csp_nonce }}"></script>').render(Context({"request": request}))
    response = middleware.process_response(request, HttpResponse(html))
    nonce = html.split('nonce="')[1].split('"')[0]
    assert len(nonce) >= 16
    assert f"'nonce-{nonce}'" in _directives(response["Content-Security-Policy"])["script-src"]
