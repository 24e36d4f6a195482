"""A waiting visitor's place in the queue: the `queue.position` frame (docs/protocol.md).

A department's queue is its waiting chats, first come first (the chats without a department
are one queue of their own); position 1 is next. The estimate is the median of how long the
last QUEUE_ESTIMATE_SAMPLE chats of the department accepted within QUEUE_ESTIMATE_WINDOW waited
for their accept, times the position, in whole seconds rounded up; None while the department has
no such chat.

Places change when a chat leaves the queue (accepted, missed, or ended by its visitor while it
waited): every visitor still waiting in that department then gets their place again, read from
the database once the change has committed, in two queries however many wait. A new chat joins
at the end and moves nobody: its visitor gets their place when their socket connects.
"""

import math
from datetime import timedelta
from statistics import median

from django.db import transaction
from django.utils import timezone

from chat import frames, selectors
from chat.models import Chat
from helpdesk.platform.events import publish_to_chat

QUEUE_ESTIMATE_SAMPLE = 20
QUEUE_ESTIMATE_WINDOW = timedelta(days=1)


def queue_typical_wait(department_id: int | None) -> float | None:
    """The median wait (seconds) of the department's recently accepted chats, or None."""
    waits = selectors.recent_accept_waits(
        department_id, since=timezone.now() - QUEUE_ESTIMATE_WINDOW, limit=QUEUE_ESTIMATE_SAMPLE
    )
    return median(waits) if waits else None


def _estimate(typical_wait: float | None, position: int) -> int | None:
    return None if typical_wait is None else math.ceil(typical_wait * position)


def queue_position_frame_for(chat: Chat) -> dict | None:
    """The chat's `queue.position` frame as of now, or None unless it waits (for its visitor's
    socket, on connect)."""
    if chat.status != Chat.Status.WAITING:
        return None
    position = selectors.queue_position(chat)
    typical_wait = queue_typical_wait(chat.department_id)
    return frames.queue_position_frame(
        chat, position=position, estimated_wait_seconds=_estimate(typical_wait, position)
    )


def queue_changed(department_id: int | None) -> None:
    """A chat left the department's queue: once the current transaction commits (at once outside
    one), every chat still waiting there gets a `queue.position` frame (queue_publish)."""
    transaction.on_commit(lambda: queue_publish(department_id), robust=True)


def queue_publish(department_id: int | None) -> int:
    """Send every chat waiting in the department its place now; how many were sent."""
    typical_wait = queue_typical_wait(department_id)
    sent = 0
    for position, chat in enumerate(selectors.waiting_queue(department_id).only("pk"), start=1):
        frame = frames.queue_position_frame(
            chat, position=position, estimated_wait_seconds=_estimate(typical_wait, position)
        )
        publish_to_chat(chat.pk, frame)
        sent = position
    return sent
