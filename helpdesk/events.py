"""Publishing to the channel layer, always after the surrounding transaction commits.

Two kinds of groups: `chat.<id>` (the visitor's socket and the sockets of agents taking part)
and `agent.<id>` (all sockets of one agent: offers, settings, joins). Group events carry the
frame a client receives; the consumers' handlers only forward it.
"""

import logging

from asgiref.sync import async_to_sync
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
    try:
        async_to_sync(get_channel_layer().group_send)(group, event)
    except Exception:
        # The database is the source of truth: a client that missed an event catches up
        # through `after_seq` or a REST read, so a failed publish must not fail the request.
        logger.exception("publish to %s failed", group)
