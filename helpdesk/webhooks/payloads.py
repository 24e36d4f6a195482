"""What a delivery sends, built here and nowhere else: the envelope recorded with the event, and
the signed request of each attempt.

Signature: the receiver computes HMAC-SHA256 with the shared secret over
`"<X-Helpdesk-Timestamp>.<raw body>"` and compares it with `X-Helpdesk-Signature`
("sha256=<hex>"); it should also refuse timestamps older than a few minutes (replays).
Delivery is at least once: receivers dedupe by `X-Helpdesk-Delivery`.

Every delivery is also signed per the Standard Webhooks specification (`webhook-id`,
`webhook-timestamp`, `webhook-signature`), so receivers can verify it with the `standardwebhooks`
libraries: the id is the delivery's (the same on every retry), the key the raw UTF-8 bytes of the
webhook's secret, which those libraries take as `base64(secret)`, optionally prefixed `whsec_`."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

from rest_framework.fields import DateTimeField
from standardwebhooks import Webhook as StandardWebhook

from helpdesk.models import WebhookDelivery

_timestamp = DateTimeField()  # the API's format ("Z" for UTC)


def webhook_envelope(*, event: str, data: dict, occurred_at: datetime) -> dict:
    """The body of every delivery of `event`, stored with it when the change is recorded: the
    `data` builders (chat/frames.py, tickets/services.py) fill only its `data`."""
    return {"event": event, "occurred_at": _timestamp.to_representation(occurred_at), "data": data}


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def standard_signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks `webhook-signature` ("v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">"),
    keyed with the secret's UTF-8 bytes (the bytes a receiver gets by decoding `base64(secret)`)."""
    when = datetime.fromtimestamp(timestamp, tz=UTC)
    return StandardWebhook(secret.encode()).sign(msg_id=msg_id, timestamp=when, data=body.decode())


def webhook_request(*, delivery: WebhookDelivery, timestamp: int) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt: the stored envelope as compact JSON with sorted keys
    (these exact bytes are signed), the delivery's id and event, and signatures made for this
    attempt's `timestamp` (Unix seconds) with the webhook's current secret: ours and the
    Standard Webhooks one."""
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()  # ASCII
    secret, msg_id = delivery.webhook.secret, str(delivery.pk)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "helpdesk-webhooks/1",
        "X-Helpdesk-Event": delivery.event,
        "X-Helpdesk-Delivery": msg_id,
        "X-Helpdesk-Timestamp": str(timestamp),
        "X-Helpdesk-Signature": signature(secret=secret, timestamp=str(timestamp), body=body),
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }
    return body, headers
