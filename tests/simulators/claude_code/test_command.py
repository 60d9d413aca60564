"""`manage.py claude_code_simulator`: starts, prints a URL and both keys, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
ENV = {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "koalr.settings", "PYTHONUNBUFFERED": "1"}


def test_command_serves_until_sigterm():
    admin_key = "sk-ant-admin01-" + "a" * 40
    args = [
        sys.executable,
        "manage.py",
        "claude_code_simulator",
        "--port",
        "0",
        "--users",
        "8",
        "--days",
        "5",
    ]
    args += ["--seed", "3", "--admin-key", admin_key, "--no-rate-limits", "--now", "2028-02-29T12:00:00Z"]
    proc = subprocess.Popen(
        args, cwd=ROOT, env=os.environ | ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        url = re.fullmatch(
            r"Claude Code simulator listening on (http://127\.0\.0\.1:\d+)\n", proc.stdout.readline()
        ).group(1)
        assert (
            re.fullmatch(r"Admin API key \(Console\): (\S+)\n", proc.stdout.readline()).group(1) == admin_key
        )
        enterprise_key = re.fullmatch(
            r"Analytics API key \(Enterprise\): (sk-ant-api01-\S+)\n", proc.stdout.readline()
        ).group(1)
        version = {"anthropic-version": "2023-06-01"}
        with httpx.Client(base_url=url, headers=version | {"x-api-key": admin_key}, timeout=10) as c:
            assert len(c.get("/v1/organizations/users").json()["data"]) == 8
            report = c.get("/v1/organizations/usage_report/claude_code", params={"starting_at": "2028-02-28"})
            assert report.status_code == 200 and report.json()["data"]
            future = c.get("/v1/organizations/usage_report/claude_code", params={"starting_at": "2028-03-01"})
            assert future.json()["data"] == []  # the served moment is --now, not today
        with httpx.Client(base_url=url, headers=version | {"x-api-key": enterprise_key}, timeout=10) as c:
            assert (
                c.get("/v1/organizations/analytics/users", params={"date": "2028-02-27"}).status_code == 200
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped" in out


def test_command_rejects_a_key_of_the_wrong_type():
    args = [
        sys.executable,
        "manage.py",
        "claude_code_simulator",
        "--port",
        "0",
        "--admin-key",
        "sk-ant-api03-x",
    ]
    result = subprocess.run(args, cwd=ROOT, env=os.environ | ENV, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "sk-ant-admin01-" in result.stderr
