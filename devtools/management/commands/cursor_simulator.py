"""Run the Cursor API simulator as a standalone HTTP server (for demos, manual testing, benchmarks).

    python manage.py cursor_simulator --port 8765 --seats 50 --days 60 --seed 1 [--plan team|enterprise]
        [--host 127.0.0.1] [--api-key KEY] [--no-rate-limits] [--no-warm] [--now 2028-02-29T12:00Z]
        [--drop-day DATE] [--drop-events-day DATE] [--revise-day DATE[@REQUESTS]]
        [--usage-only-email EMAIL] [--spend-skew CENTS[@EMAIL]] [--malformed-events K]

The data-fault flags (repeatable, except --malformed-events) make Cursor's data wrong in the ways
Koalr's data-quality checks look for: no daily rows for a day, no usage events for a day, a day
revised after a number of requests (default 100, so the first sync sees the original figures),
someone using Cursor who is not in the roster, a /teams/spend total that disagrees with the
events (the owner's unless an email is given), and broken usage events in the next K answers.

Prints the base URL and a ready API key, then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import UTC, date, datetime

from django.core.management.base import BaseCommand, CommandError

from simulators.cursor import CursorSimulator

DEFAULT_REVISE_AFTER_REQUESTS = 100


def revise_spec(value: str) -> dict:
    """DATE or DATE@REQUESTS: revise that day once that many requests have been answered."""
    day, _, after = value.partition("@")
    try:
        date.fromisoformat(day)
        requests = int(after) if after else DEFAULT_REVISE_AFTER_REQUESTS
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected DATE or DATE@REQUESTS, got {value!r}") from None
    if requests < 0:
        raise argparse.ArgumentTypeError("REQUESTS must be >= 0")
    return {"day": day, "after_requests": requests}


def iso_day(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {value!r}") from None


def skew_spec(value: str) -> tuple[str, float]:
    """CENTS or CENTS@EMAIL (default: the team's owner)."""
    cents, _, email = value.partition("@")
    try:
        amount = float(cents)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected CENTS or CENTS@EMAIL, got {value!r}") from None
    if amount != amount or amount in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError("CENTS must be a finite number")
    return email or "owner", amount


def data_faults(options: dict) -> dict:
    """The data-fault flags as a spec for `SimTeam.apply_data_faults`."""
    spec: dict = {}
    if options.get("drop_day"):
        spec["drop_days"] = options["drop_day"]
    if options.get("drop_events_day"):
        spec["drop_event_days"] = options["drop_events_day"]
    if options.get("revise_day"):
        spec["revise_days"] = options["revise_day"]
    if options.get("usage_only_email"):
        spec["usage_only_emails"] = options["usage_only_email"]
    if options.get("spend_skew"):
        skew: dict = {}
        for email, cents in options["spend_skew"]:
            skew[email] = skew.get(email, 0.0) + cents
        spec["spend_skew"] = skew
    if options.get("malformed_events"):
        spec["malformed_events"] = options["malformed_events"]
    return spec


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
        faults = parser.add_argument_group("data faults (for the data-quality checks)")
        faults.add_argument(
            "--drop-day",
            action="append",
            type=iso_day,
            metavar="DATE",
            help="Serve no daily rows for this day.",
        )
        faults.add_argument(
            "--drop-events-day",
            action="append",
            type=iso_day,
            metavar="DATE",
            help="Serve no usage events of this day (daily rows and spend keep them).",
        )
        faults.add_argument(
            "--revise-day",
            action="append",
            type=revise_spec,
            metavar="DATE[@REQUESTS]",
            help=f"Revise this day after REQUESTS answered requests (default {DEFAULT_REVISE_AFTER_REQUESTS}).",
        )
        faults.add_argument(
            "--usage-only-email",
            action="append",
            metavar="EMAIL",
            help="Someone with daily usage who is not in /teams/members.",
        )
        faults.add_argument(
            "--spend-skew",
            action="append",
            type=skew_spec,
            metavar="CENTS[@EMAIL]",
            help="Add CENTS to a member's /teams/spend totals (default: the owner).",
        )
        faults.add_argument(
            "--malformed-events",
            type=int,
            default=0,
            metavar="K",
            help="One broken event in each of the next K answers.",
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
            team.apply_data_faults(data_faults(options))
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
