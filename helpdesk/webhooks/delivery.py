"""One delivery attempt: claim it, sign, POST, record the outcome, back off; and the scheduling of
attempts, by task name so that nothing here imports the task module that calls it."""

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from helpdesk.models import WebhookDelivery
from helpdesk.platform.deadlines import due_cutoff
from helpdesk.platform.metrics import webhook_attempt_recorded
from helpdesk.platform.scheduling import schedule_on_commit
from helpdesk.webhooks import http
from helpdesk.webhooks.payloads import webhook_request

DELIVER_TASK = "helpdesk.tasks.webhook_deliver"
TIMEOUT_SECONDS = 5  # to connect, and then to answer


def webhook_delivery_schedule(*, delivery_id: int, eta: datetime | None = None) -> None:
    """Queue an attempt at `eta` (now when None) once the caller's transaction commits, or at
    once outside one. Only the fast path: webhooks_sweep attempts what could not be queued."""
    schedule_on_commit(DELIVER_TASK, delivery_id, eta=eta)


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt: claim it, POST, record the outcome. Safe to run twice: the claim (moving
    `next_attempt_at` past the request's timeout in one conditional UPDATE) lets one runner
    through, and no row lock is held while the request is in flight. None when there was
    nothing to do (not pending, not due yet, or claimed by another runner)."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=WebhookDelivery.Status.PENDING,
        attempts=delivery.attempts,
        next_attempt_at__lte=due_cutoff(now=now),  # the countdown task may fire a hair early
    ).update(next_attempt_at=now + timedelta(seconds=2 * TIMEOUT_SECONDS))
    if not claimed:
        return None
    body, headers = webhook_request(delivery=delivery, timestamp=int(time.time()))
    status_code, error = http.post(url=delivery.webhook.url, body=body, headers=headers, timeout=TIMEOUT_SECONDS)
    if not _record(delivery, status_code=status_code, error=error):
        return None
    delivery.refresh_from_db()
    if delivery.status == WebhookDelivery.Status.PENDING:
        webhook_delivery_schedule(delivery_id=delivery.pk, eta=delivery.next_attempt_at)
    return delivery


def _record(delivery: WebhookDelivery, *, status_code: int | None, error: str) -> bool:
    """Log the attempt and set what follows: succeeded on a 2xx, failed after the last attempt,
    else the next attempt after an exponential backoff. False if another runner recorded first."""
    now = timezone.now()
    attempts = delivery.attempts + 1
    entry = {"at": now.isoformat(), "status_code": status_code, "error": error}
    changes = {"attempts": attempts, "last_status_code": status_code, "log": [*delivery.log, entry]}
    if status_code is not None and 200 <= status_code < 300:
        changes.update(status=WebhookDelivery.Status.SUCCEEDED, delivered_at=now)
        outcome = "succeeded"
    elif attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        changes.update(status=WebhookDelivery.Status.FAILED)
        outcome = "failed"
    else:
        backoff = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
        changes.update(next_attempt_at=now + timedelta(seconds=backoff))
        outcome = "retry"
    recorded = bool(WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**changes))
    if recorded:
        webhook_attempt_recorded(outcome)
    return recorded
