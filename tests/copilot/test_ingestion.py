"""Copilot rows in analytics: seats, per-user reports (replace, idempotent), "no report" markers,
the ToolDay adapter (mapping table, NULL for what Copilot lacks) and identity by GitHub login."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from analytics.models import (
    CopilotReportDay,
    CopilotSeat,
    CopilotUserDay,
    CopilotUserDayBreakdown,
    Tool,
    ToolDay,
    ToolOrgDay,
)
from analytics.services import refresh_after_sync
from analytics.services.copilot import (
    copilot_days_to_fetch,
    mark_copilot_no_report,
    store_copilot_user_report,
    upsert_copilot_seats,
)
from analytics.services.tool_days import COPILOT_TO_TOOL_DAY, METRICS
from integrations.copilot.records import parse_seat, parse_user_day
from people.models import Person, PersonEmail
from people.services import people_for_github_logins

from .fakes import seat, user_line

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
D1, D2, D3 = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)


def person(org, email, login=""):
    p = Person.objects.create(
        organization=org, primary_email=email, name=email.split("@")[0], github_login=login
    )
    PersonEmail.objects.create(organization=org, person=p, email=email)
    return p


def records(*lines):
    return [parse_user_day(line) for line in lines]


# -- identity -----------------------------------------------------------------------------------


def test_logins_match_by_github_login_then_seat_email_else_a_new_person(org, other_org):
    dana = person(org, "dana@acme.test", login="Dana-GH")
    eve = person(org, "eve@acme.test")
    person(other_org, "zed@globex.test", login="zed")  # another organization's person: never matched
    found = people_for_github_logins(org.pk, ["dana-gh", "EVE", "zed"], emails={"eve": "Eve@Acme.test"})
    assert found["dana-gh"] == dana.pk
    assert found["eve"] == eve.pk
    eve.refresh_from_db()
    assert eve.github_login == "eve"  # recorded, so the next match is by login
    new = Person.objects.get(pk=found["zed"])
    assert (new.organization_id, new.github_login, new.primary_email) == (org.pk, "zed", "")
    assert people_for_github_logins(org.pk, ["zed"]) == {"zed": new.pk}  # not created twice


# -- seats --------------------------------------------------------------------------------------


def test_seats_are_stored_and_removed_seats_flagged(org):
    upsert_copilot_seats(org.pk, [parse_seat(seat("Ada")), parse_seat(seat("bob"))], NOW)
    assert set(CopilotSeat.objects.filter(organization=org).values_list("login", flat=True)) == {"ada", "bob"}
    later = datetime(2026, 11, 26, tzinfo=UTC)
    upsert_copilot_seats(org.pk, [parse_seat(seat("ada"))], later)
    bob = CopilotSeat.objects.get(organization=org, login="bob")
    assert bob.removed_at == later
    ada = CopilotSeat.objects.get(organization=org, login="ada")
    assert ada.removed_at is None and ada.person_id is not None and ada.plan_type == "business"
    assert upsert_copilot_seats(org.pk, [], later) == 0  # an empty list changes nothing
    assert CopilotSeat.objects.get(organization=org, login="ada").removed_at is None


# -- user reports -------------------------------------------------------------------------------


def test_a_report_replaces_the_day_and_a_resync_changes_nothing(org, other_org):
    store_copilot_user_report(other_org.pk, D1, records(user_line("ada", D1)), 0, NOW)
    store_copilot_user_report(org.pk, D1, records(user_line("ada", D1), user_line("bob", D1)), 2, NOW)
    snapshot = sorted(
        CopilotUserDay.objects.filter(organization=org).values_list("login", "interactions", "person_id")
    )
    store_copilot_user_report(org.pk, D1, records(user_line("ada", D1), user_line("bob", D1)), 2, NOW)
    assert (
        sorted(
            CopilotUserDay.objects.filter(organization=org).values_list("login", "interactions", "person_id")
        )
        == snapshot
    )
    assert CopilotUserDayBreakdown.objects.filter(organization=org, day=D1).count() == 8  # 4 per user
    marker = CopilotReportDay.objects.get(organization=org, day=D1)
    assert (marker.status, marker.users, marker.skipped_lines) == ("reported", 2, 2)
    # GitHub revised the day: bob is gone from it.
    store_copilot_user_report(
        org.pk, D1, records(user_line("ada", D1, user_initiated_interaction_count=3)), 0, NOW
    )
    assert list(CopilotUserDay.objects.filter(organization=org).values_list("login", "interactions")) == [
        ("ada", 3)
    ]
    assert CopilotUserDay.objects.filter(organization=other_org).count() == 1  # untouched


def test_no_report_is_a_marker_not_zeros_and_is_checked_again(org):
    mark_copilot_no_report(org.pk, D2, NOW)
    assert CopilotReportDay.objects.get(organization=org, day=D2).status == "no_report"
    assert not CopilotUserDay.objects.filter(organization=org, day=D2).exists()
    store_copilot_user_report(org.pk, D1, records(user_line("ada", D1)), 0, NOW)
    store_copilot_user_report(org.pk, D3, records(user_line("ada", D3)), 0, NOW)
    # D1 and D3 are reported; D2 has no report yet; D3 is within the fresh window of end=D3.
    assert copilot_days_to_fetch(org.pk, D1, D3, fresh_days=1) == [D2, D3]
    assert copilot_days_to_fetch(org.pk, D1, date(2026, 11, 30), fresh_days=1)[:2] == [D2, date(2026, 11, 21)]
    # A reported day that later answers 404 keeps its rows.
    mark_copilot_no_report(org.pk, D1, NOW)
    assert CopilotReportDay.objects.get(organization=org, day=D1).status == "reported"
    assert CopilotUserDay.objects.filter(organization=org, day=D1).exists()


# -- ToolDay ------------------------------------------------------------------------------------


def test_tool_day_follows_the_mapping_and_leaves_unreported_metrics_null(org):
    dana = person(org, "dana@acme.test", login="dana")
    lines = [
        user_line("dana", D1, ai_credits_used=12.25),
        user_line("ghost", D1, ai_credits_used=None),
        user_line(
            "idle",
            D1,
            user_initiated_interaction_count=0,
            code_generation_activity_count=0,
            code_acceptance_activity_count=0,
            loc_added_sum=0,
            used_agent=False,
            used_chat=False,
            used_cli=False,
            ai_credits_used=0,
        ),
    ]
    store_copilot_user_report(org.pk, D1, records(*lines), 0, NOW)
    mark_copilot_no_report(org.pk, D2, NOW)
    refresh_after_sync(org.pk, Tool.COPILOT, D1, D2)

    fact = ToolDay.objects.get(organization=org, tool=Tool.COPILOT, person=dana, day=D1)
    assert fact.active is True
    assert (fact.requests, fact.accepted_suggestions, fact.suggested_lines, fact.accepted_lines) == (
        10,
        12,
        200,
        150,
    )
    assert fact.request_units == Decimal("12.25") and fact.cost_cents == Decimal("12.25")
    assert fact.cost_is_estimate is True
    for metric, expression in COPILOT_TO_TOOL_DAY.items():
        if expression is None:
            assert getattr(fact, metric) is None, metric
    assert list(COPILOT_TO_TOOL_DAY) == METRICS
    idle = ToolDay.objects.get(organization=org, tool=Tool.COPILOT, day=D1, person__github_login="idle")
    assert idle.active is False
    ghost = ToolDay.objects.get(organization=org, tool=Tool.COPILOT, day=D1, person__github_login="ghost")
    assert ghost.cost_cents is None  # no AI credits reported: not zero
    assert not ToolDay.objects.filter(organization=org, tool=Tool.COPILOT, day=D2).exists()  # no report
    org_day = ToolOrgDay.objects.get(organization=org, tool=Tool.COPILOT, day=D1)
    assert (org_day.people, org_day.active_people, org_day.requests) == (3, 2, 20)
    assert org_day.billed_requests is None and org_day.cost_cents == Decimal("12.25")
    assert not ToolOrgDay.objects.filter(organization=org, tool=Tool.COPILOT, day=D2).exists()
    # Cursor's facts are left alone; a rerun is idempotent.
    refresh_after_sync(org.pk, Tool.COPILOT, D1, D2)
    assert ToolDay.objects.filter(organization=org, tool=Tool.COPILOT).count() == 3


def test_a_login_mapped_by_hand_moves_its_facts(org):
    store_copilot_user_report(org.pk, D1, records(user_line("octo", D1)), 0, NOW)
    refresh_after_sync(org.pk, Tool.COPILOT, D1, D1)
    placeholder = Person.objects.get(organization=org, github_login="octo")
    # An admin maps the login to the real person (and removes the placeholder's login).
    Person.objects.filter(pk=placeholder.pk).update(github_login="")
    real = person(org, "octo@acme.test", login="octo")
    refresh_after_sync(org.pk, Tool.COPILOT, D1, D1)
    assert list(
        ToolDay.objects.filter(organization=org, tool=Tool.COPILOT).values_list("person_id", flat=True)
    ) == [real.pk]


def test_refresh_of_an_unknown_tool_is_an_error(org):
    with pytest.raises(ValueError):
        refresh_after_sync(org.pk, "bard", D1, D1)
