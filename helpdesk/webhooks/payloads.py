"""What a delivery sends, built here and nowhere else: the envelope recorded with the event, and
the signed request of each attempt.

Signature: the receiver computes HMAC-SHA256 with the shared secret over
`"<X-Helpdesk-Timestamp>.<raw body>"` and compares it with `X-Helpdesk-Signature`
("sha256=<hex>"); it should also refuse timestamps older than a few minutes (replays).
Delivery is at least once: receivers dedupe by `X-Helpdesk-Delivery`."""

import hashlib
import hmac
import json
from datetime import datetime

from rest_framework.fields import DateTimeField

from helpdesk.models import WebhookDelivery

_timestamp = DateTimeField()  # the API's format ("Z" for UTC)


def webhook_envelope(*, event: str, data: dict, occurred_at: datetime) -> dict:
    """The body of every delivery of `event`, stored with it when the change is recorded: the
    `data` builders (chat/frames.py, tickets/services.py) fill only its `data`."""
    return {"event": event, "occurred_at": _timestamp.to_representation(occurred_at), "data": data}


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_request(*, delivery: WebhookDelivery, timestamp: int) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt: the stored envelope as compact JSON with sorted keys
    (these exact bytes are signed), the delivery's id and event, and a signature made for this
    attempt's `timestamp` (Unix seconds) with the webhook's current secret."""
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "helpdesk-webhooks/1",
        "X-Helpdesk-Event": delivery.event,
        "X-Helpdesk-Delivery": str(delivery.pk),
        "X-Helpdesk-Timestamp": str(timestamp),
        "X-Helpdesk-Signature": signature(secret=delivery.webhook.secret, timestamp=str(timestamp), body=body),
    }
    return body, headers
