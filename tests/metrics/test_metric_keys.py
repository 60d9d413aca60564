"""Every figure is tied to a metric of the registry (analytics.metrics): each page's cards,
charts and numeric table columns, every figure a template writes itself, every numeric
field of the API's serializers, and the OpenAPI schema's descriptions (issue 14)."""

import pytest
from rest_framework import serializers

from analytics.metrics import REGISTRY, describe
from api.metric_fields import tied
from web import tables
from web.pages import Card, Chart, figures, spend, teams, tool_switch, tools, usage

from . import coverage

PAGE_MODULES = [usage, spend, teams, tools, tool_switch]


def test_every_card_and_chart_names_a_registered_metric():
    assert coverage.declared(usage, Card) and coverage.declared(tools, Chart)  # the walk finds them
    assert coverage.card_and_chart_problems(PAGE_MODULES) == []


def test_every_numeric_column_names_a_registered_metric():
    problems = coverage.column_problems("member table", tables.MEMBER_COLUMNS, tables.COLUMN_METRICS)
    problems += coverage.column_problems("spend table", tables.SPEND_COLUMNS, tables.SPEND_COLUMN_METRICS)
    problems += coverage.column_problems("team comparison", teams.COLUMNS, lambda c: c.metric)
    problems += coverage.column_problems("seat overlap", tools.OVERLAP_COLUMNS, tools.OVERLAP_METRICS)
    assert problems == []
    # The headers the templates render carry the same keys.
    headers = tables.header_links(tables.SPEND_COLUMNS, "", metrics=tables.SPEND_COLUMN_METRICS)
    assert {h["key"]: h["metric"] for h in headers}["spend_cents"] == "on_demand_spend"
    assert teams.headers("")[2]["metric"] == "seats"


def test_every_figure_a_template_writes_itself_names_a_registered_metric():
    assert coverage.template_problems(figures.TEMPLATE_FIGURES) == []
    for table, columns in figures.TEMPLATE_TABLES.items():
        for label, key in columns.items():
            assert key in REGISTRY, (table, label, key)


def test_every_numeric_api_field_names_a_registered_metric():
    classes = coverage.api_serializers()
    names = {c.__name__ for c in classes}
    assert {"DailyUsageSerializer", "HeadlineSerializer", "SpendReviewSerializer", "ToolsSerializer"} <= names
    assert coverage.serializer_problems(classes) == []


def test_the_checks_fail_on_a_missing_or_an_unknown_key(tmp_path):
    """A synthetic page, table, template and serializer with untied figures: each is reported."""

    class Module:
        __name__ = "synthetic"

    page = Module()
    page.CARDS = (Card("x", "X", str), Card("y", "Y", str, metric="no_such_metric"))
    page.CHARTS = (Chart("fig-z", "Z", "", dict),)
    assert coverage.card_and_chart_problems([page]) == [
        "synthetic Card x: no metric key",
        "synthetic Card y: unknown metric key 'no_such_metric'",
        "synthetic Chart fig-z: no metric key",
    ]
    columns = [("name", "Name", "text"), ("seats", "Seats", "int"), ("odd", "Odd", "cents")]
    assert coverage.column_problems("t", columns, {"odd": "nope"}) == [
        "t column seats: no metric key",
        "t column odd: unknown metric key 'nope'",
    ]
    (tmp_path / "page.html").write_text('<div data-stat="total"></div><td data-field="{{ x }}"></td>')
    assert coverage.template_problems({}, tmp_path) == ["page.html figure total: no metric key"]

    @tied(seats="seats")
    class Synthetic(serializers.Serializer):
        id = serializers.IntegerField()
        seats = serializers.IntegerField()
        wau = serializers.IntegerField()
        ratio = serializers.ListField(child=serializers.FloatField())
        label = serializers.CharField()

    assert [p.split(".")[-1] for p in coverage.serializer_problems([Synthetic])] == [
        "wau: no metric key",
        "ratio: no metric key",
    ]


def test_tied_rejects_an_unknown_key_and_an_unexplained_null():
    with pytest.raises(KeyError, match="no_such_metric"):

        @tied(x="no_such_metric")
        class Unknown(serializers.Serializer):
            x = serializers.IntegerField()

    with pytest.raises(ValueError, match="nullable"):

        @tied(x="wau")
        class Unexplained(serializers.Serializer):
            x = serializers.IntegerField(allow_null=True)


@pytest.mark.django_db
def test_the_schema_describes_each_field_from_the_registry():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    daily = components["DailyUsage"]["properties"]
    assert daily["active_users"]["description"] == describe("dau")
    assert (
        "accepts ÷ (accepts + rejects)"
        in components["AcceptanceRateFigure"]["properties"]["value"]["description"]
    )
    # Every nullable figure says why it can be null, in its description.
    unexplained = [
        f"{name}.{prop}"
        for name, component in components.items()
        for prop, spec in component.get("properties", {}).items()
        if spec.get("nullable")
        and spec.get("type") in ("integer", "number")
        and "null" not in spec.get("description", "")
    ]
    assert unexplained == []
    ai = components["AiCodeFigures"]["properties"]["ai_share"]
    assert ai["nullable"] and "not available on your plan" in ai["description"]
