"""Run the Claude Code API simulator as a standalone HTTP server (demos, manual testing, benches).

    python manage.py claude_code_simulator --port 8766 --users 20 --days 90 --seed 1
        [--host 127.0.0.1] [--admin-key sk-ant-admin01-…] [--enterprise-key sk-ant-api01-…]
        [--cursor-seats N] [--no-rate-limits] [--no-warm] [--now 2028-02-29T12:00Z]

Serves one Console org (Admin key) and one Claude Enterprise org (Analytics key) built from the
same seed, so their people match a Cursor simulator team of that seed (docs/claude-code-api.md).
Prints the base URL and both keys, then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading

from django.core.management.base import BaseCommand, CommandError

from devtools.management.commands.cursor_simulator import aware_datetime
from simulators.claude_code import ClaudeCodeSimulator


class Command(BaseCommand):
    help = "Serve a simulated Anthropic Claude Code Analytics / Admin / Enterprise Analytics API on loopback."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8766)
        parser.add_argument("--users", type=int, default=20)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--cursor-seats",
            type=int,
            default=None,
            help="Seats of the Cursor simulator team to share people with (default: --users).",
        )
        parser.add_argument(
            "--admin-key", default=None, help="Console Admin key to accept (sk-ant-admin01-…)."
        )
        parser.add_argument(
            "--enterprise-key", default=None, help="Enterprise Analytics key to accept (sk-ant-api01-…)."
        )
        parser.add_argument("--no-rate-limits", action="store_true", help="Disable the rate limits.")
        parser.add_argument(
            "--no-warm",
            action="store_true",
            help="Generate days on first request instead of in the background.",
        )
        parser.add_argument(
            "--now",
            type=aware_datetime,
            default=None,
            help="Serve the orgs as of this moment (ISO 8601, UTC unless an offset is given); default: now.",
        )

    def handle(self, *args, **options):
        for name, prefix in (("admin_key", "sk-ant-admin01-"), ("enterprise_key", "sk-ant-api01-")):
            if options[name] is not None and not options[name].startswith(prefix):
                raise CommandError(f"--{name.replace('_', '-')} must start with {prefix}")
        sim = ClaudeCodeSimulator(
            now=options["now"], rate_limits=not options["no_rate_limits"], default_orgs=False
        )
        try:
            common = {
                "seed": options["seed"],
                "users": options["users"],
                "days": options["days"],
                "cursor_seats": options["cursor_seats"],
            }
            console = sim.add_org("console", admin_key=options["admin_key"], **common)
            enterprise = sim.add_org("enterprise", enterprise_key=options["enterprise_key"], **common)
            sim.console, sim.enterprise = console, enterprise
            base_url = sim.start(host=options["host"], port=options["port"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

        stop = threading.Event()

        def request_stop(signum, frame):
            stop.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        if not options["no_warm"]:
            for org in (console, enterprise):
                threading.Thread(target=org.warm, name="claude-code-simulator-warm", daemon=True).start()

        self.stdout.write(f"Claude Code simulator listening on {base_url}")
        self.stdout.write(f"Admin API key (Console): {sim.admin_key}")
        self.stdout.write(f"Analytics API key (Enterprise): {sim.enterprise_key}")
        self.stdout.write(
            f"{options['users']} users, {options['days']} days, seed {options['seed']}, "
            f"rate limits {'on' if sim.rate_limits else 'off'}. Ctrl-C to stop."
        )
        self.stdout.flush()
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            sim.stop()
            self.stdout.write("Claude Code simulator stopped.")
            self.stdout.flush()
