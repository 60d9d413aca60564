"""`manage.py copilot_simulator`: starts, prints a usable URL and token, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
ENV = os.environ | {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "koalr.settings", "PYTHONUNBUFFERED": "1"}


def test_command_serves_until_sigterm():
    token = "ghp_" + "c" * 36
    args = [
        sys.executable,
        "manage.py",
        "copilot_simulator",
        "--port",
        "0",
        "--org",
        "initech",
        "--seats",
        "12",
    ]
    args += ["--days", "20", "--seed", "3", "--token", token, "--cursor-seed", "3", "--cursor-seats", "10"]
    args += ["--cursor-days", "20", "--now", "2028-02-29T12:00:00Z", "--enterprise", "initech-corp"]
    proc = subprocess.Popen(
        args, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        url = re.fullmatch(
            r"Copilot simulator listening on (http://127\.0\.0\.1:\d+)\n", proc.stdout.readline()
        ).group(1)
        assert re.fullmatch(r"Token: (\S+)\n", proc.stdout.readline()).group(1) == token
        summary = proc.stdout.readline()
        assert "Organization initech: 12 seats" in summary and "newest report 2028-02-27" in summary
        headers = {"Authorization": f"Bearer {token}", "X-GitHub-Api-Version": "2026-03-10"}
        with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
            seats = client.get("/orgs/initech/copilot/billing/seats").json()
            assert seats["total_seats"] == 12
            assert any(s["assignee"].get("email") for s in seats["seats"])
            body = client.get(
                "/orgs/initech/copilot/metrics/reports/users-1-day", params={"day": "2028-02-25"}
            ).json()
            assert body["report_day"] == "2028-02-25"
            assert httpx.get(body["download_links"][0]).status_code == 200
            assert client.get("/enterprises/initech-corp/copilot/billing/seats").json()["total_seats"] == 12
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped" in out


def test_command_rejects_a_malformed_token_or_now():
    for extra, message in (
        (["--token", "sk-nope"], "ghp_ or github_pat_"),
        (["--now", "last tuesday"], "not an ISO 8601 datetime"),
    ):
        args = [sys.executable, "manage.py", "copilot_simulator", "--port", "0", *extra]
        result = subprocess.run(args, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=30)
        assert result.returncode != 0
        assert message in result.stderr


def test_command_exists_only_with_debug_or_the_dev_flag():
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "dev-commands-test-secret-key-0123456789abcdef",
        "FIELD_ENCRYPTION_KEYS": "uX2zkBtTmH73IDWwR4Ksws7Goo41OClAEbgzz6L5iws=",
    }
    inherited = (
        "DJANGO_SETTINGS_MODULE",
        "DEBUG",
        "KOALR_DEV_COMMANDS",
        "TESTING",
        "DATABASE_URL",
        "REDIS_URL",
    )
    base = {k: v for k, v in os.environ.items() if k not in inherited} | {
        "DJANGO_SETTINGS_MODULE": "koalr.settings"
    }
    for extra, installed in (({}, False), ({"KOALR_DEV_COMMANDS": "1"}, True)):
        result = subprocess.run(
            [sys.executable, "manage.py", "help", "--commands"],
            cwd=ROOT,
            env=base | production | extra,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert ("copilot_simulator" in result.stdout.split()) is installed
