"""The demo's alerts step: a budget just short of its threshold, anomalies, idempotent."""

import pytest

from alerts.budgets import budget_status
from alerts.models import Alert, Budget

from .conftest import refresh
from .test_anomalies import SPIKE_DAY, START, _dana, _normal_month


@pytest.mark.django_db
def test_demo_creates_a_budget_near_its_threshold_and_replays_detection(org, owner, frozen):
    from io import StringIO

    from devtools.management.commands.demo import Command

    _normal_month(org)
    _dana(org)
    refresh(org, START, SPIKE_DAY)
    frozen(SPIKE_DAY)
    command = Command(stdout=StringIO())
    command.ensure_alerts(org, owner)
    budget = Budget.objects.get(organization=org)
    status = budget_status(budget, today=SPIKE_DAY)
    assert 74 <= status.percent_used < 80
    anomalies = sorted(
        Alert.objects.filter(organization=org)
        .exclude(kind__startswith="budget")
        .values_list("rule", flat=True)
    )
    assert anomalies == ["model_spend_spike", "spend_spike"]
    before = Alert.objects.count()
    command.ensure_alerts(org, owner)
    assert Alert.objects.count() == before and Budget.objects.count() == 1
    assert "2 anomalies on /alerts/" in command.stdout.getvalue()
