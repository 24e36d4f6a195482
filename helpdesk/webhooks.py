"""Webhooks: events recorded with the change that caused them, delivered by Celery after commit,
signed, retried with exponential backoff, every attempt logged.

Signature: the receiver computes HMAC-SHA256 with the shared secret over
`"<X-Helpdesk-Timestamp>.<raw body>"` and compares it with `X-Helpdesk-Signature`
("sha256=<hex>"); it should also refuse timestamps older than a few minutes (replays).
Delivery is at least once: receivers dedupe by `X-Helpdesk-Delivery`.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.fields import DateTimeField

from helpdesk.errors import DomainError
from helpdesk.models import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5
_timestamp = DateTimeField()  # the API's format ("Z" for UTC)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: following it could reach an address the
    private-address guard never checked."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def url_check(url: str) -> str:
    """Only http(s) URLs whose host resolves to public addresses (loopback, private and
    link-local ones are refused unless WEBHOOK_ALLOW_PRIVATE is set)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError("invalid", "Webhook URLs must be http:// or https:// URLs.", field="url")
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return url
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (socket.gaierror, UnicodeError) as error:
        raise DomainError("invalid", f"Cannot resolve {parts.hostname}.", field="url") from error
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            raise DomainError("invalid", f"{parts.hostname} is a private or local address.", field="url")
    return url


def webhook_create(*, url: str, events: list[str], secret: str, active: bool = True) -> Webhook:
    unknown = sorted(set(events) - set(Webhook.EVENTS))
    if unknown or not events:
        raise DomainError("invalid", f"Events must be some of: {', '.join(Webhook.EVENTS)}.", field="events")
    return Webhook.objects.create(url=url_check(url), events=sorted(set(events)), secret=secret, active=active)


def webhooks_enqueue(event: str, data: dict) -> None:
    """Record a delivery for every active webhook subscribed to `event`, in the caller's
    transaction; the Celery task is sent after commit."""
    from helpdesk.tasks import webhook_deliver

    payload = {"event": event, "occurred_at": _timestamp.to_representation(timezone.now()), "data": data}
    now = timezone.now()
    for webhook in Webhook.objects.filter(active=True):
        if event not in webhook.events:
            continue
        delivery = WebhookDelivery.objects.create(webhook=webhook, event=event, payload=payload, next_attempt_at=now)
        transaction.on_commit(lambda pk=delivery.pk: _send_task(webhook_deliver, pk))


def _send_task(task, delivery_id: int, eta=None) -> None:
    try:
        task.apply_async(args=[delivery_id], eta=eta)
    except Exception:  # the sweep will find the delivery in the database
        logger.exception("could not queue webhook delivery %s", delivery_id)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt: claim it, POST, record the outcome. Safe to run twice: the claim (moving
    `next_attempt_at` past the request's timeout in one conditional UPDATE) lets one runner
    through, and no row lock is held while the request is in flight."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=WebhookDelivery.Status.PENDING,
        attempts=delivery.attempts,
        next_attempt_at__lte=now + timedelta(seconds=1),  # a countdown may fire a hair early
    ).update(next_attempt_at=now + timedelta(seconds=2 * TIMEOUT_SECONDS))
    if not claimed:
        return None
    status_code, error = _post(delivery)
    now = timezone.now()
    attempts = delivery.attempts + 1
    entry = {"at": now.isoformat(), "status_code": status_code, "error": error}
    changes = {"attempts": attempts, "last_status_code": status_code, "log": [*delivery.log, entry]}
    if status_code is not None and 200 <= status_code < 300:
        changes.update(status=WebhookDelivery.Status.SUCCEEDED, delivered_at=now)
    elif attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        changes.update(status=WebhookDelivery.Status.FAILED)
    else:
        backoff = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
        changes.update(next_attempt_at=now + timedelta(seconds=backoff))
    claimed = WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**changes)
    if not claimed:
        return None
    delivery.refresh_from_db()
    if delivery.status == WebhookDelivery.Status.PENDING:
        from helpdesk.tasks import webhook_deliver

        _send_task(webhook_deliver, delivery.pk, eta=delivery.next_attempt_at)
    return delivery


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    try:
        url_check(delivery.webhook.url)  # again at delivery time: DNS may have changed
    except DomainError as refused:
        return None, refused.detail
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(delivery.webhook.url, data=body, method="POST")
    for name, value in {
        "Content-Type": "application/json",
        "User-Agent": "helpdesk-webhooks/1",
        "X-Helpdesk-Event": delivery.event,
        "X-Helpdesk-Delivery": str(delivery.pk),
        "X-Helpdesk-Timestamp": timestamp,
        "X-Helpdesk-Signature": signature(delivery.webhook.secret, timestamp, body),
    }.items():
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:300]


def overdue_delivery_ids(*, limit: int = 200) -> list[int]:
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
    return list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
