"""The import rules between the product's layers (docs/architecture.md).

An arrow means "may import"; a layer may always import itself:

    accounts     koalr.accounts.*                  → nothing else of the product
    people       people.*                          → accounts
    analytics    analytics.*                       → people, accounts
    integrations integrations.*                    → analytics, people, accounts
    api/web/alerts  api.*, web.*, alerts.*          → integrations, analytics, people, accounts
    project      koalr.* (settings, urls, celery…)  → anything but simulators
    devtools     devtools.* (the demo command…)     → anything, simulators included
    simulators   simulators.*                      → nothing of the product (stdlib and itself)

Every import counts: top-level ones, those inside functions and `TYPE_CHECKING` blocks, and
relative ones (resolved to absolute module names). Migrations are not checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("koalr", "people", "analytics", "integrations", "api", "web", "alerts", "devtools", "simulators")

LAYERS = ("accounts", "people", "analytics", "integrations", "api", "web", "alerts", "project", "devtools")
SERVICES = {"integrations", "analytics", "people", "accounts"}
ALLOWED = {  # layer → the other layers it may import
    "accounts": set(),
    "people": {"accounts"},
    "analytics": {"people", "accounts"},
    "integrations": {"analytics", "people", "accounts"},
    "api": SERVICES,
    "web": SERVICES,
    "alerts": SERVICES,
    "project": set(LAYERS),
    "devtools": {*LAYERS, "simulators"},
    "simulators": set(),
}


def layer_of(module: str) -> str | None:
    """The layer of a product module; None for the standard library and third parties."""
    if module == "koalr.accounts" or module.startswith("koalr.accounts."):
        return "accounts"
    top = module.split(".")[0]
    if top == "koalr":
        return "project"
    return top if top in ALLOWED else None


def imports_of(module: str, source: str, *, is_package=False, known=frozenset()) -> list[tuple[str, int]]:
    """(imported module, line) for every import statement anywhere in `source`.

    `from X import name` imports the module `X.name` when that is a module in `known` or
    belongs to another layer than X (`from koalr import accounts`), else the module X.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, or `level - 1` packages above it
                parts = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}" if base else alias.name
                submodule = full in known or layer_of(full) != layer_of(base) or not base
                found.append((full if submodule and alias.name != "*" else base, node.lineno))
    return found


def forbidden_edges(modules: Iterable[tuple]) -> list[str]:
    """`module → imported module (file:line)` for each import the layers forbid, sorted.

    `modules` holds (module name, source) pairs, or (module name, source, path) where a path
    ending in `__init__.py` marks a package (for resolving relative imports).
    """
    modules = list(modules)
    known = frozenset(name for name, *_ in modules)
    edges = set()
    for name, source, *path in modules:
        filename = str(path[0]) if path else f"<{name}>"
        layer, is_package = layer_of(name), filename.endswith("__init__.py")
        if layer is None:
            continue  # not product code
        for target, line in imports_of(name, source, is_package=is_package, known=known):
            target_layer = layer_of(target)
            if target_layer not in (None, layer) and target_layer not in ALLOWED[layer]:
                edges.add(f"{name} → {target} ({filename}:{line})")
    return sorted(edges)


def product_modules() -> list[tuple[str, str, str]]:
    modules = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            parts = relative.with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules.append((name, path.read_text(encoding="utf-8"), str(relative)))
    return modules


def test_product_imports_follow_the_layers():
    modules = product_modules()
    packages = {layer_of(name) for name, *_ in modules}
    assert {"accounts", "project"} <= packages and len(modules) > 20, "the walk found no product code"
    edges = forbidden_edges(modules)
    if edges:
        pytest.fail(f"{len(edges)} forbidden imports (module → imported module):\n" + "\n".join(edges))


def test_the_checker_reports_forbidden_imports_and_allows_the_rest():
    modules = [
        ("analytics.selectors", "from integrations.models import SyncRun\n"),
        ("simulators.cursor.server", "import json\nimport koalr\n"),
        (
            "analytics.views",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from integrations import models\n",
        ),
        ("analytics.cache", "def warm():\n    from integrations.cursor.sync import runner\n"),
        ("koalr.accounts.views", "from .. import urls\nfrom . import models\n"),
        ("koalr.accounts", "from ..urls import urlpatterns\n", "koalr/accounts/__init__.py"),
        ("people.matching", "from api.views import x\n"),
        ("api.views", "from devtools.management.commands import demo\n"),
        ("web.views", "from simulators.cursor import CursorSimulator\n"),
        ("koalr.urls", "from simulators import cursor\nfrom api import urls\nfrom web import urls\n"),
        # Allowed:
        ("integrations.models", "from django.db import models\n"),
        ("integrations.cursor.sync.runner", "from analytics import services\nfrom . import lanes\n"),
        ("api.views", "from integrations.models import SyncRun\nfrom analytics.selectors import x\n"),
        ("people.models", "from koalr.accounts.models import Organization\nimport django.db\n"),
        ("devtools.management.commands.demo", "from simulators.cursor import CursorSimulator\n"),
        ("simulators.cursor.team", "from .util import day_range\nfrom simulators.cursor import sim\n"),
        ("analytics.models", "from koalr.accounts.models import Organization\nfrom people import models\n"),
    ]
    assert forbidden_edges(modules) == sorted(
        [
            "analytics.selectors → integrations.models (<analytics.selectors>:1)",
            "simulators.cursor.server → koalr (<simulators.cursor.server>:2)",
            "analytics.views → integrations.models (<analytics.views>:3)",
            "analytics.cache → integrations.cursor.sync.runner (<analytics.cache>:2)",
            "koalr.accounts.views → koalr.urls (<koalr.accounts.views>:1)",
            "koalr.accounts → koalr.urls (koalr/accounts/__init__.py:1)",
            "people.matching → api.views (<people.matching>:1)",
            "api.views → devtools.management.commands.demo (<api.views>:1)",
            "web.views → simulators.cursor (<web.views>:1)",
            "koalr.urls → simulators (<koalr.urls>:1)",
        ]
    )
