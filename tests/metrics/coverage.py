"""Find every figure of the pages and the API and the metric key it is tied to.

Each function returns the problems it found, as readable strings ("where: what"), so a test
asserts there are none and a synthetic case shows that a missing or unknown key is caught.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

from rest_framework import serializers

from analytics.metrics import REGISTRY

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# A figure a template writes itself: <… data-stat="total"> and the like (literal values only).
FIGURE_ATTR = re.compile(r'data-(?:stat|field|metric|count)="([A-Za-z0-9_]+)"')
NUMERIC_FIELDS = (serializers.IntegerField, serializers.FloatField, serializers.DecimalField)
# Not figures: identifiers, and the pagination envelope's row count.
NOT_FIGURES = {"id", "person_id", "count", "sync_run_id"}  # ids and paging, not figures


def _key_problem(where: str, key: str) -> list[str]:
    if not key:
        return [f"{where}: no metric key"]
    if key not in REGISTRY:
        return [f"{where}: unknown metric key {key!r}"]
    return []


def declared(module, kind) -> list:
    """Every `kind` (Card or Chart) in the module's top-level tuples."""
    found = []
    for value in vars(module).values():
        if isinstance(value, tuple | list):
            found += [item for item in value if isinstance(item, kind)]
    return found


def card_and_chart_problems(modules) -> list[str]:
    from web.pages.base import Card, Chart

    problems = []
    for module in modules:
        for item in declared(module, Card) + declared(module, Chart):
            name = getattr(item, "id", None) or item.key
            problems += _key_problem(f"{module.__name__} {type(item).__name__} {name}", item.metric)
    return problems


def column_problems(where: str, columns, metrics, *, text=("text",)) -> list[str]:
    """Columns given as (key, label, kind) tuples or objects with key/kind; numeric = not text."""
    problems = []
    for column in columns:
        key, kind = (column[0], column[2]) if isinstance(column, tuple) else (column.key, column.kind)
        if kind in text:
            continue
        problems += _key_problem(
            f"{where} column {key}", metrics(column) if callable(metrics) else metrics.get(key, "")
        )
    return problems


def template_problems(figures: dict[str, dict[str, str]], templates=TEMPLATES) -> list[str]:
    problems = []
    for path in sorted(templates.rglob("*.html")):
        name = str(path.relative_to(templates))
        for value in sorted(set(FIGURE_ATTR.findall(path.read_text()))):
            problems += _key_problem(f"{name} figure {value}", figures.get(name, {}).get(value, ""))
    return problems


def _numeric(field) -> bool:
    if isinstance(field, serializers.ListField | serializers.DictField):
        return isinstance(field.child, NUMERIC_FIELDS)
    return isinstance(field, NUMERIC_FIELDS)


def serializer_problems(classes) -> list[str]:
    problems = []
    for cls in classes:
        ties = getattr(cls, "METRICS", {})
        for name, field in cls().fields.items():
            if name in NOT_FIGURES or not _numeric(field):
                continue
            problems += _key_problem(f"{cls.__module__}.{cls.__name__}.{name}", ties.get(name, ""))
    return problems


def api_serializers() -> list[type]:
    """Every serializer class defined in the api package (its modules imported)."""
    import api

    for info in pkgutil.walk_packages(api.__path__, "api."):
        importlib.import_module(info.name)
    found = {}
    stack = [serializers.BaseSerializer]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("api.") and not inspect.isabstract(sub):
                found[f"{sub.__module__}.{sub.__qualname__}"] = sub
    return [found[k] for k in sorted(found)]
