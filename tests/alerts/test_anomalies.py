"""Anomaly detection: a seeded spike with its reason, a normal month silent, revisions update."""

import random
from datetime import date, timedelta

import pytest

from alerts.anomalies import REVISED_NOTE, detect_anomalies
from alerts.models import Alert, Channel, Delivery

from .conftest import add_spend, member, refresh

SPIKE_DAY = date(2026, 11, 30)
START = SPIKE_DAY - timedelta(days=29)


def _normal_month(org, people=5, seed=3):
    """A month of ordinary use: $30–60 a day each over two models, 100–200 requests."""
    rng = random.Random(seed)
    roster = [member(org, f"Dev {i}", f"dev{i}@acme.test") for i in range(people)]
    for offset in range(30):
        day = START + timedelta(days=offset)
        for m in roster:
            total = rng.randint(3_000, 6_000)
            first = total * rng.randint(30, 70) // 100
            add_spend(org, m, day, first, model="claude-4.5-sonnet", requests=rng.randint(100, 200))
            add_spend(org, m, day, total - first, model="gpt-5")
    return roster


def _dana(org, spike_cents=18_000):
    dana = member(org, "Dana Lee", "dana@acme.test")
    for offset in range(30):
        day = START + timedelta(days=offset)
        add_spend(org, dana, day, spike_cents if day == SPIKE_DAY else 2_000, model="claude-4.1-opus")
    return dana


@pytest.mark.django_db
def test_a_normal_month_raises_nothing(org, frozen):
    _normal_month(org)
    refresh(org, START, SPIKE_DAY)
    for offset in range(14, 30):  # every day with a full baseline
        day = START + timedelta(days=offset)
        frozen(day)
        assert detect_anomalies(org, today=day) == [], day
    assert not Alert.objects.filter(organization=org).exists()


@pytest.mark.django_db
def test_a_seeded_spike_is_detected_with_its_reason(org, frozen):
    _normal_month(org)
    dana = _dana(org)
    refresh(org, START, SPIKE_DAY)
    frozen(SPIKE_DAY)
    raised = detect_anomalies(org, today=SPIKE_DAY)
    dana.refresh_from_db()
    assert sorted((a.rule, a.reason) for a in raised) == [
        ("model_spend_spike", "Dana Lee spent $180 on claude-4.1-opus on 30 Nov, 9× their usual daily $20."),
        ("spend_spike", "Dana Lee spent $180 on 30 Nov, 9× their usual daily $20."),
    ]
    assert {a.person_id for a in raised} == {dana.person_id}
    assert all(a.day == SPIKE_DAY and a.period == "2026-11-30" for a in raised)
    assert all("Dana" not in a.summary and "$" not in a.summary for a in raised)


@pytest.mark.django_db
def test_restated_days_update_the_open_alert_instead_of_sending_another(
    org, admin_user, frozen, settings, django_capture_on_commit_callbacks
):
    settings.ALERTS_PERSON_SHARE_PERCENT = 90  # this test is about revisions, not shares
    _normal_month(org)
    dana = _dana(org)
    refresh(org, START, SPIKE_DAY)
    Channel.objects.create(organization=org, kind=Channel.Kind.EMAIL, name="Admins")
    next_day = SPIKE_DAY + timedelta(days=1)  # the spike day is still within the lookback
    frozen(SPIKE_DAY)
    with django_capture_on_commit_callbacks(execute=True):
        detect_anomalies(org, today=SPIKE_DAY)
    assert Delivery.objects.filter(organization=org).count() == 2

    add_spend(org, dana, SPIKE_DAY, 4_000, model="claude-4.1-opus")  # Cursor restates the day: $220
    refresh(org, SPIKE_DAY, SPIKE_DAY)
    frozen(next_day)
    with django_capture_on_commit_callbacks(execute=True):
        assert detect_anomalies(org, today=next_day) == []
    person_alert = Alert.objects.get(organization=org, rule="spend_spike")
    assert person_alert.reason == "Dana Lee spent $220 on 30 Nov, 11× their usual daily $20."
    assert person_alert.revisions == 1
    assert Alert.objects.filter(organization=org).count() == 2
    assert Delivery.objects.filter(organization=org).count() == 2  # nothing sent twice

    add_spend(org, dana, SPIKE_DAY, -20_000, model="claude-4.1-opus")  # restated down to $20
    refresh(org, SPIKE_DAY, SPIKE_DAY)
    detect_anomalies(org, today=next_day)
    person_alert.refresh_from_db()
    assert person_alert.status == Alert.Status.RESOLVED and person_alert.note == REVISED_NOTE


@pytest.mark.django_db
def test_days_past_the_lookback_are_not_evaluated(org, settings):
    settings.CURSOR_SYNC_LOOKBACK_DAYS = 2
    _normal_month(org)
    _dana(org)
    refresh(org, START, SPIKE_DAY)
    assert detect_anomalies(org, today=SPIKE_DAY + timedelta(days=3)) == []
    assert detect_anomalies(org, today=SPIKE_DAY + timedelta(days=2))  # the spike is within reach again


@pytest.mark.django_db
def test_tiny_numbers_never_alert(org):
    quiet = member(org, "Quiet One", "quiet@acme.test")
    for offset in range(30):
        day = START + timedelta(days=offset)
        add_spend(org, quiet, day, 1_500 if day == SPIKE_DAY else 10)  # 150× usual, but only $15
    refresh(org, START, SPIKE_DAY)
    assert detect_anomalies(org, today=SPIKE_DAY) == []


@pytest.mark.django_db
def test_request_spike(org):
    roster = _normal_month(org)
    add_spend(org, roster[0], SPIKE_DAY, 0, requests=1_500)  # replaces the day's 100–200 requests
    refresh(org, START, SPIKE_DAY)
    raised = detect_anomalies(org, today=SPIKE_DAY)
    assert [a.rule for a in raised] == ["request_spike"]
    assert raised[0].reason.startswith("Dev 0 made 1,500 AI requests on 30 Nov, ")


@pytest.mark.django_db
def test_first_use_of_an_expensive_model_alerts_once(org):
    roster = _normal_month(org)
    add_spend(org, roster[1], SPIKE_DAY, 800, model="claude-4.1-opus")
    refresh(org, START, SPIKE_DAY)
    raised = detect_anomalies(org, today=SPIKE_DAY)
    assert [(a.rule, a.reason) for a in raised] == [
        (
            "expensive_model",
            "Dev 1 used claude-4.1-opus, an expensive model, for the first time on 30 Nov ($8.00 that day).",
        )
    ]
    assert detect_anomalies(org, today=SPIKE_DAY + timedelta(days=1)) == []


@pytest.mark.django_db
def test_one_persons_share_of_the_day_and_the_org_jump(org):
    roster = _normal_month(org)
    add_spend(org, roster[2], SPIKE_DAY, 60_000, model="gpt-5")  # $600 + a usual day, others ~$180
    refresh(org, START, SPIKE_DAY)
    rules = sorted(a.rule for a in detect_anomalies(org, today=SPIKE_DAY))
    assert rules == ["model_spend_spike", "org_jump", "share_of_org", "spend_spike"]
    share = Alert.objects.get(organization=org, rule="share_of_org")
    assert share.reason.startswith("Dev 2 spent $6")
    jump = Alert.objects.get(organization=org, rule="org_jump")
    assert jump.person_id is None and jump.summary == jump.reason  # organization-level: nobody named


@pytest.mark.django_db
def test_detection_reads_only_its_own_organization(org, other_org):
    _dana(other_org)
    refresh(other_org, START, SPIKE_DAY)
    _normal_month(org)
    refresh(org, START, SPIKE_DAY)
    assert detect_anomalies(org, today=SPIKE_DAY) == []
    # Dana alone: her spike is also the organization's day-over-day jump.
    rules = sorted(a.rule for a in detect_anomalies(other_org, today=SPIKE_DAY))
    assert rules == ["model_spend_spike", "org_jump", "spend_spike"]
    assert not Alert.objects.filter(organization=org).exists()


@pytest.mark.django_db
def test_detection_costs_the_same_queries_for_more_people(org, other_org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _normal_month(org, people=3)
    refresh(org, START, SPIKE_DAY)
    _normal_month(other_org, people=12, seed=4)
    refresh(other_org, START, SPIKE_DAY)
    counts = []
    for organization in (org, other_org):
        with CaptureQueriesContext(connection) as queries:
            assert detect_anomalies(organization, today=SPIKE_DAY) == []
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8
