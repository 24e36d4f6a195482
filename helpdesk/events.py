"""Publishing to the channel layer, always after the surrounding transaction commits.

Two kinds of groups: `chat.<id>` (the visitor's socket and the sockets of agents taking part)
and `agent.<id>` (all sockets of one agent: offers, settings, joins). Group events carry the
frame a client receives; the consumers' handlers only forward it.
"""

import asyncio
import logging
import os
import weakref

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def agent_group(agent_id: int) -> str:
    return f"agent.{agent_id}"


def chat_group(chat_id: int) -> str:
    return f"chat.{chat_id}"


def publish_to_chat(chat_id: int, frame: dict, *, event: str = "chat.frame") -> None:
    """After commit, `frame` reaches everyone in the chat. `event` names the consumer handler:
    "chat.frame" forwards, "chat.closed" forwards and leaves the chat."""
    publish_on_commit(chat_group(chat_id), {"type": event, "chat_id": chat_id, "frame": frame})


def publish_to_agent(agent_id: int, frame: dict, *, event: str = "agent.frame", **extra) -> None:
    """After commit, `frame` reaches every socket of one agent. "chat.joined" also subscribes
    those sockets to the chat named by `chat_id`."""
    publish_on_commit(agent_group(agent_id), {"type": event, "frame": frame, **extra})


def publish_on_commit(group: str, event: dict) -> None:
    """Send `event` to `group` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _publish(group, event))


def _publish(group: str, event: dict) -> None:
    loop = _calling_event_loop()
    if loop is not None:
        # Called from a database thread of an ASGI server (a consumer's or a view's
        # sync_to_async call): hand the event to that loop and return at once. Waiting for
        # the send (async_to_sync) kept the process's single database thread idle for a whole
        # event-loop round trip per message, which was most of our per-message latency.
        try:
            loop.call_soon_threadsafe(_enqueue, group, event)
            return
        except RuntimeError:  # the loop has closed meanwhile
            pass
    try:
        async_to_sync(get_channel_layer().group_send)(group, event)
    except Exception:
        # The database is the source of truth: a client that missed an event catches up
        # through `after_seq` or a REST read, so a failed publish must not fail the request.
        logger.exception("publish to %s failed", group)


def _calling_event_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop that called into this thread through sync_to_async, if any.

    asgiref records it per thread for AsyncToSync; we read the same record.
    """
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


# One queue and one sending task per event loop: events leave in the order they were
# committed, as they did when each publish waited for its send.
_outboxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[asyncio.Queue, asyncio.Task]]" = (
    weakref.WeakKeyDictionary()
)


def _enqueue(group: str, event: dict) -> None:
    loop = asyncio.get_running_loop()
    outbox = _outboxes.get(loop)
    if outbox is None or outbox[1].done():
        queue: asyncio.Queue = asyncio.Queue()
        outbox = _outboxes[loop] = (queue, loop.create_task(_send_from(queue)))
    outbox[0].put_nowait((group, event))


async def _send_from(queue: asyncio.Queue) -> None:
    layer = get_channel_layer()
    while True:
        group, event = await queue.get()
        try:
            await layer.group_send(group, event)
        except Exception:
            logger.exception("publish to %s failed", group)
