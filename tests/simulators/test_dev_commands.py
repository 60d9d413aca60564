"""The dev-only commands (`demo`, `cursor_simulator`): installed only with DEBUG or
KOALR_DEV_COMMANDS=1, and `make demo`'s command sets up a working product on its own.

Each case runs `manage.py` in a fresh process under the real settings module, since which apps
are installed is decided when the settings load.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Variables the test run sets that would change what the child process sees.
_INHERITED = ("DJANGO_SETTINGS_MODULE", "DEBUG", "KOALR_DEV_COMMANDS", "TESTING", "DATABASE_URL", "REDIS_URL")
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "dev-commands-test-secret-key-0123456789abcdef",
    "FIELD_ENCRYPTION_KEYS": "uX2zkBtTmH73IDWwR4Ksws7Goo41OClAEbgzz6L5iws=",
}


def manage(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    child_env = {k: v for k, v in os.environ.items() if k not in _INHERITED}
    child_env |= {"DJANGO_SETTINGS_MODULE": "koalr.settings", "PYTHONUNBUFFERED": "1"} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("extra", "installed"),
    [({}, False), ({"KOALR_DEV_COMMANDS": "1"}, True), ({"DEBUG": "1"}, True)],
    ids=["production", "flag", "debug"],
)
def test_dev_commands_exist_only_with_debug_or_the_flag(extra, installed):
    result = manage("help", "--commands", env=PRODUCTION | extra)
    assert result.returncode == 0, result.stderr
    commands = set(result.stdout.split())
    assert "sync_cursor" in commands
    assert ("demo" in commands) is installed
    assert ("cursor_simulator" in commands) is installed


def test_demo_sets_up_syncs_and_a_second_run_reuses_everything(tmp_path):
    env = {"DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    args = ("demo", "--no-serve", "--seats", "5", "--days", "3", "--sim-port", "0")
    first = manage(*args, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "Created organization Demo Robotics" in first.stdout
    assert "Sync succeeded" in first.stdout
    assert "owner@demo.koalr.test / demo-owner-2026" in first.stdout
    assert "Created demo teams" in first.stdout
    second = manage(*args, env=env, timeout=300)
    assert second.returncode == 0, second.stderr
    assert "Reusing organization Demo Robotics" in second.stdout
    assert "Reusing the Cursor connection" in second.stdout
    assert "Created demo teams" not in second.stdout
