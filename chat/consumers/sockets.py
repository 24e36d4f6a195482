"""Caps on concurrent websockets per visitor token, per agent and per client address, counted in
the shared Redis so that the cap holds across every Daphne process.

One sorted set per (who, identity): one member per open socket (its channel name, unique per
socket), scored by the last time its process vouched for it. Each process refreshes the scores of
all its sockets in one pipelined call every WS_SOCKET_HEARTBEAT_SECONDS; a member left unrefreshed
for STALE_BEATS beats belongs to a process that died and is dropped before counting. A closing
socket removes its members at once.

If Redis does not answer, the socket is let in uncounted (and a warning logged): a cap must not
take the chat down. A socket counted before an outage is counted again by the next heartbeat.
"""

import asyncio
import logging
import math
import time
import weakref

from django.conf import settings
from redis.exceptions import RedisError

from chat.consumers.throttle import key_prefix, redis_client

logger = logging.getLogger(__name__)

# Who is counted → the setting holding the cap (0: no cap).
CAP_SETTINGS = {
    "visitor": "WS_MAX_SOCKETS_PER_VISITOR",
    "agent": "WS_MAX_SOCKETS_PER_AGENT",
    "ip": "WS_MAX_SOCKETS_PER_IP",
}
STALE_BEATS = 3
REDIS_ERRORS = (TimeoutError, RedisError, OSError)


def _beat() -> float:
    return float(settings.WS_SOCKET_HEARTBEAT_SECONDS)


def _key(who: str, ident) -> str:
    return f"{key_prefix()}:wssock:{who}:{ident}"


class _Registry:
    """The sockets one event loop (one server process) holds, and its heartbeat task."""

    _by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Registry]" = weakref.WeakKeyDictionary()

    @classmethod
    def current(cls) -> "_Registry":
        loop = asyncio.get_running_loop()
        registry = cls._by_loop.get(loop)
        if registry is None:
            registry = cls._by_loop[loop] = cls()
        return registry

    def __init__(self):
        self.keys: dict[str, list[str]] = {}  # member → its sorted sets
        # A heartbeat's ZADD must not land after a closing socket's ZREM and count it again.
        self.lock = asyncio.Lock()
        self.task: asyncio.Task | None = None

    def add(self, member: str, keys: list[str]) -> None:
        self.keys[member] = keys
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._heartbeat())

    async def remove(self, member: str) -> None:
        async with self.lock:
            keys = self.keys.pop(member, None)
            if not self.keys and self.task is not None:
                self.task.cancel()  # nothing left to vouch for; add() starts a new one
            if keys:
                await _uncount(member, keys)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(_beat())
            async with self.lock:
                try:
                    await self.refresh()
                except REDIS_ERRORS:
                    logger.warning("websocket counts not refreshed: Redis did not answer", exc_info=True)

    async def refresh(self) -> None:
        """Vouch for every socket of this process, in one pipelined round trip."""
        if not self.keys:
            return
        now, ttl = time.time(), _ttl()
        async with redis_client().pipeline(transaction=False) as pipe:
            for member, keys in self.keys.items():
                for key in keys:
                    pipe.zadd(key, {member: now})
            for key in {key for keys in self.keys.values() for key in keys}:
                pipe.expire(key, ttl)
            await pipe.execute()


async def _uncount(member: str, keys: list[str]) -> None:
    try:
        async with redis_client().pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zrem(key, member)
            await pipe.execute()
    except REDIS_ERRORS:  # the member goes stale and is dropped within STALE_BEATS beats
        logger.warning("websocket count not released: Redis did not answer", exc_info=True)


def _ttl() -> int:
    """A set nobody refreshes any more (every process holding its sockets died) goes away."""
    return math.ceil(STALE_BEATS * _beat()) + 1


async def socket_admit(member: str, identities: list[tuple[str, object]]) -> bool:
    """Count the socket `member` under each (who, identity), e.g. [("agent", 7), ("ip",
    "203.0.113.9")]. False when that makes one of them exceed its cap: then nothing stays
    counted and the caller refuses the socket. A None identity or a cap of 0 is not counted.
    Call `socket_release(member)` when an admitted socket closes."""
    counted = []
    for who, ident in identities:
        cap = getattr(settings, CAP_SETTINGS[who])
        if cap and ident is not None:
            counted.append((_key(who, ident), cap))
    if not counted:
        return True
    now = time.time()
    stale_before = now - STALE_BEATS * _beat()
    keys = [key for key, _ in counted]
    try:
        # MULTI/EXEC: of sockets arriving at once on one set, each counts the ones before it.
        async with redis_client().pipeline(transaction=True) as pipe:
            for key, _ in counted:
                pipe.zremrangebyscore(key, "-inf", stale_before)
                pipe.zadd(key, {member: now})
                pipe.zcard(key)
                pipe.expire(key, _ttl())
            results = await pipe.execute()
    except REDIS_ERRORS:
        logger.warning("websocket not counted: Redis did not answer", exc_info=True)
    else:
        if any(count > cap for (_, cap), count in zip(counted, results[2::4], strict=True)):
            await _uncount(member, keys)
            return False
    _Registry.current().add(member, keys)
    return True


async def socket_release(member: str) -> None:
    await _Registry.current().remove(member)
