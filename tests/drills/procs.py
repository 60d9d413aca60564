"""Real processes for the drills: a Redis server, Celery workers, a PostgreSQL cluster.

Each runs on a spare loopback port chosen here, never the shared 5432/6379 services, and is
stopped (or killed) by the pid this module started. Every kill is printed, so a drill's output
says what it did.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def say(message: str) -> None:
    """One line of the drill's report (shown with -s, and in the captured output on failure)."""
    print(f"[drill] {message}", flush=True)  # noqa: T201 - the drills print what they do


def spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class RedisServer:
    """`redis-server` on a spare port, nothing saved to disk (a restart loses every message)."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        self.port = spare_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(self.port), 10, f"redis on port {self.port}")
        say(f"started redis-server pid {self.proc.pid} on port {self.port}")
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            say(f"SIGKILL redis-server pid {self.proc.pid} (port {self.port})")
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    stop = kill


class CeleryWorker:
    """`celery -A koalr worker` (prefork, one child) against the given database and Redis."""

    def __init__(self, name: str, env: dict, log_dir: Path):
        self.name = name
        self.env = env
        self.log_path = log_dir / f"worker-{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, *, ready_timeout: float = 60) -> CeleryWorker:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "koalr",
                "worker",
                "-P",
                "prefork",
                "-c",
                "1",
                "-l",
                "info",
                "-n",
                f"{self.name}@drill",
                "-Q",
                "sync,backfill,alerts,default",  # every queue (integrations/queues.py)
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the pool child is ours to reap
        )
        wait_for(
            lambda: b" ready." in self.log_path.read_bytes() or self.proc.poll() is not None,
            ready_timeout,
            f"worker {self.name}",
        )
        if self.proc.poll() is not None:
            raise AssertionError(f"worker {self.name} exited:\n{self.log()[-3000:]}")
        say(f"started celery worker {self.name} pid {self.proc.pid}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def children(self) -> list[int]:
        try:
            out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        except FileNotFoundError:
            return []
        return [int(x) for x in out.split()]

    def kill_main(self) -> list[int]:
        """SIGKILL the worker's main process only, as a machine's OOM killer would."""
        children = self.children()
        say(f"SIGKILL celery worker {self.name} main pid {self.proc.pid} (pool children {children})")
        self.proc.kill()
        self.proc.wait(10)
        return children

    def freeze(self) -> None:
        """SIGSTOP the whole worker (main and pool child): alive, sessions open, silent."""
        say(f"SIGSTOP celery worker {self.name} (process group {self.proc.pid})")
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        say(f"SIGCONT celery worker {self.name} (process group {self.proc.pid})")
        os.killpg(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the whole group: main and pool child
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()
        self.proc = None


def postgres_bin_dir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """A throwaway cluster (`initdb` + `pg_ctl`) on a spare port, trust auth, in a temp dir.

    initdb refuses to run as root; then the cluster belongs to the `postgres` system user
    (`runuser`), its directory chowned to it.
    """

    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.port = spare_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="koalr-drill-pg-"))
        self.data = self.tmp / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.tmp, "postgres", "postgres")
            os.chmod(self.tmp, 0o700)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=timeout, cwd=self.tmp)

    def url(self, dbname: str = "koalr") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> PostgresCluster:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"
        )
        self._pg_ctl("start")
        self._run(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "koalr"
        )
        say(f"started a PostgreSQL cluster on port {self.port} ({self.data})")
        return self

    def _pg_ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-w",
            "-l",
            str(self.tmp / "log"),
            action,
            *extra,
        )

    def restart(self) -> None:
        say(f"restarting PostgreSQL on port {self.port} (pg_ctl restart -m immediate)")
        self._pg_ctl("restart", "-m", "immediate")

    def stop(self) -> None:
        try:
            self._pg_ctl("stop", "-m", "immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)
