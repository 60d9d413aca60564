"""GET /api/v1/metrics: the registry, for any authenticated caller (it is not an
organization's data), 401 without credentials."""

import pytest
from django.test import Client

from analytics.metrics import all_metrics, describe

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["owner", "admin", "lead", "member", "outsider"])
def test_every_persona_reads_the_whole_registry(api, persona):
    response = api(persona).get("/api/v1/metrics", {"limit": 1000})
    assert response.status_code == 200
    body = response.json()
    keys = [row["key"] for row in body["results"]]
    assert keys == [m.key for m in all_metrics()]
    assert body["count"] == len(keys)
    rate = next(row for row in body["results"] if row["key"] == "acceptance_rate")
    assert rate["formula"] == "acceptance rate = accepts ÷ (accepts + rejects)"
    assert rate["description"] == describe("acceptance_rate")
    assert rate["sources"] == {"cursor": "POST /teams/daily-usage-data"}
    share = next(row for row in body["results"] if row["key"] == "ai_share")
    assert share["plans"] == {"cursor": "Enterprise (AI Code Tracking API)"}


def test_a_signed_in_session_reads_it_and_nobody_else(page, tree):
    assert page("member").get("/api/v1/metrics").status_code == 200
    response = Client().get("/api/v1/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Client(HTTP_AUTHORIZATION="Bearer not-a-token").get("/api/v1/metrics").status_code == 401


def test_one_metric_a_tool_filter_and_bad_input(api):
    c = api("member")
    one = c.get("/api/v1/metrics/usage_events").json()
    assert one["unit"] == "count" and "copilot" not in one["sources"]
    assert c.get("/api/v1/metrics/no_such_metric").status_code == 404
    copilot = {
        r["key"] for r in c.get("/api/v1/metrics", {"tool": "copilot", "limit": 1000}).json()["results"]
    }
    assert "accepted_lines" in copilot and "usage_events" not in copilot and "ai_share" not in copilot
    bad = c.get("/api/v1/metrics", {"tool": "vim"})
    assert bad.status_code == 400 and "tool" in bad.json()
