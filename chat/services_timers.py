"""Countdown tasks again for the deadlines the database holds."""

from chat import selectors
from chat.services import _schedule_on_commit


def timers_rearm() -> int:
    """Schedule a countdown task for every deadline still pending; how many were scheduled.

    A worker drops the countdowns it holds when its broker connection breaks, and a Redis that
    comes back empty has lost the queued ones as well. The deadlines live in the database, so
    every worker that (re)connects has this run (helpdesk/celery.py): the fast path is back at
    once rather than at beat's next sweep. Timers are idempotent, so the copies a persistent
    Redis still holds, or redelivers after the visibility timeout, change nothing.
    """
    from chat.tasks import chat_end_when_due, chat_miss_when_due, invitation_expire_when_due, transfer_expire_when_due

    pending = selectors.pending_deadlines()
    for chat_id, ends_at in pending.ends:
        _schedule_on_commit(chat_end_when_due, chat_id, ends_at.isoformat(), eta=ends_at)
    for chat_id, deadline in pending.missed:
        _schedule_on_commit(chat_miss_when_due, chat_id, eta=deadline)
    for transfer_id, expires_at in pending.transfers:
        _schedule_on_commit(transfer_expire_when_due, transfer_id, eta=expires_at)
    for invitation_id, expires_at in pending.invitations:
        _schedule_on_commit(invitation_expire_when_due, invitation_id, eta=expires_at)
    return sum(len(deadlines) for deadlines in pending)
