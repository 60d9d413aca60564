"""Run the Cursor API simulator as a standalone HTTP server (for demos, manual testing, benchmarks).

    python manage.py cursor_simulator --port 8765 --seats 50 --days 60 --seed 1 [--plan team|enterprise]
        [--host 127.0.0.1] [--api-key KEY] [--no-rate-limits] [--no-warm] [--now 2028-02-29T12:00Z]

Prints the base URL and a ready API key, then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from simulators.cursor import CursorSimulator


def aware_datetime(value: str) -> datetime:
    """ISO 8601 date or datetime; UTC when it names no offset."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 datetime: {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class Command(BaseCommand):
    help = "Serve a simulated Cursor Admin/Analytics/AI Code Tracking API on loopback."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--seats", type=int, default=50)
        parser.add_argument("--days", type=int, default=60)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--plan", choices=("team", "enterprise"), default="enterprise")
        parser.add_argument(
            "--api-key", default=None, help="Key to accept (key_… or crsr_…); generated if absent."
        )
        parser.add_argument(
            "--no-rate-limits", action="store_true", help="Disable the real API's rate limits."
        )
        parser.add_argument(
            "--no-warm",
            action="store_true",
            help="Generate days on first request instead of in the background.",
        )
        parser.add_argument(
            "--now",
            type=aware_datetime,
            default=None,
            help="Serve the team as of this moment (ISO 8601, UTC unless an offset is given); "
            "default: the current time.",
        )

    def handle(self, *args, **options):
        api_key = options["api_key"]
        if api_key is not None and not api_key.startswith(("key_", "crsr_")):
            raise CommandError("--api-key must start with key_ or crsr_")
        sim = CursorSimulator(rate_limits=not options["no_rate_limits"])
        try:
            team = sim.add_team(
                api_key=api_key,
                seats=options["seats"],
                days=options["days"],
                seed=options["seed"],
                plan=options["plan"],
                now=options["now"],
            )
            base_url = sim.start(host=options["host"], port=options["port"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

        stop = threading.Event()

        def request_stop(signum, frame):
            stop.set()

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)

        if not options["no_warm"]:
            # Pre-generate every day so the first full sync is as fast as later ones.
            threading.Thread(target=team.warm, name="cursor-simulator-warm", daemon=True).start()

        self.stdout.write(f"Cursor simulator listening on {base_url}")
        self.stdout.write(f"API key: {team.api_key}")
        self.stdout.write(
            f"Team {team.team_id}: {team.seats} seats, {team.days} days, seed {team.seed}, {team.plan} plan, "
            f"rate limits {'on' if sim.rate_limits else 'off'}. Ctrl-C to stop."
        )
        self.stdout.flush()
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        finally:
            sim.stop()
            self.stdout.write("Cursor simulator stopped.")
            self.stdout.flush()
