"""Countdown tasks again for the deadlines the database holds."""

from chat import selectors
from chat.services.ending import END_TASK
from chat.services.invitations import EXPIRE_TASK as INVITATION_EXPIRE_TASK
from chat.services.routing import OFFER_EXPIRE_TASK
from chat.services.starting import MISS_TASK
from chat.services.transfers import EXPIRE_TASK as TRANSFER_EXPIRE_TASK
from helpdesk.platform.scheduling import schedule_on_commit


def timers_rearm() -> int:
    """Schedule a countdown task for every deadline still pending; how many were scheduled.

    A worker drops the countdowns it holds when its broker connection breaks, and a Redis that
    comes back empty has lost the queued ones as well. The deadlines live in the database, so
    every worker that (re)connects has this run (helpdesk/celery.py): the fast path is back at
    once rather than at beat's next sweep. Timers are idempotent, so the copies a persistent
    Redis still holds, or redelivers after the visibility timeout, change nothing.
    """
    pending = selectors.pending_deadlines()
    for task, deadlines in [
        (END_TASK, pending.ends),
        (MISS_TASK, pending.missed),
        (TRANSFER_EXPIRE_TASK, pending.transfers),
        (INVITATION_EXPIRE_TASK, pending.invitations),
        (OFFER_EXPIRE_TASK, pending.offers),
    ]:
        for object_id, moment in deadlines:
            schedule_on_commit(task, object_id, moment.isoformat(), eta=moment)
    return sum(len(deadlines) for deadlines in pending)
