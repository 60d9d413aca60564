"""The metric registry: every figure Koalr shows or serves, defined once.

Each headline card, chart, table column and API field names one entry here by its key. The
pages' info controls, the OpenAPI field descriptions and ``GET /api/v1/metrics`` all read
these entries, so a definition is written in one place and cannot drift between them.

Entries are declared in the modules of this package, one per area, with ``register``;
importing the package loads them all (see the bottom of this module).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Units a metric is measured in (how the info control and the API describe its value).
UNITS = frozenset(
    {"people", "count", "percent", "ratio", "cents", "dollars", "lines", "tokens", "days", "date", "text"}
)
TOOLS = ("cursor", "copilot", "claude_code")


@dataclass(frozen=True)
class Metric:
    """One figure: what it means, how it is computed, where it comes from, what limits it.

    ``sources`` maps a tool to the upstream endpoint(s) the figure is read from; a tool
    absent from it does not report the figure ("not reported by Copilot"). ``plans`` maps a
    tool to the plans that provide it, when not every plan does ("Enterprise").
    """

    key: str
    name: str
    definition: str
    formula: str
    unit: str
    sources: Mapping[str, str]
    plans: Mapping[str, str] = field(default_factory=dict)
    caveats: tuple[str, ...] = ()

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"metric {self.key!r}: unknown unit {self.unit!r}")
        unknown = set(self.sources) - set(TOOLS) or set(self.plans) - set(TOOLS)
        if unknown:
            raise ValueError(f"metric {self.key!r}: unknown tool(s) {sorted(unknown)}")

    def reported_by(self, tool: str) -> bool:
        return tool in self.sources

    def description(self) -> str:
        """One paragraph for an OpenAPI field description: definition, formula, caveats."""
        parts = [self.definition.rstrip(".") + ".", f"Formula: {self.formula.rstrip('.')}."]
        parts += [caveat.rstrip(".") + "." for caveat in self.caveats]
        return " ".join(parts)


_REGISTRY: dict[str, Metric] = {}
REGISTRY: Mapping[str, Metric] = MappingProxyType(_REGISTRY)


def register(*metrics: Metric) -> None:
    for entry in metrics:
        if entry.key in _REGISTRY:
            raise ValueError(f"metric {entry.key!r} is registered twice")
        _REGISTRY[entry.key] = entry


def metric(key: str) -> Metric:
    """The entry for ``key``; a KeyError names the missing key (a figure with no definition)."""
    try:
        return _REGISTRY[key]
    except KeyError:
        raise KeyError(f"no metric {key!r} in analytics.metrics") from None


def all_metrics() -> Iterable[Metric]:
    return sorted(_REGISTRY.values(), key=lambda m: m.key)


def describe(key: str) -> str:
    """The OpenAPI description of a field tied to ``key``."""
    return metric(key).description()


# The entries, one module per area (each calls ``register`` when imported).
from . import acceptance, activity, ai_code, claude_code, models, quality, requests, spend, sync, teams, tools  # noqa: E402,F401,I001
