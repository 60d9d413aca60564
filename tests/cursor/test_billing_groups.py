"""CursorClient.billing_groups() against httpx.MockTransport: the shapes of docs/cursor-api.md
§2.9, what it tolerates, and every failure path."""

from __future__ import annotations

import httpx
import pytest

from integrations.cursor.errors import CursorTimeout, PlanRequired, RateLimited, UpstreamError
from integrations.cursor.records import BillingGroup, GroupMember

from .fakes import FakeCursor, error, ok, raw

PATH = "/teams/groups"


@pytest.fixture
def fake():
    return FakeCursor()


def group(gid="group_a1", name="Platform", current=(), former=(), **extra) -> dict:
    return {
        "id": gid,
        "name": name,
        "type": "BILLING",
        "directoryGroupId": None,
        "memberCount": len(current),
        "createdAt": "2026-11-01T00:00:00.000Z",
        "updatedAt": "2026-11-02T00:00:00.000Z",
        "spendCents": 1234,
        "currentMembers": list(current),
        "formerMembers": list(former),
        "dailySpend": [{"date": "2026-11-01", "spendCents": 1234}],
        **extra,
    }


def person(email, name="", uid="user_1", left=None) -> dict:
    return {"userId": uid, "name": name, "email": email, "joinedAt": "2026-11-01T00:00:00.000Z",
            "leftAt": left, "spendCents": 0}  # fmt: skip


def payload(groups, unassigned=()) -> dict:
    return {
        "groups": groups,
        "unassignedGroup": group("group_unassigned", "Unassigned", unassigned),
        "billingCycle": {"cycleStart": "2026-11-01T00:00:00.000Z", "cycleEnd": "2026-11-30T23:59:59.999Z"},
    }


def test_groups_and_current_members_are_parsed(fake):
    fake.route(
        "GET",
        PATH,
        ok(
            payload(
                [
                    group("group_a1", "Platform", [person(" Ada@Example.com ", "Ada", "user_ada")]),
                    group(
                        "group_b2",
                        "Mobile",
                        [person("ben@example.com", "Ben", "user_ben")],
                        former=[person("cy@example.com", "Cy", "user_cy", left="2026-11-10T00:00:00Z")],
                    ),
                ],
                unassigned=[person("dee@example.com")],
            )
        ),
    )
    groups = fake.client().billing_groups()
    assert groups == [
        BillingGroup("group_a1", "Platform", (GroupMember("user_ada", "ada@example.com", "Ada"),)),
        BillingGroup("group_b2", "Mobile", (GroupMember("user_ben", "ben@example.com", "Ben"),)),
    ]
    assert fake.requests[0].method == "GET"


def test_write_shape_members_and_numeric_ids_are_accepted(fake):
    g = group("group_c3", "Data")
    del g["currentMembers"], g["formerMembers"]
    g["members"] = [{"userId": 42, "name": None, "email": "eve@example.com", "joinedAt": "2026-11-01"}]
    fake.route("GET", PATH, ok(payload([g])))
    assert fake.client().billing_groups() == [
        BillingGroup("group_c3", "Data", (GroupMember("42", "eve@example.com", ""),))
    ]


def test_unassigned_in_the_list_is_left_out_and_bad_groups_are_skipped(fake):
    bad_members = group("group_d4", "Growth")
    bad_members["currentMembers"] = "nope"
    fake.route(
        "GET",
        PATH,
        ok(
            payload(
                [
                    group("group_unassigned", "Unassigned", [person("x@example.com")]),
                    {"id": None, "name": "No id"},
                    group("group_e5", "   "),
                    bad_members,
                    "not a group",
                    group("group_f6", "Ok", [person(17), person("not-an-email"), person("ok@example.com")]),
                ]
            )
        ),
    )
    client = fake.client()
    groups = client.billing_groups()
    assert [(g.group_id, [m.email for m in g.members]) for g in groups] == [("group_f6", ["ok@example.com"])]
    assert client.skipped_records == 4


def test_empty_groups(fake):
    fake.route("GET", PATH, ok(payload([])))
    assert fake.client().billing_groups() == []


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_plan_without_billing_groups_is_plan_required(fake, status):
    fake.route("GET", PATH, error(status, "Forbidden", "Enterprise access required"))
    with pytest.raises(PlanRequired) as info:
        fake.client().billing_groups()
    assert info.value.status == status


def test_429_after_retries_is_rate_limited(fake):
    fake.route("GET", PATH, error(429, "Too Many Requests", "slow down", headers={"Retry-After": "1"}))
    with pytest.raises(RateLimited):
        fake.client(max_retries=1).billing_groups()


def test_5xx_after_retries_is_upstream_error(fake):
    fake.route("GET", PATH, error(503, "Unavailable", "down"))
    with pytest.raises(UpstreamError) as info:
        fake.client(max_retries=1).billing_groups()
    assert info.value.status == 503
    assert len(fake.requests) == 2


def test_timeout_is_cursor_timeout(fake):
    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    fake.route("GET", PATH, slow)
    with pytest.raises(CursorTimeout):
        fake.client(max_retries=1).billing_groups()


@pytest.mark.parametrize(
    "response",
    [raw(200, b"{not json"), ok({"groups": "nope"}), ok({"unassignedGroup": {}}), ok([1, 2])],
    ids=["invalid-json", "groups-not-a-list", "groups-missing", "not-an-object"],
)
def test_malformed_body_is_upstream_error(fake, response):
    fake.route("GET", PATH, response)
    with pytest.raises(UpstreamError):
        fake.client(max_retries=0).billing_groups()
