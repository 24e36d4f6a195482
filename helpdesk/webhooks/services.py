"""Webhooks: subscriptions, and events recorded with the change that caused them (the outbox).

Each event becomes one delivery per subscribed webhook, written in the caller's transaction and
attempted by Celery after commit (delivery.py: signed, retried with exponential backoff, every
attempt logged). Every subscription is created and changed here, whoever asks (the admin today),
so the URL and event rules hold for all of them."""

from django.utils import timezone

from helpdesk.actors import Actor, require_permission
from helpdesk.models import Webhook, WebhookDelivery
from helpdesk.platform.errors import DomainError, ErrorCode
from helpdesk.webhooks.delivery import webhook_delivery_schedule
from helpdesk.webhooks.http import url_check
from helpdesk.webhooks.payloads import webhook_envelope


def webhooks_enqueue(event: str, data: dict) -> None:
    """Record a delivery of `event` for every active webhook subscribed to it. Call inside the
    transaction of the change: a rollback records nothing, and each attempt task is sent only
    after commit."""
    now = timezone.now()
    payload = webhook_envelope(event=event, data=data, occurred_at=now)
    for webhook in Webhook.objects.filter(active=True):
        if event not in webhook.events:
            continue
        delivery = WebhookDelivery.objects.create(webhook=webhook, event=event, payload=payload, next_attempt_at=now)
        webhook_delivery_schedule(delivery_id=delivery.pk)


def webhook_create(*, actor: Actor, url: str, events: list[str], secret: str, active: bool = True) -> Webhook:
    """A subscription; raises DomainError (field `url`, `events` or `secret`) for a URL the
    address rule refuses (helpdesk/webhooks/http.py), events that are none or unknown, or no
    secret (every delivery is signed with it)."""
    require_permission(actor, "helpdesk.add_webhook", "You may not add webhooks.")
    secret = _secret_checked(secret)  # first: the URL check may look the host up
    return Webhook.objects.create(url=url_check(url), events=_events_checked(events), secret=secret, active=active)


def webhook_update(
    *, actor: Actor, webhook: Webhook, url: str, events: list[str], secret: str, active: bool
) -> Webhook:
    """Change every field of a subscription, under the rules of webhook_create. Pending deliveries
    follow: each attempt reads the webhook's URL and secret anew."""
    require_permission(actor, "helpdesk.change_webhook", "You may not change webhooks.")
    webhook.url, webhook.events = url_check(url), _events_checked(events)
    webhook.secret, webhook.active = _secret_checked(secret), active
    webhook.save(update_fields=["url", "events", "secret", "active"])
    return webhook


def _secret_checked(secret: str) -> str:
    if not isinstance(secret, str) or not secret.strip():
        raise DomainError(ErrorCode.INVALID, "A secret is required: every delivery is signed with it.", field="secret")
    return secret


def _events_checked(events: list[str]) -> list[str]:
    """The events, each once, in the order of Webhook.EVENTS."""
    if not events or not set(events) <= set(Webhook.EVENTS):
        raise DomainError(ErrorCode.INVALID, f"Events must be some of: {', '.join(Webhook.EVENTS)}.", field="events")
    return [event for event in Webhook.EVENTS if event in events]
