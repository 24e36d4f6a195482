"""Each server process vouches for its open agent sockets in the database, so that presence
(chat/services/presence.py) outlives a Redis restart and ends with a process that dies.

One registry per event loop (one per process) holds its agent sockets; while it holds any, one
task runs chat.services.presence.agent_connections_vouch every AGENT_PRESENCE_HEARTBEAT_SECONDS:
one statement per process per beat, however many sockets. The same pattern as the socket caps'
Redis heartbeat (chat/consumers/sockets.py).
"""

import asyncio
import logging
import weakref

from django.conf import settings

from chat.services.presence import agent_connection_close, agent_connections_vouch
from helpdesk.platform.db_threads import database_sync_to_async
from helpdesk.platform.errors import SERVICE_UNAVAILABLE

logger = logging.getLogger(__name__)


class _Registry:
    """The agent sockets one event loop (one server process) holds, and its heartbeat task."""

    _by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Registry]" = weakref.WeakKeyDictionary()

    @classmethod
    def current(cls) -> "_Registry":
        loop = asyncio.get_running_loop()
        registry = cls._by_loop.get(loop)
        if registry is None:
            registry = cls._by_loop[loop] = cls()
        return registry

    def __init__(self):
        self.connections: dict[str, int] = {}  # channel name → agent id
        self.task: asyncio.Task | None = None

    def add(self, channel_name: str, agent_id: int) -> None:
        self.connections[channel_name] = agent_id
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._heartbeat())

    def remove(self, channel_name: str) -> None:
        self.connections.pop(channel_name, None)
        if not self.connections and self.task is not None:
            self.task.cancel()  # nothing left to vouch for; add() starts a new one

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(settings.AGENT_PRESENCE_HEARTBEAT_SECONDS)
            try:
                await database_sync_to_async(agent_connections_vouch)(connections=dict(self.connections))
            except SERVICE_UNAVAILABLE:
                # The sockets stay present for a few beats more; the next beat that gets through
                # vouches for them again.
                logger.warning("agent presence not refreshed: the database did not answer", exc_info=True)
            except Exception:
                logger.exception("agent presence not refreshed")


def presence_track(channel_name: str, agent_id: int) -> None:
    """Vouch for this open agent socket (recorded by agent_connection_open) until
    presence_end(channel_name)."""
    _Registry.current().add(channel_name, agent_id)


async def presence_end(channel_name: str) -> None:
    """The socket closed: stop vouching for it first (a later beat must not count it again), then
    record its close."""
    _Registry.current().remove(channel_name)
    try:
        await database_sync_to_async(agent_connection_close)(channel_name=channel_name)
    except SERVICE_UNAVAILABLE:  # unrefreshed, the row expires like a dead process's
        logger.warning("agent socket close not recorded: the database did not answer", exc_info=True)
