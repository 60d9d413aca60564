"""GitHub Copilot API simulator: a real HTTP server (stdlib `ThreadingHTTPServer`) serving the
Copilot endpoints Koalr uses, from deterministic generated data, for tests, demos and benchmarks.
It follows the reference in docs/copilot-api.md; docs/copilot-simulator.md is the user guide.
A test double: it imports the standard library and `simulators.cursor` (for the shared roster),
nothing of the product, not even Django.

    from simulators.copilot import CopilotSimulator

    sim = CopilotSimulator(clock=None, rate_limits=True)       # API host + download host
    org = sim.add_org("acme", seats=30, days=60, seed=1, plan="business", now=None,
                      cursor_team=None, overlap=0.6, shared_emails=0.5, enterprise=None)
    url = sim.start()          # "http://127.0.0.1:PORT" (sim.url); downloads on sim.download_url
    sim.token                  # a classic token seeing everything; org.token sees only `acme`
    sim.stop()                 # also a context manager

See docs/copilot-simulator.md for the endpoints, faults, switches and ground truth.
"""

from .faults import Faults
from .org import SimEnterprise, SimOrg
from .roster import GitHubUser, cursor_members
from .server import CopilotSimulator, DownloadRequest
from .tokens import CLASSIC_SCOPES, SimToken

__all__ = [
    "CLASSIC_SCOPES",
    "CopilotSimulator",
    "DownloadRequest",
    "Faults",
    "GitHubUser",
    "SimEnterprise",
    "SimOrg",
    "SimToken",
    "cursor_members",
]
