"""Benchmark: fetch 30 days of usage events from the in-process Cursor simulator.

    python bench/client_bench.py [--seats 1000] [--days 30] [--repeat 3]

Prints three figures:

- fetch + parse: events per second through the real client over loopback HTTP (server time
  included, since the simulator runs in this process);
- parse only: decode JSON + normalize the same raw pages again (one core);
- normalize only: the record parser alone on already-decoded pages.

No pass/fail: the target for "parse only" is at least 50,000 events/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integrations.cursor.client import CursorClient  # noqa: E402
from integrations.cursor.parsing import decode_json, parse_usage_event  # noqa: E402
from integrations.cursor.ratelimit import NoRateLimit  # noqa: E402
from simulators.cursor import CursorSimulator  # noqa: E402

EVENTS_PATH = "/teams/filtered-usage-events"


class RecordingTransport(httpx.HTTPTransport):
    """Keeps the raw body of every usage-events page for the parse-only runs."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path == EVENTS_PATH:
            response.read()
            self.pages.append(response.content)
        return response


def best_of(repeat: int, run) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3, help="parse-only runs (best is shown)")
    args = parser.parse_args()

    sim = CursorSimulator(rate_limits=False)
    base_url = sim.start()
    try:
        team = sim.add_team(seats=args.seats, days=args.days)
        started = time.perf_counter()
        team.warm()  # generate the simulated data up front so it is not timed as client work
        warm_seconds = time.perf_counter() - started

        first = team.first_day
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        transport = RecordingTransport()
        client = CursorClient(
            team.api_key, base_url=base_url, limiter=NoRateLimit(), transport=transport, timeout=120
        )
        started = time.perf_counter()
        events = sum(1 for _ in client.usage_events(start, team.now))
        fetch_seconds = time.perf_counter() - started
        client.close()
    finally:
        sim.stop()

    pages = transport.pages
    raw_bytes = sum(len(p) for p in pages)

    def parse_pages():
        count = 0
        for page in pages:
            for record in decode_json(page)["usageEvents"]:
                parse_usage_event(record)
                count += 1
        return count

    decoded = [decode_json(page)["usageEvents"] for page in pages]

    def normalize_only():
        count = 0
        for records in decoded:
            for record in records:
                parse_usage_event(record)
                count += 1
        return count

    parse_seconds, parsed = best_of(args.repeat, parse_pages)
    normalize_seconds, normalized = best_of(args.repeat, normalize_only)
    if not parsed == normalized == events:
        print(f"warning: counts differ (fetched {events}, re-parsed {parsed}, normalized {normalized})")

    print(f"simulator: {args.seats} seats x {args.days} days, data generated in {warm_seconds:.1f} s")
    print(f"pages:     {len(pages)} pages of <=1000 events, {raw_bytes / 1e6:.1f} MB of JSON")
    print(f"events:    {events}")
    print(
        f"fetch+parse:    {fetch_seconds:8.2f} s  {events / fetch_seconds:>10,.0f} events/s"
        "  (loopback HTTP, simulator in this process)"
    )
    print(
        f"parse only:     {parse_seconds:8.2f} s  {parsed / parse_seconds:>10,.0f} events/s"
        "  (json decode + normalize, one core)"
    )
    print(
        f"normalize only: {normalize_seconds:8.2f} s  {normalized / normalize_seconds:>10,.0f} events/s"
        "  (records already decoded)"
    )


if __name__ == "__main__":
    main()
