"""Reads of the webhook tables shared by the tasks."""

from django.utils import timezone

from helpdesk.models import WebhookDelivery


def overdue_delivery_ids(*, limit: int = 200) -> list[int]:
    """Pending deliveries whose next attempt is due, oldest first: what the sweep attempts."""
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
    return list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
