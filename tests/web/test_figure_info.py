"""Figures a template writes out itself (not through a Card, a Chart or a column table) get
the same info control, from web/pages/figures.py's mapping to the registry."""

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils.html import escape

from analytics.metrics import metric
from web.pages.figures import TEMPLATE_FIGURES, TEMPLATE_TABLES


def render(source: str) -> str:
    request = RequestFactory().get("/")
    return Template("{% load metric_info %}" + source).render(Context({"request": request}))


@pytest.mark.parametrize(
    ("template_name", "figure"), [(t, f) for t, figures in TEMPLATE_FIGURES.items() for f in figures]
)
def test_every_mapped_figure_renders_its_registry_entry(template_name, figure):
    html = render(f'{{% figure_info "{template_name}" "{figure}" %}}')
    entry = metric(TEMPLATE_FIGURES[template_name][figure])
    assert f'aria-label="About {escape(entry.name)}"' in html
    assert f'data-metric="{entry.key}"' in html


@pytest.mark.parametrize(
    ("table", "header"), [(t, h) for t, headers in TEMPLATE_TABLES.items() for h in headers]
)
def test_every_mapped_column_renders_its_registry_entry(table, header):
    html = render(f'{{% column_info "{table}" "{header}" %}}')
    assert f'data-metric="{TEMPLATE_TABLES[table][header]}"' in html


def test_an_unmapped_figure_renders_nothing():
    assert render('{% figure_info "analytics/spend_review.html" "no_such_figure" %}').strip() == ""
    assert render('{% column_info "no.table" "Total" %}').strip() == ""


@pytest.mark.django_db
def test_the_spend_review_explains_its_cards_and_columns(admin_client, org):
    from tests.fixtures.analytics_data import CursorMemberFactory, SpendSnapshotFactory

    member = CursorMemberFactory(organization=org)
    SpendSnapshotFactory(organization=org, member=member)
    html = admin_client.get("/ai-analytics/spend/").content.decode()
    explained = set(re.findall(r'data-metric="([a-z0-9_]+)"', html))
    for key in ("cycle_total", "projected_spend", "idle_seats_30", "on_demand_spend", "cost_per_request"):
        assert key in explained, key
