"""CopilotClient against httpx.MockTransport: auth, downloads without the token, paging, every
failure path (401, 403 scope / policy / rate limit, 404, 204, 429, 5xx, timeout, bad JSON,
malformed NDJSON lines, expired links)."""

from __future__ import annotations

import logging
import pickle
import time
from datetime import date
from decimal import Decimal

import httpx
import pytest

from integrations.copilot.client import CopilotClient
from integrations.copilot.errors import (
    CopilotTimeout,
    CopilotUnreachable,
    DownloadFailed,
    InvalidToken,
    MissingScope,
    OrgNotFound,
    PolicyDisabled,
    RateLimited,
    UpstreamError,
)
from integrations.copilot.http import SECONDARY_MIN_WAIT, WAIT_RATE_LIMIT

from .fakes import BASE_URL, DOWNLOAD_HOST, TOKEN, FakeGitHub, gh_error, ndjson, ok, seat, user_line

DAY = date(2026, 11, 18)
USERS = "/orgs/acme/copilot/metrics/reports/users-1-day"
SEATS = "/orgs/acme/copilot/billing/seats"


@pytest.fixture
def fake():
    return FakeGitHub()


def test_api_requests_carry_the_token_version_and_user_agent(fake):
    fake.route(SEATS, ok({"total_seats": 0, "seats": []}))
    fake.client().seats()
    request = fake.requests[0]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["X-GitHub-Api-Version"] == "2026-03-10"
    assert request.headers["Accept"] == "application/vnd.github+json"
    assert request.headers["User-Agent"].startswith("Koalr/")


def test_report_files_are_downloaded_without_the_token_and_concatenated(fake):
    fake.report(
        USERS,
        DAY,
        {
            "part-1.ndjson": ndjson(user_line("ada", DAY), user_line("bob", DAY)),
            "part-2.ndjson": ndjson(user_line("cy", DAY)),
        },
    )
    report = fake.client().user_report(DAY)
    assert [r.login for r in report.records] == ["ada", "bob", "cy"]
    assert report.files == 2 and report.skipped == 0
    assert fake.requests[0].url.params["day"] == "2026-11-18"
    assert len(fake.downloads) == 2
    for request in fake.downloads:
        assert str(request.url).startswith(DOWNLOAD_HOST)
        assert "authorization" not in {k.lower() for k in request.headers}
        assert TOKEN not in str(request.url) and all(TOKEN not in v for v in request.headers.values())


def test_user_record_is_parsed_with_its_breakdowns(fake):
    fake.report(USERS, DAY, {"r.ndjson": ndjson(user_line("ada", DAY, totals_by_cli={"request_count": 7}))})
    (record,) = fake.client().user_report(DAY).records
    assert (record.interactions, record.generations, record.acceptances) == (10, 30, 12)
    assert (record.loc_suggested_to_add, record.loc_added, record.loc_deleted) == (200, 150, 20)
    assert record.ai_credits_used == Decimal("42.5")
    assert record.cli_requests == 7
    dims = {(b.dimension, b.value, b.feature) for b in record.breakdowns}
    assert dims == {
        ("ide", "vscode", ""),
        ("feature", "code_completion", ""),
        ("language", "python", "code_completion"),
        ("model", "claude-sonnet-4.6", "chat_panel_agent_mode"),
    }
    # Keys not normalized are kept raw; normalized ones are not stored twice.
    assert record.extra["ai_adoption_phase"] == {"phase_number": 2, "phase": "Phase 2", "version": "v1"}
    assert "totals_by_3rd_party_agent" in record.extra and "totals_by_ide" not in record.extra


def test_malformed_ndjson_lines_are_skipped_and_counted(fake, caplog):
    content = (
        ndjson(user_line("ada", DAY))
        + b"{not json\n"
        + b"[1, 2]\n"
        + ndjson({"user_login": "", "day": "2026-11-18"})  # no login
        + ndjson(user_line("bob", DAY, code_generation_activity_count=-3))  # negative count
        + ndjson(user_line("cy", DAY))
    )
    fake.report(USERS, DAY, {"r.ndjson": content})
    client = fake.client()
    with caplog.at_level(logging.WARNING, logger="integrations.copilot.client"):
        report = client.user_report(DAY)
    assert [r.login for r in report.records] == ["ada", "cy"]
    assert report.skipped == 4
    assert client.skipped_records == 4
    assert "ada" not in caplog.text and "bob" not in caplog.text  # records are not copied to logs


def test_a_single_object_body_is_accepted(fake):
    fake.report(USERS, DAY, {"r.json": ndjson(user_line("ada", DAY)).strip()})
    assert [r.login for r in fake.client().user_report(DAY).records] == ["ada"]


@pytest.mark.parametrize("status", [204, 404])
def test_a_day_without_a_report_is_none_not_zero(fake, status):
    fake.route(USERS, httpx.Response(status) if status == 204 else gh_error(404, "Not Found"))
    assert fake.client().user_report(DAY) is None
    assert fake.downloads == []


def test_an_empty_report_file_is_a_reported_day_with_no_users(fake):
    fake.report(USERS, DAY, {"r.ndjson": b""})
    report = fake.client().user_report(DAY)
    assert report is not None and report.records == []


def test_an_expired_link_is_replaced_by_fresh_links(fake):
    fresh = f"{DOWNLOAD_HOST}/fresh.ndjson?sig=new"
    old = f"{DOWNLOAD_HOST}/old.ndjson?sig=old"
    fake.files[old] = [403]
    fake.files[fresh] = ndjson(user_line("ada", DAY))
    fake.route(
        USERS, [ok({"download_links": [old], "report_day": "2026-11-18"}), ok({"download_links": [fresh]})]
    )
    report = fake.client().user_report(DAY)
    assert [r.login for r in report.records] == ["ada"]
    assert len([r for r in fake.requests if r.url.path == USERS]) == 2


def test_links_that_keep_expiring_fail_plainly(fake):
    fake.report(USERS, DAY, {"r.ndjson": [410]})
    with pytest.raises(DownloadFailed):
        fake.client().user_report(DAY)
    assert len(fake.requests) == 3  # the first links and two fresh ones


def test_download_5xx_is_retried(fake):
    fake.report(USERS, DAY, {"r.ndjson": [503, ndjson(user_line("ada", DAY))]})
    assert len(fake.client().user_report(DAY).records) == 1
    assert len(fake.downloads) == 2


def test_seats_follow_link_pagination(fake):
    second = f"{BASE_URL}{SEATS}?page=2&per_page=100"

    def seats(request):
        if request.url.params.get("page") == "2":
            return ok({"total_seats": 3, "seats": [seat("cy")]})
        return ok(
            {"total_seats": 3, "seats": [seat("ada"), seat("bob")]},
            headers={"Link": f'<{second}>; rel="next", <{second}>; rel="last"'},
        )

    fake.route(SEATS, seats)
    result = fake.client().seats()
    assert result.total_seats == 3
    assert [s.login for s in result.seats] == ["ada", "bob", "cy"]
    assert fake.requests[0].url.params["per_page"] == "100"
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in fake.requests)


def test_a_next_link_to_another_host_is_not_followed(fake):
    fake.route(
        SEATS,
        ok({"total_seats": 2, "seats": [seat("ada")]}, headers={"Link": '<https://evil.test/x>; rel="next"'}),
    )
    with pytest.raises(UpstreamError):
        fake.client().seats()
    assert len(fake.requests) == 1


def test_enterprise_seats_count_each_user_once(fake):
    path = "/enterprises/bigco/copilot/billing/seats"
    fake.route(path, ok({"total_seats": 1, "seats": [seat("ada", user_id=7), seat("ada", user_id=7)]}))
    client = fake.client(scope="enterprise", slug="bigco")
    assert [s.login for s in client.seats().seats] == ["ada"]


def test_seat_fields(fake):
    fake.route(
        SEATS,
        ok(
            {
                "total_seats": 1,
                "seats": [
                    seat("Ada", pending_cancellation_date="2026-12-01", plan_type="enterprise"),
                    {"assignee": None},
                ],
            }
        ),
    )
    client = fake.client()
    (s,) = client.seats().seats
    assert s.login == "Ada" and s.plan_type == "enterprise" and s.assigning_team == "platform"
    assert s.pending_cancellation_date == date(2026, 12, 1)
    assert s.last_activity_at.isoformat() == "2026-11-20T09:00:00+00:00"
    assert client.skipped_records == 1


# -- errors -------------------------------------------------------------------------------------


def test_401_is_invalid_token_and_not_retried(fake):
    fake.route(SEATS, gh_error(401, "Bad credentials"))
    with pytest.raises(InvalidToken) as info:
        fake.client().seats()
    assert len(fake.requests) == 1 and info.value.status == 401


def test_403_missing_scope(fake):
    fake.route(SEATS, gh_error(403, "Resource not accessible by personal access token"))
    with pytest.raises(MissingScope) as info:
        fake.client().seats()
    assert len(fake.requests) == 1
    assert "manage_billing:copilot" in info.value.user_message


def test_403_policy_disabled(fake):
    fake.route(USERS, gh_error(403, "Copilot Usage Metrics API access is disabled by your enterprise policy"))
    with pytest.raises(PolicyDisabled) as info:
        fake.client().user_report(DAY)
    assert "Enabled everywhere" in info.value.user_message


def test_404_on_seats_is_org_not_found(fake):
    with pytest.raises(OrgNotFound):
        fake.client().seats()


def test_422_is_an_upstream_error(fake):
    fake.route("/orgs/acme/copilot/billing", gh_error(422, "There is a problem with your payment method"))
    with pytest.raises(UpstreamError) as info:
        fake.client().billing()
    assert info.value.status == 422


def test_429_honours_retry_after(fake):
    fake.route(
        SEATS, [gh_error(429, "Too many", headers={"retry-after": "7"}), ok({"total_seats": 0, "seats": []})]
    )
    fake.client().seats()
    assert fake.sleeps == [7.0]
    assert fake.waits == [(7.0, WAIT_RATE_LIMIT)]


def test_secondary_limit_403_with_retry_after_is_retried(fake):
    limited = gh_error(403, "You have exceeded a secondary rate limit", headers={"retry-after": "3"})
    fake.route(SEATS, [limited, ok({"total_seats": 0, "seats": []})])
    fake.client().seats()
    assert fake.sleeps == [3.0]


def test_secondary_limit_without_hint_waits_a_minute_then_backs_off(fake):
    limited = gh_error(403, "You have exceeded a secondary rate limit")
    fake.route(SEATS, [limited, limited, ok({"total_seats": 0, "seats": []})])
    fake.client(max_wait=1000).seats()
    assert fake.sleeps == [SECONDARY_MIN_WAIT, 2 * SECONDARY_MIN_WAIT]


def test_secondary_limit_that_persists_is_rate_limited(fake):
    fake.route(SEATS, gh_error(403, "You have exceeded a secondary rate limit", headers={"retry-after": "2"}))
    with pytest.raises(RateLimited) as info:
        fake.client(max_retries=2).seats()
    assert info.value.secondary is True and info.value.retry_after == 2.0
    assert len(fake.requests) == 3


def test_primary_limit_403_waits_for_reset(fake):
    reset = int(time.time()) + 40
    limited = gh_error(
        403,
        "API rate limit exceeded",
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )
    fake.route(SEATS, [limited, ok({"total_seats": 0, "seats": []})])
    fake.client().seats()
    assert len(fake.sleeps) == 1 and 35 <= fake.sleeps[0] <= 41


def test_a_wait_longer_than_max_wait_is_not_slept(fake):
    reset = int(time.time()) + 3000
    fake.route(
        SEATS,
        gh_error(
            403,
            "API rate limit exceeded",
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        ),
    )
    with pytest.raises(RateLimited) as info:
        fake.client().seats()
    assert fake.sleeps == [] and info.value.secondary is False
    assert 2990 <= info.value.retry_after <= 3001


def test_a_spent_budget_makes_the_next_request_wait_for_the_reset(fake):
    reset = int(time.time()) + 20
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    fake.report(USERS, DAY, {"r.ndjson": ndjson(user_line("ada", DAY))})
    fake.routes[USERS][0].headers.update(spent)
    client = fake.client()
    client.user_report(DAY)
    assert fake.sleeps == []
    fake.route(SEATS, ok({"total_seats": 0, "seats": []}))
    client.seats()
    assert len(fake.sleeps) == 1 and 15 <= fake.sleeps[0] <= 21


def test_5xx_is_retried_then_fails(fake):
    fake.route(SEATS, gh_error(502, "Server Error"))
    with pytest.raises(UpstreamError) as info:
        fake.client(max_retries=2).seats()
    assert len(fake.requests) == 3 and info.value.status == 502
    assert len(fake.sleeps) == 2


def test_5xx_then_success(fake):
    fake.route(SEATS, [gh_error(500, "boom"), ok({"total_seats": 0, "seats": []})])
    assert fake.client().seats().seats == []


def test_timeout_is_retried_then_a_typed_error(fake):
    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    fake.route(SEATS, slow)
    with pytest.raises(CopilotTimeout):
        fake.client(max_retries=1).seats()
    assert len(fake.requests) == 2


def test_network_error_is_unreachable(fake):
    def down(request):
        raise httpx.ConnectError("refused", request=request)

    fake.route(SEATS, down)
    with pytest.raises(CopilotUnreachable):
        fake.client(max_retries=0).seats()


@pytest.mark.parametrize("body", [b"<html>", b'{"seats": 3}', b"[]"])
def test_malformed_json_or_shape_is_upstream_error(fake, body):
    fake.route(SEATS, httpx.Response(200, content=body))
    with pytest.raises(UpstreamError):
        fake.client().seats()


def test_report_without_links_is_upstream_error(fake):
    fake.route(USERS, ok({"report_day": "2026-11-18"}))
    with pytest.raises(UpstreamError):
        fake.client().user_report(DAY)


def test_the_token_is_in_no_error_message_or_log(fake, caplog):
    fake.route(SEATS, gh_error(403, f"token {TOKEN} lacks a scope"))
    client = fake.client()
    with caplog.at_level(logging.DEBUG), pytest.raises(MissingScope) as info:
        client.seats()
    assert TOKEN not in str(info.value) and "[token]" in str(info.value)
    assert TOKEN not in caplog.text and TOKEN not in repr(client)
    assert TOKEN not in repr(pickle.loads(pickle.dumps(info.value)).__dict__)


def test_errors_survive_pickling(fake):
    error = RateLimited("x", retry_after=3.0, secondary=True, status=403, path="/p")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.retry_after, copy.secondary, copy.status, copy.user_message) == (
        3.0,
        True,
        403,
        error.user_message,
    )


# -- billing, aggregates, 28-day, validation ---------------------------------------------------


def test_ai_credit_usage_per_user(fake):
    path = "/organizations/acme/settings/billing/ai_credit/usage"
    item = {
        "product": "Copilot",
        "sku": "Copilot AI Credits",
        "model": "GPT-5",
        "unitType": "credits",
        "pricePerUnit": 0.01,
        "grossQuantity": 100,
        "grossAmount": 1.0,
        "discountQuantity": 40,
        "discountAmount": 0.4,
        "netQuantity": 60,
        "netAmount": 0.6,
        "user": "ada",
    }
    fake.route(
        path,
        ok({"timePeriod": {"year": 2026, "month": 11}, "organization": "acme", "usageItems": [item, {}]}),
    )
    client = fake.client()
    (parsed,) = client.ai_credit_usage(2026, 11, user="ada")
    assert parsed.net_amount == Decimal("0.6") and parsed.gross_quantity == Decimal("100")
    assert fake.requests[0].url.params["user"] == "ada"
    assert client.skipped_records == 1


def test_ai_credit_usage_404_is_none(fake):
    assert fake.client().ai_credit_usage(2026, 11) is None


def test_users_28_day_groups_records_by_day(fake):
    path = "/orgs/acme/copilot/metrics/reports/users-28-day/latest"
    d1, d2 = date(2026, 11, 1), date(2026, 11, 2)
    fake.report(
        path,
        None,
        {"r.ndjson": ndjson(user_line("ada", d1), user_line("ada", d2), user_line("bob", d2))},
        report_start_day="2026-10-06",
        report_end_day="2026-11-02",
    )
    start, end, by_day, skipped = fake.client().users_28_day()
    assert (start, end, skipped) == (date(2026, 10, 6), d2, 0)
    assert {d: [r.login for r in rs] for d, rs in by_day.items()} == {d1: ["ada"], d2: ["ada", "bob"]}


def test_organization_day(fake):
    fake.report(
        "/orgs/acme/copilot/metrics/reports/organization-1-day",
        DAY,
        {"a.json": b'{"day": "2026-11-18", "daily_active_users": 5}'},
    )
    assert fake.client().organization_day(DAY)["daily_active_users"] == 5


def test_validate_reads_seats_and_the_latest_report(fake):
    fake.route(SEATS, ok({"total_seats": 12, "seats": [seat("ada")]}))
    fake.route(
        "/orgs/acme/copilot/metrics/reports/users-28-day/latest",
        ok({"download_links": [], "report_start_day": "2026-10-22", "report_end_day": "2026-11-18"}),
    )
    result = fake.client().validate()
    assert (result.total_seats, result.plan_type, result.latest_report_day) == (12, "business", DAY)
    assert fake.downloads == []


def test_validate_accepts_no_report_yet(fake):
    fake.route(SEATS, ok({"total_seats": 1, "seats": []}))
    fake.route("/orgs/acme/copilot/metrics/reports/users-28-day/latest", httpx.Response(204))
    assert fake.client().validate().latest_report_day is None


def test_bad_arguments():
    with pytest.raises(ValueError):
        CopilotClient(TOKEN, slug="")
    with pytest.raises(ValueError):
        CopilotClient(TOKEN, slug="a", scope="team")
    with pytest.raises(ValueError):
        CopilotClient("  ", slug="a")
