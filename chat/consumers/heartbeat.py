"""One server process vouching for its open sockets: a registry per event loop (one per process)
and a task that vouches for everything it holds every few seconds, while it holds anything.

The socket caps vouch in Redis (sockets.py), presence in the database (presence.py); both need
their records to outlive a restart of the other store and to end with a process that dies."""

import asyncio
import logging
import weakref

logger = logging.getLogger(__name__)


class ProcessHeartbeat:
    """Subclasses say how often (`interval`) and what vouching is (`vouch`, which handles the
    failures it expects; anything else is logged and the next beat tries again)."""

    _by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ProcessHeartbeat]"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._by_loop = weakref.WeakKeyDictionary()

    @classmethod
    def current(cls):
        loop = asyncio.get_running_loop()
        registry = cls._by_loop.get(loop)
        if registry is None:
            registry = cls._by_loop[loop] = cls()
        return registry

    def __init__(self):
        self.members: dict = {}
        # A beat must not land after a member's removal and record it again.
        self.lock = asyncio.Lock()
        self.task: asyncio.Task | None = None

    def interval(self) -> float:
        raise NotImplementedError

    async def vouch(self) -> None:
        raise NotImplementedError

    def add(self, member: str, value) -> None:
        self.members[member] = value
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._beat())

    def discard(self, member: str):
        """Stop vouching for `member` (call under `lock` when its removal is recorded too)."""
        value = self.members.pop(member, None)
        if not self.members and self.task is not None:
            self.task.cancel()  # nothing left to vouch for; add() starts a new one
        return value

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.interval())
            async with self.lock:
                try:
                    await self.vouch()
                except Exception:
                    logger.exception("%s: this beat failed", type(self).__name__)
