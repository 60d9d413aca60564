"""Notifications: exact payloads reach a local fake Slack and webhook receiver, signatures
verify, failures are retried with backoff and logged, and nobody is named where they may
not be."""

import hashlib
import hmac
import json
from datetime import date
from unittest import mock

import pytest
from django.core import mail

from alerts.models import Alert, Channel, Delivery
from alerts.notify import dispatch
from alerts.notify.senders import SIGNATURE_HEADER, TIMESTAMP_HEADER
from alerts.records import Finding, raise_alert
from alerts.services import create_channel

from .fake_receivers import Receiver

SECRET = "whsec_test_0123456789abcdef"


def _finding(person_id=None, **kw):
    defaults = {
        "kind": Alert.Kind.SPEND_SPIKE,
        "rule": "spend_spike",
        "subject": f"person:{person_id}",
        "period": "2026-11-30",
        "person_id": person_id,
        "day": date(2026, 11, 30),
        "title": "Unusual spend by Dana Lee on 30 Nov",
        "reason": "Dana Lee spent $182 on claude-4.1-opus on 30 Nov, 9× their usual daily $20.",
        "summary": "One person's claude-4.1-opus spend on 30 Nov was well above their usual day.",
    }
    return Finding(**{**defaults, **kw})


@pytest.fixture
def dana(org):
    from people.models import Person

    return Person.objects.create(organization=org, name="Dana Lee", primary_email="dana@acme.test")


def _channel(org, kind, url="", secret="", details=False):
    return create_channel(
        org,
        {
            "kind": kind,
            "name": f"{kind} channel",
            "url": url,
            "secret": secret,
            "include_person_details": details,
        },
        user=None,
    )


def _verify(secret: str, headers: dict, body: bytes) -> bool:
    """The verification snippet of docs/webhooks.md, as a receiver would run it."""
    timestamp = headers[TIMESTAMP_HEADER]
    expected = "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers[SIGNATURE_HEADER])


@pytest.mark.django_db
def test_slack_receives_exactly_the_block_kit_message_without_naming_anyone(
    org, dana, settings, django_capture_on_commit_callbacks
):
    settings.KOALR_PUBLIC_URL = "https://koalr.example"
    with Receiver() as slack:
        channel = _channel(org, Channel.Kind.SLACK, url=slack.url + "/services/T000/B000/XXXX")
        with django_capture_on_commit_callbacks(execute=True):
            alert, created = raise_alert(org.pk, _finding(dana.pk))
        assert created
        assert len(slack.requests) == 1
        request = slack.requests[0]
    link = f"https://koalr.example/alerts/?alert={alert.pk}#alert-{alert.pk}"
    heading = "Unusual spend"
    text = "One person's claude-4.1-opus spend on 30 Nov was well above their usual day."
    assert request["path"] == "/services/T000/B000/XXXX"
    assert json.loads(request["body"]) == {
        "text": f"{heading}: {text}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": heading}},
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open in Koalr"}, "url": link}
                ],
            },
        ],
    }
    assert b"Dana" not in request["body"] and b"$182" not in request["body"]
    delivery = Delivery.objects.get(channel=channel)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Delivery.Status.SENT, 1, "")


@pytest.mark.django_db
def test_a_channel_marked_for_admins_gets_the_names(org, dana, django_capture_on_commit_callbacks):
    with Receiver() as slack:
        _channel(org, Channel.Kind.SLACK, url=slack.url + "/hook", details=True)
        with django_capture_on_commit_callbacks(execute=True):
            raise_alert(org.pk, _finding(dana.pk))
        body = json.loads(slack.requests[0]["body"])
    assert body["blocks"][0]["text"]["text"] == "Unusual spend by Dana Lee on 30 Nov"
    assert body["blocks"][1]["text"]["text"] == _finding().reason


@pytest.mark.django_db
def test_signed_webhook_payload_and_signature_verify(org, dana, django_capture_on_commit_callbacks):
    with Receiver() as hook:
        _channel(org, Channel.Kind.WEBHOOK, url=hook.url + "/koalr", secret=SECRET)
        with mock.patch("time.time", return_value=1_796_000_000):
            with django_capture_on_commit_callbacks(execute=True):
                alert, _ = raise_alert(org.pk, _finding(dana.pk))
        [request] = hook.requests
    headers = request["headers"]
    assert headers[TIMESTAMP_HEADER] == "1796000000"
    assert headers["Content-Type"] == "application/json"
    assert _verify(SECRET, headers, request["body"])
    assert not _verify("another-secret-entirely", headers, request["body"])
    tampered = request["body"].replace(b"One person", b"Two people")
    assert not _verify(SECRET, headers, tampered)
    assert json.loads(request["body"]) == {
        "type": "koalr.alert",
        "alert_id": alert.pk,
        "kind": "spend_spike",
        "organization": "acme",
        "title": "Unusual spend",
        "text": "One person's claude-4.1-opus spend on 30 Nov was well above their usual day.",
        "url": f"http://testserver-koalr/alerts/?alert={alert.pk}#alert-{alert.pk}".replace(
            "http://testserver-koalr", "http://127.0.0.1:8000"
        ),
        "sent_at": 1796000000,
    }


@pytest.mark.django_db
def test_a_failing_endpoint_is_retried_then_logged_as_sent(org, dana, django_capture_on_commit_callbacks):
    with Receiver(statuses=[500, 503, 200]) as hook:
        channel = _channel(org, Channel.Kind.WEBHOOK, url=hook.url + "/koalr", secret=SECRET)
        with django_capture_on_commit_callbacks(execute=True):
            raise_alert(org.pk, _finding(dana.pk))
        assert len(hook.requests) == 3
        assert all(_verify(SECRET, r["headers"], r["body"]) for r in hook.requests)
    delivery = Delivery.objects.get(channel=channel)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        Delivery.Status.SENT,
        3,
        "The webhook answered HTTP 503.",
    )


@pytest.mark.django_db
def test_the_delivery_log_says_a_message_was_retried(
    admin_client, org, dana, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[500, 200]) as hook:
        _channel(org, Channel.Kind.WEBHOOK, url=hook.url + "/koalr", secret=SECRET)
        with django_capture_on_commit_callbacks(execute=True):
            raise_alert(org.pk, _finding(dana.pk))
    page = admin_client.get("/alerts/channels/").content.decode()
    assert "Sent after 2 attempts" in page and "The webhook answered HTTP 500." in page


@pytest.mark.django_db
def test_with_a_broker_the_task_retries_later_with_backoff(org, dana):
    from celery.exceptions import Retry

    from alerts import tasks

    with Receiver(statuses=[503]) as hook:
        channel = _channel(org, Channel.Kind.SLACK, url=hook.url + "/hook")
        raise_alert(org.pk, _finding(dana.pk))  # its delivery waits for the commit
        delivery = Delivery.objects.get(channel=channel)
        tasks.deliver.push_request(is_eager=False)
        try:
            with mock.patch.object(tasks.deliver, "retry", side_effect=Retry()) as retry:
                with pytest.raises(Retry):
                    tasks.deliver.run(delivery.pk)
        finally:
            tasks.deliver.pop_request()
        assert len(hook.requests) == 1
    assert 30 <= retry.call_args.kwargs["countdown"] <= 36
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        Delivery.Status.RETRYING,
        1,
        "Slack answered HTTP 503.",
    )
    assert all(base <= tasks.backoff(n) <= base * 1.2 for n, base in ((1, 30), (2, 120), (3, 480)))


@pytest.mark.django_db
def test_an_endpoint_that_keeps_failing_is_given_up_with_the_reason(
    org, dana, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[502]) as hook:
        channel = _channel(org, Channel.Kind.SLACK, url=hook.url + "/hook")
        with django_capture_on_commit_callbacks(execute=True):
            raise_alert(org.pk, _finding(dana.pk))
        assert len(hook.requests) == dispatch.MAX_ATTEMPTS
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == dispatch.MAX_ATTEMPTS
    assert delivery.last_error == "Slack answered HTTP 502."
    assert hook.url not in delivery.last_error


@pytest.mark.django_db
def test_a_permanent_refusal_is_not_retried(org, dana, django_capture_on_commit_callbacks):
    with Receiver(statuses=[404]) as hook:
        channel = _channel(org, Channel.Kind.SLACK, url=hook.url + "/revoked")
        with django_capture_on_commit_callbacks(execute=True):
            raise_alert(org.pk, _finding(dana.pk))
        assert len(hook.requests) == 1
    delivery = Delivery.objects.get(channel=channel)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        Delivery.Status.FAILED,
        1,
        "Slack answered HTTP 404.",
    )


@pytest.mark.django_db
def test_unreachable_and_slow_endpoints_are_retried(org, dana, django_capture_on_commit_callbacks):
    with Receiver() as hook:
        dead_url = hook.url + "/gone"
    channel = _channel(org, Channel.Kind.WEBHOOK, url=dead_url, secret=SECRET)  # nothing listens now
    with django_capture_on_commit_callbacks(execute=True):
        raise_alert(org.pk, _finding(dana.pk))
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == dispatch.MAX_ATTEMPTS
    assert delivery.last_error == "The webhook could not be reached (ConnectError)."

    import httpx

    from alerts.notify import senders

    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    client = httpx.Client(transport=httpx.MockTransport(slow))
    with pytest.raises(senders.DeliveryFailed) as failure:
        senders.send_webhook(channel, dispatch.messages.test_message(channel), client=client)
    assert failure.value.retryable and failure.value.reason == "The webhook did not answer in time."


@pytest.mark.django_db
def test_email_reaches_owners_and_admins_only(
    org, owner, admin_user, member_user, dana, django_capture_on_commit_callbacks
):
    _channel(org, Channel.Kind.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        raise_alert(org.pk, _finding(dana.pk))
    [message] = mail.outbox
    assert sorted(message.to) == ["admin@acme.test", "owner@acme.test"]
    assert message.subject == "[Koalr] Unusual spend by Dana Lee on 30 Nov"
    assert _finding().reason in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "9× their usual daily $20" in html


@pytest.mark.django_db
def test_one_alert_is_delivered_once_per_channel(org, owner, dana, django_capture_on_commit_callbacks):
    email = _channel(org, Channel.Kind.EMAIL)
    with Receiver() as slack:
        _channel(org, Channel.Kind.SLACK, url=slack.url + "/hook")
        paused = _channel(org, Channel.Kind.SLACK, url=slack.url + "/paused")
        paused.is_active = False
        paused.save()
        with django_capture_on_commit_callbacks(execute=True):
            raise_alert(org.pk, _finding(dana.pk))
            raise_alert(org.pk, _finding(dana.pk), revise=True)
            raise_alert(org.pk, _finding(dana.pk, reason="Dana Lee spent $200 …"), revise=True)
        assert [r["path"] for r in slack.requests] == ["/hook"]
    assert len(mail.outbox) == 1
    assert Delivery.objects.filter(organization=org).count() == 2
    assert Delivery.objects.filter(channel=email).count() == 1


@pytest.mark.django_db
def test_secrets_are_encrypted_at_rest(org):
    channel = _channel(
        org, Channel.Kind.WEBHOOK, url="https://hooks.example.com/secret-path-123", secret=SECRET
    )
    stored = (
        Channel.objects.filter(pk=channel.pk).values("encrypted_url", "encrypted_secret", "target_hint").get()
    )
    assert "secret-path-123" not in stored["encrypted_url"] and SECRET not in stored["encrypted_secret"]
    assert stored["target_hint"] == "hooks.example.com …-123"
    assert channel.get_url() == "https://hooks.example.com/secret-path-123"
    assert "secret" not in repr(channel)
