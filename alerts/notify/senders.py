"""One sender per channel kind: email, Slack incoming webhook, signed webhook.

A sender raises `DeliveryFailed(reason, retryable)` with plain words (never the URL or a
secret); the delivery task retries what can succeed next time (timeouts, network errors,
429, 5xx) and gives up on the rest (a 404 webhook, a revoked Slack URL).
"""

import hashlib
import hmac
import json
import smtplib
import time

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.html import escape

from koalr.accounts.models import Membership

from ..models import Channel
from .messages import Message

TIMEOUT = httpx.Timeout(10.0)
SIGNATURE_HEADER = "X-Koalr-Signature"
TIMESTAMP_HEADER = "X-Koalr-Timestamp"


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, retryable: bool):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


def recipients(organization_id: int) -> list[str]:
    """Owners and admins: the people who may read everything an alert says."""
    return sorted(
        Membership.objects.filter(
            organization_id=organization_id, role__in=[Membership.Role.OWNER, Membership.Role.ADMIN]
        ).values_list("user__email", flat=True)
    )


def _mail(heading: str, text: str, url: str, to: list[str]) -> EmailMultiAlternatives:
    body = f"{text}\n\nOpen in Koalr: {url}\n"
    html = f'<p>{escape(text)}</p><p><a href="{escape(url)}">Open in Koalr</a></p>'
    mail = EmailMultiAlternatives(f"[Koalr] {heading}", body, settings.DEFAULT_FROM_EMAIL, to)
    mail.attach_alternative(html, "text/html")
    return mail


def send_email(channel: Channel, message: Message) -> None:
    """Owners and admins get the message; each team lead it concerns gets their own copy, in
    the words their access allows (one mail per lead: no lead sees another's address)."""
    to = recipients(channel.organization_id)
    if not to and not message.lead_copies:
        raise DeliveryFailed("The organization has no owner or admin to email.", retryable=False)
    mails = [_mail(message.heading, message.text, message.url, to)] if to else []
    mails += [_mail(heading, text, message.url, [email]) for email, heading, text in message.lead_copies]
    try:
        with get_connection() as connection:
            connection.send_messages(mails)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(
            f"The mail server refused the message ({type(exc).__name__}).", retryable=True
        ) from None


def slack_payload(message: Message) -> dict:
    """A Block Kit message: the heading, the words, and a button opening Koalr."""
    return {
        "text": f"{message.heading}: {message.text}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.heading[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": message.text}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in Koalr"},
                        "url": message.url,
                    }
                ],
            },
        ],
    }


def webhook_body(message: Message, organization_slug: str, sent_at: int) -> bytes:
    payload = {
        "type": "koalr.alert" if message.alert_id else "koalr.test",
        "alert_id": message.alert_id,
        "kind": message.kind,
        "organization": organization_slug,
        "title": message.heading,
        "text": message.text,
        "url": message.url,
        "sent_at": sent_at,
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>." + body, hex, as `v1=<hex>` (docs/webhooks.md)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def _post(url: str, content: bytes, headers: dict, what: str, client: httpx.Client | None) -> None:
    owns = client is None
    client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        response = client.post(url, content=content, headers={"Content-Type": "application/json", **headers})
    except httpx.TimeoutException:
        raise DeliveryFailed(f"{what} did not answer in time.", retryable=True) from None
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{what} could not be reached ({type(exc).__name__}).", retryable=True) from None
    finally:
        if owns:
            client.close()
    status = response.status_code
    if 200 <= status < 300:
        return
    retryable = status == 429 or status >= 500
    raise DeliveryFailed(f"{what} answered HTTP {status}.", retryable=retryable)


def send_slack(channel: Channel, message: Message, *, client: httpx.Client | None = None) -> None:
    body = json.dumps(slack_payload(message)).encode()
    _post(channel.get_url(), body, {}, "Slack", client)


def send_webhook(channel: Channel, message: Message, *, client: httpx.Client | None = None, now=None) -> None:
    timestamp = int(now if now is not None else time.time())
    body = webhook_body(message, channel.organization.slug, timestamp)
    headers = {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(channel.get_secret(), timestamp, body),
    }
    _post(channel.get_url(), body, headers, "The webhook", client)


SENDERS = {Channel.Kind.EMAIL: send_email, Channel.Kind.SLACK: send_slack, Channel.Kind.WEBHOOK: send_webhook}
