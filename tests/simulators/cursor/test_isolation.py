"""The simulators are test doubles: they import the standard library and themselves, nothing else,
so they can never lean on product code they are meant to check, and they run without Django (the
Copilot simulator may also use the Cursor simulator's roster, to share its people). The other way
round, the product never imports them: only the dev commands in devtools/, the tests and the benches.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import simulators.claude_code
import simulators.copilot
import simulators.cursor

PACKAGE = Path(simulators.cursor.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))
COPILOT = Path(simulators.copilot.__file__).parent
CLAUDE_CODE = Path(simulators.claude_code.__file__).parent
ROOT = PACKAGE.parents[1]
# Where starting a simulator is the point; everything else under ROOT is product code.
MAY_IMPORT_SIMULATORS = {"simulators", "devtools", "tests", "bench"}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every absolute import in the file, function-level ones included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    ("package", "allowed"),
    [(PACKAGE, set()), (COPILOT, {"simulators"}), (CLAUDE_CODE, {"simulators"})],
    ids=["cursor", "copilot", "claude_code"],
)
def test_every_simulator_module_imports_only_the_standard_library(package, allowed):
    sources = sorted(package.rglob("*.py"))
    assert len(sources) >= 9, sources  # a whole package, not an empty glob
    outside = {
        str(path.relative_to(package)): sorted(
            name
            for name in imported_modules(path)
            if name not in sys.stdlib_module_names and name != "__future__" and name not in allowed
        )
        for path in sources
    }
    assert {path: names for path, names in outside.items() if names} == {}


def test_the_copilot_simulator_uses_only_the_cursor_roster_of_the_other_simulators():
    """`simulators.cursor.roster` is the one module it may share (the people both tools seat)."""
    used = set()
    for path in COPILOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.startswith("simulators"):
                used.add(node.module)
            elif isinstance(node, ast.Import):
                used |= {alias.name for alias in node.names if alias.name.startswith("simulators")}
    assert used == {"simulators.cursor.roster"}


def test_serving_loads_no_django_and_no_product_code():
    product = ("django", "koalr", "analytics", "integrations", "people", "api", "web", "alerts", "devtools")
    script = f"""
import sys
from datetime import UTC, datetime
import httpx
from simulators.cursor import CursorSimulator
with CursorSimulator(rate_limits=False) as sim:
    team = sim.add_team(seats=3, days=2, now=datetime(2026, 3, 1, 12, tzinfo=UTC))
    assert httpx.get(sim.base_url + "/teams/members", auth=(team.api_key, "")).status_code == 200
from simulators.copilot import CopilotSimulator as Copilot
with Copilot(clock=lambda: datetime(2026, 3, 1, 12, tzinfo=UTC)) as sim:
    org = sim.add_org("acme", seats=3, days=2)
    headers = {{"Authorization": "Bearer " + org.token}}
    assert httpx.get(sim.url + "/orgs/acme/copilot/billing/seats", headers=headers).status_code == 200
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {product!r})
print(loaded)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PACKAGE.parents[1], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_no_product_module_imports_the_simulators():
    product_sources = [
        path
        for path in ROOT.rglob("*.py")
        if not (set(path.relative_to(ROOT).parts) & (MAY_IMPORT_SIMULATORS | {".venv", "node_modules"}))
    ]
    assert any(path.match("integrations/cursor/client.py") for path in product_sources)
    importers = [
        str(path.relative_to(ROOT)) for path in product_sources if "simulators" in imported_modules(path)
    ]
    assert importers == []
