"""Webhooks: events recorded with the change that caused them, delivered by Celery after commit,
signed, retried with exponential backoff, every attempt logged.

Signature: the receiver computes HMAC-SHA256 with the shared secret over
`"<X-Helpdesk-Timestamp>.<raw body>"` and compares it with `X-Helpdesk-Signature`
("sha256=<hex>"); it should also refuse timestamps older than a few minutes (replays).
Delivery is at least once: receivers dedupe by `X-Helpdesk-Delivery`.
"""

import functools
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import time
from datetime import timedelta
from urllib.parse import SplitResult, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.fields import DateTimeField

from helpdesk.errors import DomainError
from helpdesk.models import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5
_timestamp = DateTimeField()  # the API's format ("Z" for UTC)


def url_check(url: str) -> str:
    """Only http(s) URLs with a valid port whose host resolves to public addresses (loopback,
    private, link-local and other non-global ones are refused unless WEBHOOK_ALLOW_PRIVATE is
    set, which leaves only the form of the URL checked)."""
    parts, port = _parsed(url)
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        _checked_addresses(parts.hostname, port)
    return url


def _parsed(url: str) -> tuple[SplitResult, int]:
    """The URL's parts and its port (the scheme's default when it names none)."""
    try:
        parts = urlsplit(url)
    except ValueError as error:  # e.g. "Invalid IPv6 URL"
        raise DomainError("invalid", f"Not a valid URL: {error}.", field="url") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError("invalid", "Webhook URLs must be http:// or https:// URLs.", field="url")
    try:
        port = parts.port  # None when the URL names none
    except ValueError:  # above 65535 or not a number
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise DomainError("invalid", "The port must be a number from 1 to 65535.", field="url")
    return parts, port or (443 if parts.scheme == "https" else 80)


def _checked_addresses(host: str, port: int) -> list[str]:
    """The host's addresses in the resolver's order, each checked (unless WEBHOOK_ALLOW_PRIVATE)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as error:
        raise DomainError("invalid", f"Cannot resolve {host}.", field="url") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if not _is_public(ipaddress.ip_address(address.split("%")[0])):
                raise DomainError("invalid", f"{host} is a private or local address.", field="url")
    return addresses


# IPv6 forms that carry an IPv4 address in their last 32 bits: NAT64's well-known prefix, the
# deprecated IPv4-compatible and IPv4-translated forms. A NAT64 gateway turns 64:ff9b::7f00:1
# into 127.0.0.1 on its own side, so the IPv4 address is what gets reached.
_IPV4_IN_LOW_BITS = tuple(map(ipaddress.ip_network, ("64:ff9b::/96", "::/96", "::ffff:0:0:0/96")))
# Local-use NAT64 (RFC 8215): the operator picks where the IPv4 bits go, so the embedded address
# cannot be read; it is not globally reachable either, though Python 3.11's is_global says it is.
_LOCAL_USE_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally reachable, and so is every IPv4 address it embeds (IPv4-mapped, NAT64, 6to4,
    Teredo...), whose own is_global does not look inside."""
    if not address.is_global:
        return False
    if address.version == 4:
        return True
    if address in _LOCAL_USE_NAT64:
        return False
    embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if any(address in network for network in _IPV4_IN_LOW_BITS):
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return all(ipv4.is_global for ipv4 in embedded if ipv4 is not None)


def _dial(addresses: list[str], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first of `addresses` that answers."""
    error = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as refused:
            error = refused
    raise error or OSError("no address to connect to")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The system's CA store (or SSL_CERT_FILE's), loaded once per process: loading it takes
    about 150 ms here. Contexts are safe to share between threads."""
    return ssl.create_default_context()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to addresses resolved and checked beforehand instead of resolving the host
    again: a second lookup may answer differently (DNS rebinding to 127.0.0.1). `host` stays
    the URL's host, so the Host header is the URL's. http.client never follows redirects, which
    could lead to an address nobody checked."""

    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self):
        self.sock = _dial(self.addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As _PinnedHTTPConnection; TLS runs over the pinned socket with the URL's host as SNI
    and as the name the certificate must match (the default context verifies both)."""

    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout, context=_tls_context())
        self.addresses = addresses

    def connect(self):
        pinned = _dial(self.addresses, self.port, self.timeout)
        self.sock = _tls_context().wrap_socket(pinned, server_hostname=self.host)


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
    try:  # checked again at delivery time, DNS may have changed; then connect to what was checked
        parts, port = _parsed(delivery.webhook.url)
        addresses = _checked_addresses(parts.hostname, port)
    except DomainError as refused:
        return None, refused.detail
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "helpdesk-webhooks/1",
        "X-Helpdesk-Event": delivery.event,
        "X-Helpdesk-Delivery": str(delivery.pk),
        "X-Helpdesk-Timestamp": timestamp,
        "X-Helpdesk-Signature": signature(delivery.webhook.secret, timestamp, body),
    }
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port, addresses=addresses, timeout=TIMEOUT_SECONDS)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        return connection.getresponse().status, ""
    except (OSError, http.client.HTTPException, ValueError) as error:
        return None, str(error)[:300]
    finally:
        connection.close()


def overdue_delivery_ids(*, limit: int = 200) -> list[int]:
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
    return list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
