"""The simulator is a test double: it imports the standard library and itself, nothing else, so it
can never lean on product code it is meant to check, and it runs without Django. The other way
round, the product never imports it: only the dev commands in devtools/, the tests and the benches.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import simulators.claude_code
import simulators.cursor

PACKAGE = Path(simulators.cursor.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))
# Other simulators held to the same rule (they may import each other, relatively).
OTHER_SOURCES = sorted(Path(simulators.claude_code.__file__).parent.rglob("*.py"))
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


def test_every_simulator_module_imports_only_the_standard_library():
    assert len(SOURCES) >= 10, SOURCES
    outside = {
        str(path.relative_to(ROOT)): sorted(
            name
            for name in imported_modules(path)
            if name not in sys.stdlib_module_names and name != "__future__"
        )
        for path in SOURCES + OTHER_SOURCES
    }
    assert {path: names for path, names in outside.items() if names} == {}


def test_serving_a_team_loads_no_django_and_no_product_code():
    product = ("django", "koalr", "analytics", "integrations", "people", "api", "web", "alerts", "devtools")
    script = f"""
import sys
from datetime import UTC, datetime
import httpx
from simulators.cursor import CursorSimulator
with CursorSimulator(rate_limits=False) as sim:
    team = sim.add_team(seats=3, days=2, now=datetime(2026, 3, 1, 12, tzinfo=UTC))
    assert httpx.get(sim.base_url + "/teams/members", auth=(team.api_key, "")).status_code == 200
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
