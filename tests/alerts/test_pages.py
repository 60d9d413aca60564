"""The alerts pages with every persona: owner, admin, member, outsider (another org), anonymous."""

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse

from alerts.models import Alert, Budget, Channel, Delivery
from alerts.records import Finding, raise_alert
from people.models import Person

from .conftest import add_spend, member, refresh
from .fake_receivers import Receiver

TODAY = date(2026, 11, 20)


@pytest.fixture
def dana(org):
    return Person.objects.create(organization=org, name="Dana Lee", primary_email="dana@acme.test")


@pytest.fixture
def objects(org, dana):
    budget = Budget.objects.create(organization=org, amount_cents=50_000)
    alert, _ = raise_alert(
        org.pk,
        Finding(kind=Alert.Kind.SPEND_SPIKE, rule="spend_spike", subject=f"person:{dana.pk}", period="2026-11-19",
                person_id=dana.pk, title="Unusual spend by Dana Lee", reason="Dana Lee spent $182 …",
                summary="One person …"),
    )  # fmt: skip
    channel = Channel(
        organization=org, kind=Channel.Kind.WEBHOOK, name="Ops hook", target_hint="hooks.example …abcd"
    )
    channel.set_url("https://hooks.example/very-secret-path-abcd")
    channel.set_secret("whsec_do_not_show_0123456789")
    channel.save()
    return {"budget": budget, "alert": alert, "channel": channel}


def _pages(objects):
    return [
        reverse("alerts:index"),
        reverse("alerts:budgets"),
        reverse("alerts:channels"),
        reverse("alerts:budget_edit", args=[objects["budget"].pk]),
    ]


def _posts(objects):
    return [
        reverse("alerts:acknowledge", args=[objects["alert"].pk]),
        reverse("alerts:resolve", args=[objects["alert"].pk]),
        reverse("alerts:budget_edit", args=[objects["budget"].pk]),
        reverse("alerts:budget_delete", args=[objects["budget"].pk]),
        reverse("alerts:channel_test", args=[objects["channel"].pk]),
        reverse("alerts:channel_toggle", args=[objects["channel"].pk]),
        reverse("alerts:channel_delete", args=[objects["channel"].pk]),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["owner_client", "admin_client"])
def test_owners_and_admins_open_every_page(request, persona, objects):
    client = request.getfixturevalue(persona)
    for url in _pages(objects):
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_members_are_refused_everything(member_client, objects):
    for url in _pages(objects):
        assert member_client.get(url).status_code == 403, url
    for url in [*_posts(objects), reverse("alerts:budget_create"), reverse("alerts:channel_create")]:
        assert member_client.post(url, {"note": "x"}).status_code == 403, url
    assert Budget.objects.count() == 1 and Channel.objects.count() == 1
    assert Alert.objects.get().status == Alert.Status.OPEN


@pytest.mark.django_db
def test_outsiders_see_none_of_it_and_get_404_for_its_objects(outsider_client, objects):
    for url in (reverse("alerts:index"), reverse("alerts:budgets"), reverse("alerts:channels")):
        response = outsider_client.get(url)
        assert response.status_code == 200  # their own organization's (empty) page
        assert b"Dana" not in response.content and b"Ops hook" not in response.content
    assert outsider_client.get(reverse("alerts:budget_edit", args=[objects["budget"].pk])).status_code == 404
    for url in _posts(objects):
        assert outsider_client.post(url, {"note": "mine now"}).status_code == 404, url
    assert Budget.objects.count() == 1 and Channel.objects.count() == 1
    assert Alert.objects.get().status == Alert.Status.OPEN


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client, objects):
    for url in _pages(objects):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_nav_shows_alerts_to_admins_only(admin_client, member_client, objects):
    assert b'href="/alerts/"' in admin_client.get(reverse("alerts:index")).content
    assert b'href="/alerts/"' not in member_client.get("/ai-analytics/").content


@pytest.mark.django_db
def test_budgets_page_shows_the_burn_down_of_each_budget(admin_client, org, frozen):
    dana = member(org, "Dana Lee", "dana@acme.test")
    start = TODAY.replace(day=1)
    for n in range(TODAY.day):
        add_spend(org, dana, start + timedelta(days=n), 1_000 + 100 * (n % 3))
    refresh(org, start, TODAY)
    dana.refresh_from_db()
    frozen(TODAY)
    org_budget = Budget.objects.create(organization=org, amount_cents=30_000, period=Budget.Period.MONTH)
    Budget.objects.create(organization=org, scope=Budget.Scope.PERSON, person=dana.person, amount_cents=5_000)
    response = admin_client.get(reverse("alerts:budgets"))
    assert response.status_code == 200
    from alerts.budgets import budget_status

    status = budget_status(org_budget, today=TODAY)
    body = response.content.decode()
    assert f"${status.actual_cents / 100:,.2f} of $300.00" in body
    assert "Dana Lee · Cursor billing cycle" in body
    figure = json.loads(
        body.split(f'id="fig-budget-{org_budget.pk}" type="application/json">')[1].split("</script>")[0]
    )
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["Range high", "Projection range", "Projected", "Spent", "Budget"]
    spent = figure["data"][3]
    assert spent["y"][-1] == float(status.actual_cents) / 100 and len(spent["x"]) == TODAY.day
    assert figure["data"][4]["y"] == [300.0, 300.0]
    assert figure["data"][2]["y"][-1] == round(float(status.projected_cents) / 100, 2)
    assert b"js/plotly.min.js" in response.content


@pytest.mark.django_db
def test_creating_budgets_and_what_bad_input_says(admin_client, org, dana):
    url = reverse("alerts:budget_create")
    response = admin_client.post(url, {"scope": "organization", "period": "cycle", "amount": "2,500", "thresholds": "50, 80,100", "alert_on_projection": "on"})  # fmt: skip
    assert response.status_code == 302
    budget = Budget.objects.get(organization=org)
    assert (budget.amount_cents, budget.thresholds, budget.alert_on_projection) == (
        250_000,
        [50, 80, 100],
        True,
    )

    response = admin_client.post(
        url, {"scope": "organization", "period": "cycle", "amount": "10", "thresholds": "50"}
    )
    assert response.status_code == 400
    assert "There is already a cursor billing cycle budget for the organization" in response.content.decode()

    response = admin_client.post(
        url, {"scope": "person", "period": "month", "amount": "ten", "thresholds": "50, 900"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter an amount in dollars" in body and "between 1 and 500" in body
    assert "Choose the person this budget is for." in body
    assert 'value="ten"' in body  # what was typed is kept

    response = admin_client.post(url, {"scope": "person", "person": dana.pk, "period": "month", "amount": "300", "thresholds": "100"})  # fmt: skip
    assert response.status_code == 302
    assert Budget.objects.filter(organization=org, person=dana, amount_cents=30_000).exists()


@pytest.mark.django_db
def test_a_person_of_another_organization_cannot_be_budgeted(admin_client, other_org):
    stranger = Person.objects.create(organization=other_org, name="Stranger", primary_email="s@globex.test")
    response = admin_client.post(
        reverse("alerts:budget_create"),
        {"scope": "person", "person": stranger.pk, "period": "month", "amount": "300", "thresholds": "100"},
    )
    assert response.status_code == 400 and not Budget.objects.exists()


@pytest.mark.django_db
def test_editing_a_budget_keeps_its_alerts(admin_client, objects):
    budget = objects["budget"]
    url = reverse("alerts:budget_edit", args=[budget.pk])
    response = admin_client.post(
        url, {"scope": "organization", "period": "month", "amount": "900", "thresholds": "75"}
    )
    assert response.status_code == 302
    budget.refresh_from_db()
    assert (budget.amount_cents, budget.thresholds, budget.period) == (90_000, [75], "month")
    assert (
        admin_client.post(
            url, {"scope": "organization", "period": "month", "amount": "-1", "thresholds": "75"}
        ).status_code
        == 400
    )


@pytest.mark.django_db
def test_acknowledge_with_a_note_then_resolve(admin_client, admin_user, objects):
    alert = objects["alert"]
    response = admin_client.post(
        reverse("alerts:acknowledge", args=[alert.pk]), {"note": "Dana ran a migration."}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.note, alert.acknowledged_by) == (
        "acknowledged",
        "Dana ran a migration.",
        admin_user,
    )
    page = admin_client.get(reverse("alerts:index")).content.decode()
    assert "Dana ran a migration." in page and "1 acknowledged" in page
    admin_client.post(reverse("alerts:resolve", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert "Unusual spend by Dana Lee" not in admin_client.get(reverse("alerts:index")).content.decode()
    assert (
        "Unusual spend by Dana Lee"
        in admin_client.get(reverse("alerts:index") + "?status=resolved").content.decode()
    )
    response = admin_client.post(
        reverse("alerts:acknowledge", args=[alert.pk]), {"note": "late"}, follow=True
    )
    assert "already resolved" in response.content.decode()
    response = admin_client.post(
        reverse("alerts:acknowledge", args=[alert.pk]), {"note": "x" * 1001}, follow=True
    )
    assert "too long" in response.content.decode()


@pytest.mark.django_db
def test_filters_by_kind_and_person(admin_client, org, dana, objects):
    sam = Person.objects.create(organization=org, name="Sam Roe", primary_email="sam@acme.test")
    raise_alert(org.pk, Finding(kind=Alert.Kind.EXPENSIVE_MODEL, rule="expensive_model", subject=f"person:{sam.pk}:model:o3-pro", period="first", person_id=sam.pk, title="Sam Roe used o3-pro for the first time", reason="r", summary="s"))  # fmt: skip
    index = reverse("alerts:index")
    both = admin_client.get(index).content.decode()
    assert "Sam Roe used o3-pro" in both and "Unusual spend by Dana Lee" in both
    by_kind = admin_client.get(index, {"kind": "expensive_model"}).content.decode()
    assert "Sam Roe used o3-pro" in by_kind and "Unusual spend by Dana Lee" not in by_kind
    by_person = admin_client.get(index, {"person": dana.pk}).content.decode()
    assert "Sam Roe used o3-pro" not in by_person and "Unusual spend by Dana Lee" in by_person
    assert admin_client.get(index, {"kind": "nonsense", "person": "x"}).status_code == 200


@pytest.mark.django_db
def test_channel_pages_never_show_a_secret(admin_client, objects):
    body = admin_client.get(reverse("alerts:channels")).content.decode()
    assert "Ops hook" in body and "hooks.example …abcd" in body
    assert "very-secret-path" not in body and "whsec_do_not_show" not in body
    response = admin_client.post(
        reverse("alerts:channel_create"),
        {
            "kind": "webhook",
            "name": "Bad",
            "url": "https://hooks.example/typed-secret-xyz",
            "secret": "short",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "typed-secret-xyz" not in body and "at least 16 characters" in body


@pytest.mark.django_db
def test_adding_a_channel_and_its_test_button(admin_client, org, django_capture_on_commit_callbacks):
    with Receiver() as slack:
        response = admin_client.post(
            reverse("alerts:channel_create"),
            {"kind": "slack", "name": "#spend", "url": slack.url + "/services/T/B/X"},
        )
        assert response.status_code == 400  # Slack URLs are https
        assert "Slack webhook URLs start with https://." in response.content.decode()
        channel = Channel(organization=org, kind="slack", name="#spend")
        channel.set_url(slack.url + "/services/T/B/X")  # loopback http, as a test double
        channel.save()
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(reverse("alerts:channel_test", args=[channel.pk]), follow=True)
        assert response.status_code == 200
        [request] = slack.requests
    assert json.loads(request["body"])["blocks"][0]["text"]["text"] == "Test message from Koalr"
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.is_test and delivery.status == Delivery.Status.SENT
    log = admin_client.get(reverse("alerts:channels")).content.decode()
    assert 'data-delivery-status="sent"' in log and "Test message" in log


@pytest.mark.django_db
def test_an_email_channel_is_added_without_a_url(admin_client, org):
    response = admin_client.post(reverse("alerts:channel_create"), {"kind": "email", "name": "Admins"})
    assert response.status_code == 302
    assert Channel.objects.get(organization=org).kind == "email"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "https://localhost/hook",
        "https://10.0.0.5/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://192.168.1.10/hook",
    ],
)
def test_webhooks_may_not_target_private_or_local_addresses(admin_client, org, settings, url):
    settings.ALERTS_ALLOW_PRIVATE_URLS = False
    response = admin_client.post(
        reverse("alerts:channel_create"),
        {"kind": "webhook", "name": "Internal", "url": url, "secret": "whsec_0123456789abcdef"},
    )
    assert response.status_code == 400
    assert "Koalr does not call private or local networks." in response.content.decode()
    assert not Channel.objects.filter(organization=org).exists()


@pytest.mark.django_db
def test_a_public_webhook_is_accepted(admin_client, org, settings):
    settings.ALERTS_ALLOW_PRIVATE_URLS = False
    response = admin_client.post(
        reverse("alerts:channel_create"),
        {
            "kind": "webhook",
            "name": "Ops",
            "url": "https://hooks.example.com/k",
            "secret": "whsec_0123456789abcdef",
        },
    )
    assert response.status_code == 302
    channel = Channel.objects.get(organization=org)
    assert (
        channel.get_url() == "https://hooks.example.com/k"
        and channel.get_secret() == "whsec_0123456789abcdef"
    )


@pytest.mark.django_db
def test_a_deep_link_shows_its_alert_even_once_resolved(admin_client, objects):
    alert = objects["alert"]
    alert.status = Alert.Status.RESOLVED
    alert.save()
    assert "Unusual spend by Dana Lee" not in admin_client.get(reverse("alerts:index")).content.decode()
    linked = admin_client.get(reverse("alerts:index"), {"alert": alert.pk}).content.decode()
    assert f'id="alert-{alert.pk}"' in linked
