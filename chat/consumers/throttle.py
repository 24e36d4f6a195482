"""Rate limits on websocket frames, counted in the shared Redis so that every Daphne process sees
the same counts: every client frame (whatever its type, valid or not) against the frame limits,
and `message.send` and `typing` also against the tighter message limits.

Fixed windows: a counter per (limit, who, window) is INCRemented and given an expiry, all keys
of one frame in one pipelined round trip on the event loop. Django's cache has `aincr`, but
it runs the synchronous client through `sync_to_async` (a thread hop per frame on the
latency-critical message path) and needs the key to exist first; a plain INCR does neither.
A window allows up to twice the rate across its boundary, which is fine for abuse control.

If Redis does not answer, the frame is let through: a throttle must not take the chat down.
"""

import asyncio
import ipaddress
import logging
import math
import time
import weakref

from django.conf import settings
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

from helpdesk.platform.http import client_ip
from helpdesk.platform.throttles import parse_rate

logger = logging.getLogger(__name__)

# Who is counted → the setting holding its rate ("N/min" as in DRF; empty: no limit).
RATE_SETTINGS = {
    "visitor": "WS_RATE_VISITOR",
    "agent": "WS_RATE_AGENT",
    "ip": "WS_RATE_IP",
    "visitor_frames": "WS_FRAME_RATE_VISITOR",
    "agent_frames": "WS_FRAME_RATE_AGENT",
    "ip_frames": "WS_FRAME_RATE_IP",
}
_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Redis]" = weakref.WeakKeyDictionary()


def scope_client_ip(scope: dict) -> str | None:
    """The socket's client address, by the same TRUSTED_PROXY_COUNT rule as HTTP requests."""
    client = scope.get("client") or (None,)
    meta = {"REMOTE_ADDR": client[0]}
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            meta["HTTP_X_FORWARDED_FOR"] = value.decode("latin-1")
    address = client_ip(meta)
    if address and ipaddress.ip_address(address).version == 6:
        # A client usually holds a whole /64; count it as one.
        address = str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return address


def redis_client() -> Redis:
    """One client per event loop (an asyncio connection belongs to the loop that opened it)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        pool = BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            max_connections=settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0].get("max_connections", 20),
            timeout=1,
            socket_timeout=1,
            socket_connect_timeout=1,
        )
        client = _clients[loop] = Redis(connection_pool=pool)
    return client


def key_prefix() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:wsrate"


async def retry_after(limits: list[tuple[str, object]]) -> int | None:
    """Count one frame against each (who, identity) in `limits`, e.g. [("agent", 7), ("ip",
    "203.0.113.9")]. None when every limit allows it; otherwise the seconds until the
    fullest window that refused it resets. A None identity or an empty rate is not counted."""
    now = time.time()
    counted = []
    for who, ident in limits:
        rate = getattr(settings, RATE_SETTINGS[who])
        if not rate or ident is None:
            continue
        allowed, period = parse_rate(rate)
        window = int(now // period)
        counted.append((f"{key_prefix()}:{who}:{ident}:{window}", allowed, period, (window + 1) * period - now))
    if not counted:
        return None
    try:
        async with redis_client().pipeline(transaction=False) as pipe:
            for key, _, period, _ in counted:
                pipe.incr(key)
                pipe.expire(key, period + 1)
            results = await pipe.execute()
    except (TimeoutError, RedisError, OSError):
        logger.warning("websocket rate limit not checked: Redis did not answer", exc_info=True)
        return None
    waits = [
        max(1, math.ceil(left))
        for (_, allowed, _, left), used in zip(counted, results[::2], strict=True)
        if used > allowed
    ]
    return max(waits) if waits else None
