"""`manage.py cursor_simulator`: starts, prints a usable URL and key, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]


def test_command_serves_until_sigterm():
    env = os.environ | {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "koalr.settings", "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "manage.py", "cursor_simulator", "--port", "0", "--seats", "8", "--days", "5"]
    args += ["--seed", "3", "--plan", "team", "--api-key", "key_" + "c" * 64, "--no-rate-limits"]
    args += ["--now", "2028-02-29T12:00:00Z"]  # a fixed moment: the data never depends on today
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        url = re.fullmatch(r"Cursor simulator listening on (http://127\.0\.0\.1:\d+)\n", first).group(1)
        key = re.fullmatch(r"API key: (\S+)\n", second).group(1)
        assert key == "key_" + "c" * 64
        with httpx.Client(base_url=url, auth=(key, ""), timeout=10) as client:
            members = client.get("/teams/members").json()["teamMembers"]
            assert len(members) == 8
            assert client.get("/analytics/team/dau").status_code == 403  # --plan team
            assert all(client.get("/teams/members").status_code == 200 for _ in range(25))  # no limits
            audit = client.get("/teams/audit-logs", params={"startTime": "1d"}).json()
            assert audit["params"]["endDate"] == int(datetime(2028, 2, 29, 12, tzinfo=UTC).timestamp() * 1000)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped" in out


def test_command_rejects_a_malformed_now():
    env = os.environ | {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "koalr.settings"}
    args = [sys.executable, "manage.py", "cursor_simulator", "--port", "0", "--now", "last tuesday"]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "not an ISO 8601 datetime" in result.stderr


def test_command_rejects_a_malformed_key():
    env = os.environ | {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "koalr.settings"}
    args = [sys.executable, "manage.py", "cursor_simulator", "--port", "0", "--api-key", "sk-nope"]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "key_ or crsr_" in result.stderr
