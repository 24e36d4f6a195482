"""Each server process vouches for its open agent sockets in the database, so that presence
(chat/services/presence.py) outlives a Redis restart and ends with a process that dies.

One registry per event loop (one per process) holds its agent sockets; while it holds any, one
task runs chat.services.presence.agent_connections_vouch every AGENT_PRESENCE_HEARTBEAT_SECONDS:
one statement per process per beat, however many sockets. The same pattern as the socket caps'
Redis heartbeat (chat/consumers/sockets.py), both on chat/consumers/heartbeat.py.
"""

import logging

from django.conf import settings

from chat.consumers.heartbeat import ProcessHeartbeat
from chat.services.presence import agent_connection_close, agent_connections_vouch
from helpdesk.platform.db_threads import database_sync_to_async
from helpdesk.platform.errors import SERVICE_UNAVAILABLE

logger = logging.getLogger(__name__)


class _Registry(ProcessHeartbeat):
    """The agent sockets one server process holds (channel name → agent id)."""

    def interval(self) -> float:
        return settings.AGENT_PRESENCE_HEARTBEAT_SECONDS

    async def vouch(self) -> None:
        try:
            await database_sync_to_async(agent_connections_vouch)(connections=dict(self.members))
        except SERVICE_UNAVAILABLE:
            # The sockets stay present for a few beats more; the next beat that gets through
            # vouches for them again.
            logger.warning("agent presence not refreshed: the database did not answer", exc_info=True)


def presence_track(channel_name: str, agent_id: int) -> None:
    """Vouch for this open agent socket (recorded by agent_connection_open) until
    presence_end(channel_name)."""
    _Registry.current().add(channel_name, agent_id)


async def presence_end(channel_name: str) -> None:
    """The socket closed: stop vouching for it first (a later beat must not count it again), then
    record its close."""
    async with _Registry.current().lock:
        _Registry.current().discard(channel_name)
    try:
        await database_sync_to_async(agent_connection_close)(channel_name=channel_name)
    except SERVICE_UNAVAILABLE:  # unrefreshed, the row expires like a dead process's
        logger.warning("agent socket close not recorded: the database did not answer", exc_info=True)


def presence_tracked() -> dict[str, int]:
    """The agent sockets this process vouches for now (channel name → agent id)."""
    return dict(_Registry.current().members)
