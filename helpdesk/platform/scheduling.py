"""Timed work is sent to Celery by task name once the transaction that stored its deadline commits.

By name (`send_task`), so a service never imports the task module that calls it back."""

import logging
from datetime import datetime

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def schedule_on_commit(task_name: str, *args, eta: datetime | None = None) -> None:
    """The countdown task is only the fast path: if the broker is down the periodic sweep still
    finds the deadline in the database, so a failure here must not fail the request."""

    def schedule() -> None:
        try:
            current_app.send_task(task_name, args=args, eta=eta)
        except Exception:
            logger.exception("could not schedule %s%s; the sweep will run it", task_name, args)

    transaction.on_commit(schedule)
