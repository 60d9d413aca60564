"""Run the GitHub Copilot API simulator as a standalone HTTP server (demos, manual testing, benchmarks).

    python manage.py copilot_simulator --port 8766 --org acme --seats 30 --days 60 --seed 1
        [--plan business|enterprise] [--enterprise SLUG] [--host 127.0.0.1] [--download-port 0]
        [--token ghp_…] [--cursor-seed 1 --cursor-seats 50 --cursor-days 60] [--no-rate-limits]
        [--now 2026-11-18T15:30Z]

Prints the API URL and a ready token, then serves until SIGINT/SIGTERM. With --cursor-seed, the
seats overlap with the people `cursor_simulator --seed N --seats M --days D` serves (same --now).
See docs/copilot-simulator.md.
"""

from __future__ import annotations

import signal
import sys
import threading

from django.core.management.base import BaseCommand, CommandError

from devtools.management.commands.cursor_simulator import aware_datetime
from simulators.copilot import CopilotSimulator, cursor_members


class Command(BaseCommand):
    help = "Serve a simulated GitHub Copilot API (metrics reports, seats, billing) on loopback."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8766)
        parser.add_argument("--download-port", type=int, default=0, help="Port of the report download host.")
        parser.add_argument("--org", default="acme", help="Organization login.")
        parser.add_argument("--enterprise", default=None, help="Also serve an enterprise with this slug.")
        parser.add_argument("--seats", type=int, default=30)
        parser.add_argument("--days", type=int, default=60)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--plan", choices=("business", "enterprise"), default="business")
        parser.add_argument("--token", default=None, help="Token to accept (ghp_… or github_pat_…).")
        parser.add_argument("--cursor-seed", type=int, default=None, help="Overlap with this Cursor roster.")
        parser.add_argument("--cursor-seats", type=int, default=50)
        parser.add_argument("--cursor-days", type=int, default=60)
        parser.add_argument("--no-rate-limits", action="store_true")
        parser.add_argument(
            "--now",
            type=aware_datetime,
            default=None,
            help="Serve the organization as of this moment (ISO 8601, UTC unless an offset is given).",
        )

    def handle(self, *args, **options):
        token = options["token"]
        if token is not None and not token.startswith(("ghp_", "github_pat_")):
            raise CommandError("--token must start with ghp_ or github_pat_")
        sim = CopilotSimulator(rate_limits=not options["no_rate_limits"])
        now = options["now"] or sim.clock()
        try:
            enterprise = None
            if options["enterprise"]:
                enterprise = sim.add_enterprise(options["enterprise"], days=options["days"], now=now)
            cursor_team = None
            if options["cursor_seed"] is not None:
                cursor_team = cursor_members(
                    options["cursor_seed"], options["cursor_seats"], now, options["cursor_days"]
                )
            org = sim.add_org(
                options["org"],
                seats=options["seats"],
                days=options["days"],
                seed=options["seed"],
                plan=options["plan"],
                now=now,
                cursor_team=cursor_team,
                enterprise=enterprise,
            )
            if token is not None:
                kind = "classic" if token.startswith("ghp_") else "fine_grained"
                permissions = {
                    "organization_copilot_metrics": "read",
                    "organization_copilot_seat_management": "read",
                    "organization_administration": "read",
                    "enterprise_copilot_metrics": "read",
                }
                sim.add_token(value=token, kind=kind, permissions=permissions)
            base_url = sim.start(
                host=options["host"], port=options["port"], download_port=options["download_port"]
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

        stop = threading.Event()

        def request_stop(signum, frame):
            stop.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)

        self.stdout.write(f"Copilot simulator listening on {base_url}")
        self.stdout.write(f"Token: {token or sim.token}")
        overlap = len(org.overlap_with_cursor())
        self.stdout.write(
            f"Organization {org.login}: {len(org.seats)} seats ({overlap} also in Cursor), {org.days} days, "
            f"seed {org.seed}, {org.plan} plan, newest report {org.latest_report_day}"
            + (f", enterprise {enterprise.slug}" if enterprise else "")
            + f"; report downloads on {sim.download_url}; rate limits {'on' if sim.rate_limits else 'off'}. "
            "Ctrl-C to stop."
        )
        self.stdout.flush()
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            sim.stop()
            self.stdout.write("Copilot simulator stopped.")
            self.stdout.flush()
