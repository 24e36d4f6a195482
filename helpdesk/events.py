"""Publishing to the channel layer, always after the surrounding transaction commits."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def agent_group(agent_id: int) -> str:
    return f"agent.{agent_id}"


def chat_group(chat_id: int) -> str:
    return f"chat.{chat_id}"


def publish_on_commit(group: str, event: dict) -> None:
    """Send `event` to `group` once the current transaction commits (at once outside one).

    `event["type"]` is the consumer handler's name (dot-named, e.g. "chat.message").
    """
    transaction.on_commit(lambda: _publish(group, event))


def _publish(group: str, event: dict) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(group, event)
    except Exception:
        # The database is the source of truth: a client that missed an event catches up
        # through `after_seq` or a REST read, so a failed publish must not fail the request.
        logger.exception("publish to %s failed", group)
