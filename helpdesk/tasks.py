from celery import shared_task

from helpdesk import webhooks


@shared_task(acks_late=True)
def webhook_deliver(delivery_id: int) -> None:
    webhooks.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(acks_late=True)
def webhooks_sweep() -> None:
    """The guarantee behind the countdown tasks: attempts whose moment has passed."""
    for delivery_id in webhooks.overdue_delivery_ids():
        webhooks.webhook_delivery_attempt(delivery_id=delivery_id)
