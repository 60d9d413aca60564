"""OpenAPI schema and Swagger UI: accurate, and served without any third-party asset."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/orgs/{org}/members": "get",
    "/api/v1/orgs/{org}/usage/daily": "get",
    "/api/v1/orgs/{org}/usage/models": "get",
    "/api/v1/orgs/{org}/usage/members": "get",
    "/api/v1/orgs/{org}/spend": "get",
    "/api/v1/orgs/{org}/sync-runs": "get",
    "/api/v1/orgs/{org}/integrations/cursor/sync": "post",
    "/api/v1/orgs/{org}/usage": "get",
}


@pytest.fixture
def schema():
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_documents_every_endpoint_with_bearer_auth(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token from Settings → API tokens.",
    }
    for path, method in ENDPOINTS.items():
        operation = schema["paths"][path][method]
        assert {"bearerAuth": []} in operation["security"], path
        assert {"401", "404", "429"} <= set(operation["responses"]), path


def test_schema_marks_required_dates_and_admin_only_403s(schema):
    daily = schema["paths"]["/api/v1/orgs/{org}/usage/daily"]["get"]
    params = {p["name"]: p for p in daily["parameters"]}
    assert params["start"]["required"] and params["end"]["required"]
    assert params["start"]["schema"]["format"] == "date"
    for path in ["/api/v1/orgs/{org}/usage/members", "/api/v1/orgs/{org}/spend"]:
        assert "403" in schema["paths"][path]["get"]["responses"]


def test_docs_page_loads_its_assets_locally(org):
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "no third-party assets"
    assert "<script>" not in html  # no inline script: the start-up script is its own file
    script = Client().get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()  # no badge from validator.swagger.io
    assets = re.findall(r"""(?:src|href)="/static/([^"]+)\"""", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert finders.find(asset), asset
