"""Schemathesis against the app's own OpenAPI schema: no 5xx, no response outside the schema.

Every operation is fuzzed with valid (positive) and invalid (negative) query parameters,
authenticated as an admin token of a seeded organization. Hypothesis is derandomized with a
bounded number of examples, so the run is repeatable in CI and takes seconds.
"""

from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from integrations.models import Connection, SyncRun
from integrations.quality import record_cursor_checks
from tests.fixtures.analytics_data import seed_usage

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 25

# Listed here so a test id names each one; test_every_operation_is_fuzzed keeps it complete.
OPERATIONS = [
    ("GET", "/api/v1/orgs/{org}/members"),
    ("GET", "/api/v1/orgs/{org}/usage/daily"),
    ("GET", "/api/v1/orgs/{org}/usage/models"),
    ("GET", "/api/v1/orgs/{org}/usage/members"),
    ("GET", "/api/v1/orgs/{org}/usage"),
    ("GET", "/api/v1/orgs/{org}/spend"),
    ("GET", "/api/v1/orgs/{org}/sync-runs"),
    ("POST", "/api/v1/orgs/{org}/integrations/cursor/sync"),
    ("GET", "/api/v1/orgs/{org}/teams"),
    ("GET", "/api/v1/orgs/{org}/teams/compare"),
    ("GET", "/api/v1/orgs/{org}/people"),
    ("GET", "/api/v1/orgs/{org}/chargeback"),
    ("GET", "/api/v1/orgs/{org}/data-health"),
    ("GET", "/api/v1/orgs/{org}/spend/reconciliation"),
    # Every figure of the pages (issue 14)
    ("GET", "/api/v1/metrics"),
    ("GET", "/api/v1/metrics/{key}"),
    ("GET", "/api/v1/orgs/{org}/usage/headline"),
    ("GET", "/api/v1/orgs/{org}/usage/ai-code"),
    ("GET", "/api/v1/orgs/{org}/usage/tools"),
    ("GET", "/api/v1/orgs/{org}/analytics/team"),
    ("GET", "/api/v1/orgs/{org}/teams/{team}/headline"),
    ("GET", "/api/v1/orgs/{org}/spend/review"),
    ("GET", "/api/v1/orgs/{org}/seats/idle"),
    ("GET", "/api/v1/orgs/{org}/tools"),
    ("GET", "/api/v1/orgs/{org}/tools/overlap"),
    ("GET", "/api/v1/orgs/{org}/me/teams"),
]
# Path parameters besides the organization, fixed to one that exists (else every case is a 404).
FIXED_PATH = {"team": "none", "key": "dau"}


@pytest.fixture
def wsgi_app(db):
    """The app as a plain WSGI callable, kept inside the test's transaction.

    Django closes "old" connections at the end of each request; inside a test transaction
    that would close the test's own connection. Django's test client disconnects that
    handler for the same reason.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app):
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)


@pytest.fixture
def fuzz_org(seeded_org, other_org, admin_user, make_token):
    """Acme seeded and connected, Globex seeded too, and an admin token.

    POST …/sync runs the real trigger_sync: its Celery task is enqueued on commit, which the
    test transaction never reaches.
    """
    seed_usage(other_org, members=3, days=10, seed=5)
    connection = Connection(organization=seeded_org)
    connection.set_api_key("key_live_fuzz_0000")
    connection.save()
    run = SyncRun.objects.create(
        organization=seeded_org,
        connection=connection,
        status=SyncRun.Status.SUCCEEDED,
        progress={"members": {"status": "done", "rows": 6, "done": 1, "total": 1}},
        window_start=datetime.now(UTC).date() - timedelta(days=9),
        window_end=datetime.now(UTC).date(),
    )
    # The data-health payload with every check filled in (integrations/quality.py).
    record_cursor_checks(run, skipped_events=1, skipped_other=0, today=datetime.now(UTC).date())

    return seeded_org, make_token(admin_user, seeded_org)


def test_every_operation_is_fuzzed(api_schema):
    in_schema = {
        (op.ok().method.upper(), op.ok().path)
        for op in api_schema.get_all_operations()
        if op.ok() is not None
    }
    assert in_schema == set(OPERATIONS)


def cases(operation, mode, org, token):
    """Generated cases; for valid ones, half get a start/end near the seeded data.

    Independent random days almost never form a range of at most 366 days, so without this
    nudge the fuzzer would mostly meet 400s and rarely validate a response full of figures.
    """
    path = {"org": org.slug, **{k: v for k, v in FIXED_PATH.items() if "{" + k + "}" in operation.path}}
    strategy = operation.as_strategy(
        generation_mode=mode,
        path_parameters=path if "{org}" in operation.path else {k: v for k, v in path.items() if k != "org"},
        headers={"Authorization": f"Bearer {token}"},
    )
    if mode is not GenerationMode.POSITIVE:
        return strategy
    today = datetime.now(UTC).date()

    def nudge(drawn):
        case, near, back, length = drawn
        if near and case.query and "start" in case.query:
            start = today - timedelta(days=back)
            case.query["start"] = start.isoformat()
            case.query["end"] = (start + timedelta(days=length)).isoformat()
            # A random email is never one of the organization's members (400): the nudged half
            # asks for the whole organization's figures instead.
            case.query.pop("member", None)
        return case

    return st.tuples(strategy, st.booleans(), st.integers(0, 40), st.integers(0, 45)).map(nudge)


def has_parameters_to_negate(operation):
    return any(True for _ in operation.query) or bool(operation.body)


@override_settings(API_THROTTLE_RATE="100000/min")  # the fuzzer is not what throttling is for
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_the_schema(api_schema, fuzz_org, method, path, mode):
    org, token = fuzz_org
    operation = api_schema[path][method]
    if mode is GenerationMode.NEGATIVE and not has_parameters_to_negate(operation):
        pytest.skip("only the organization slug, which is fixed: nothing to make invalid")
    statuses = []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=cases(operation, mode, org, token))
    def call(case):
        statuses.append(case.call_and_validate(checks=CHECKS).status_code)

    call()
    if mode is GenerationMode.POSITIVE:
        # The run must have validated real answers, not only 400s.
        assert any(200 <= status < 300 for status in statuses), statuses
