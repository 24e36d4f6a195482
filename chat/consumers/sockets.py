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

import logging
import math
import time

from django.conf import settings
from redis.exceptions import RedisError

from chat.consumers.heartbeat import ProcessHeartbeat
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


class _Registry(ProcessHeartbeat):
    """The sockets one server process holds (member → its sorted sets), refreshed in Redis."""

    def interval(self) -> float:
        return _beat()

    async def remove(self, member: str) -> None:
        async with self.lock:
            keys = self.discard(member)
            if keys:
                await _uncount(member, keys)

    async def vouch(self) -> None:
        try:
            await self.refresh()
        except REDIS_ERRORS:
            logger.warning("websocket counts not refreshed: Redis did not answer", exc_info=True)

    async def refresh(self) -> None:
        """Vouch for every socket of this process, in one pipelined round trip."""
        if not self.members:
            return
        now, ttl = time.time(), _ttl()
        async with redis_client().pipeline(transaction=False) as pipe:
            for member, keys in self.members.items():
                for key in keys:
                    pipe.zadd(key, {member: now})
            for key in {key for keys in self.members.values() for key in keys}:
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
