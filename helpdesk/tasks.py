"""Webhook deliveries. The webhook services send `webhook_deliver` by name
(helpdesk.platform.scheduling) and beat sends `webhooks_sweep` by name (CELERY_BEAT_SCHEDULE), so
the names are part of the contract between deploys: tasks already queued must still find them."""

from celery import shared_task

from helpdesk.webhooks import delivery, selectors


@shared_task(acks_late=True)
def webhook_deliver(delivery_id: int) -> None:
    delivery.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(acks_late=True)
def webhooks_sweep() -> None:
    """The guarantee behind the countdown tasks: attempts whose moment has passed."""
    for delivery_id in selectors.overdue_delivery_ids():
        delivery.webhook_delivery_attempt(delivery_id=delivery_id)
