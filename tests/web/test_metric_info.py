"""`{% metric_info key %}`: accessible markup from the registry entry, nothing for an empty or
unknown key, unique ids when a metric appears twice, and the control on the pages' cards,
charts and column headers."""

import dataclasses
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from analytics import metrics
from analytics.metrics import Metric

pytestmark = pytest.mark.django_db

TEST_METRIC = Metric(
    key="test.acceptance_rate",
    name="Acceptance rate",
    definition="Share of suggestions people accepted.",
    formula="accepts ÷ (accepts + rejects)",
    unit="percent",
    sources={"cursor": "POST /teams/daily-usage-data", "copilot": "GET users-1-day"},
    plans={"cursor": "Teams and Enterprise"},
    caveats=("Agent edits are undercounted in accepted lines.",),
)


@pytest.fixture
def registered():
    """A test-only entry, removed afterwards (the real entries belong to analytics.metrics)."""
    metrics.register(TEST_METRIC)
    yield TEST_METRIC
    metrics._REGISTRY.pop(TEST_METRIC.key, None)


def render(source: str, **context) -> str:
    request = RequestFactory().get("/")
    return Template("{% load metric_info %}" + source).render(Context({"request": request, **context}))


def test_an_empty_or_unknown_key_renders_nothing(registered):
    assert render("{% metric_info '' %}").strip() == ""
    assert render("{% metric_info missing %}").strip() == ""  # an undefined variable
    assert render("{% metric_info 'no.such.metric' %}").strip() == ""


def test_the_control_is_an_accessible_disclosure(registered):
    html = render("{% metric_info key %}", key=registered.key)
    button = re.search(r"<button([^>]*)>(.*?)</button>", html, re.S)
    attrs = button.group(1)
    assert 'type="button"' in attrs and 'aria-expanded="false"' in attrs
    assert 'aria-label="About Acceptance rate"' in attrs
    panel_id = re.search(r'aria-controls="([^"]+)"', attrs).group(1)
    panel = re.search(
        r'<span class="metric-info-panel" id="' + re.escape(panel_id) + r'" hidden[^>]*>(.*)', html, re.S
    )
    assert panel, "the panel the button controls, hidden until opened"
    text = " ".join(re.sub(r"<[^>]+>", " ", panel.group(1)).split())
    for part in (
        "Share of suggestions people accepted.",
        "Formula accepts ÷ (accepts + rejects)",
        "Unit percent",
        "Cursor: POST /teams/daily-usage-data",
        "GitHub Copilot: GET users-1-day",
        "Not reported by Claude Code",
        "Plans Cursor: Teams and Enterprise",
        "Agent edits are undercounted in accepted lines.",
    ):
        assert part in text, part
    assert "onclick" not in html and "<script" not in html  # the CSP: behaviour from static JS only


def test_two_controls_for_one_metric_get_distinct_ids(registered):
    html = render("{% metric_info key %}{% metric_info key %}", key=registered.key)
    ids = re.findall(r'aria-controls="([^"]+)"', html)
    assert len(ids) == 2 and len(set(ids)) == 2
    for panel_id in ids:
        assert html.count(f'id="{panel_id}"') == 1


def test_the_text_is_escaped():
    evil = dataclasses.replace(TEST_METRIC, key="test.evil", name='<img src=x onerror="alert(1)">')
    metrics.register(evil)
    try:
        html = render("{% metric_info 'test.evil' %}")
    finally:
        metrics._REGISTRY.pop("test.evil", None)
    assert "<img" not in html and "&lt;img" in html


@pytest.fixture
def keyed_pages(monkeypatch, registered):
    """The usage page's cards, charts and the member table's columns tied to the test entry
    (the real keys are set on the declarations themselves)."""
    from web import tables
    from web.pages import usage

    monkeypatch.setattr(
        usage, "CARDS", tuple(dataclasses.replace(c, metric=registered.key) for c in usage.CARDS)
    )
    monkeypatch.setattr(
        usage, "CHARTS", tuple(dataclasses.replace(c, metric=registered.key) for c in usage.CHARTS)
    )
    monkeypatch.setitem(tables.COLUMN_METRICS, "acceptance_rate", registered.key)
    return registered


@pytest.fixture
def acme(org):
    from tests.fixtures.analytics_data import seed_usage

    return seed_usage(org, members=4, days=10, seed=8)


@pytest.mark.parametrize("persona", ["admin_client", "member_client"])
def test_cards_charts_and_headers_carry_the_control(request, acme, keyed_pages, persona):
    client = request.getfixturevalue(persona)
    html = client.get("/ai-analytics/").content.decode()
    stats = re.findall(
        r'<div class="stat" data-stat="[^"]+">\s*<div class="stat-label">[^<]*<span class="metric-info">',
        html,
    )
    charts = re.findall(r'<div class="chart-head"><h2[^>]*>[^<]*</h2><span class="metric-info">', html)
    assert len(stats) >= 5 and len(charts) >= 5
    ids = re.findall(r'aria-controls="(mi-[^"]+)"', html)
    assert len(ids) == len(set(ids))  # unique on the page
    headers = re.findall(r'<th scope="col"[^>]*>(?:(?!</th>).)*metric-info(?:(?!</th>).)*</th>', html, re.S)
    from web import tables

    keyed = [k for k, _, _ in tables.MEMBER_COLUMNS if tables.COLUMN_METRICS.get(k)]
    assert "acceptance_rate" in keyed
    # Each keyed column of the member table, which only admins get.
    assert len(headers) == (len(keyed) if persona == "admin_client" else 0)
